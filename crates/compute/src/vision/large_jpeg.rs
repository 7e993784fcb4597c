//! JPEGs past the decoding cap, decoded smaller while decoding: the DCT gives 1/2, 1/4 and 1/8
//! scale for the cost of fewer coefficients (`jpeg-decoder`'s scaled IDCT), so a phone's 50–200
//! megapixel photo classifies within the same memory as a 50-megapixel one. The model sees 32×32
//! (Teach 96×96): the detail dropped here never reaches it.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, RgbImage};

use super::preprocess::{MAX_DECODED_BYTES, MAX_IMAGE_PIXELS, VisionError};

/// The reductions the DCT offers, smallest first.
const FACTORS: [u32; 3] = [2, 4, 8];

/// The smallest reduction that brings `width`×`height` within the cap, if one does.
pub fn reduction(width: u32, height: u32) -> Option<u32> {
    FACTORS.into_iter().find(|k| {
        let pixels = u64::from(width.div_ceil(*k)) * u64::from(height.div_ceil(*k));
        // Four bytes a pixel at most (CMYK) while decoding.
        pixels <= MAX_IMAGE_PIXELS && pixels * 4 <= MAX_DECODED_BYTES
    })
}

/// Whether the JPEG's frame is progressive: its coefficients for the whole image are kept
/// while decoding (6 bytes a pixel for colour), so scaling does not bound its memory. Walks the
/// segments up to the first frame header; `None` when there is none to read.
pub fn is_progressive(bytes: &[u8]) -> Option<bool> {
    let mut at = 2; // SOI
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        match marker {
            // Fill bytes between segments.
            0xFF => at += 1,
            // SOF0, SOF1 (sequential), SOF3 (lossless), SOF5–7, SOF9–11, SOF13–15.
            0xC0 | 0xC1 | 0xC3 | 0xC5 | 0xC7 | 0xC9 | 0xCB | 0xCD | 0xCF => return Some(false),
            // SOF2 (progressive), SOF6, SOF10, SOF14 (progressive variants).
            0xC2 | 0xC6 | 0xCA | 0xCE => return Some(true),
            // Start of scan before any frame header: not a valid JPEG.
            0xDA | 0xD9 => return None,
            _ => {
                let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                at += 2 + length;
            }
        }
    }
    None
}

/// Decodes `bytes` (a JPEG of `width`×`height`, past the cap) reduced by `factor`, EXIF
/// orientation applied.
pub fn decode_reduced(
    bytes: &[u8],
    name: &str,
    width: u32,
    height: u32,
    factor: u32,
) -> Result<DynamicImage, VisionError> {
    let corrupt = |reason: String| VisionError::Corrupt {
        name: name.to_string(),
        reason,
    };
    let too_large = || VisionError::TooLarge {
        name: name.to_string(),
        width,
        height,
        megapixels: f64::from(width) * f64::from(height) / 1e6,
        megabytes: f64::from(width) * f64::from(height) * 3.0 / 1e6,
    };
    if is_progressive(bytes) != Some(false) {
        return Err(too_large());
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_DECODED_BYTES as usize);
    let requested = |side: u32| u16::try_from(side.div_ceil(factor)).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(requested(width), requested(height))
        .map_err(|e| corrupt(e.to_string()))?;
    let (w, h) = (u32::from(w), u32::from(h));
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(too_large());
    }
    let pixels = decoder.decode().map_err(|e| corrupt(e.to_string()))?;
    // The layout from the length (jpeg-decoder's own `info` panics on odd component counts).
    let area = w as usize * h as usize;
    let image = match pixels.len().checked_div(area) {
        Some(3) => RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
        Some(1) => GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8),
        Some(2) => {
            let wide: Vec<u16> = pixels
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            ImageBuffer::<Luma<u16>, _>::from_raw(w, h, wide).map(DynamicImage::ImageLuma16)
        }
        Some(4) => RgbImage::from_raw(w, h, cmyk_to_rgb(&pixels)).map(DynamicImage::ImageRgb8),
        _ => None,
    };
    let mut image = image
        .ok_or_else(|| corrupt(format!("{} decoded bytes for a {w}×{h} image", area.max(1))))?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    image.apply_orientation(orientation);
    Ok(image)
}

/// jpeg-decoder's CMYK (Adobe's inverted form already undone) as RGB.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            let channel = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
            [channel(p[0]), channel(p[1]), channel(p[2])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_reduction_that_fits_is_chosen() {
        assert_eq!(reduction(8000, 8000), Some(2)); // 64 MP → 16 MP
        assert_eq!(reduction(16_384, 12_288), Some(4)); // 201 MP → 12.6 MP
        assert_eq!(reduction(40_000, 40_000), Some(8)); // 1.6 GP → 25 MP
        assert_eq!(reduction(65_535, 65_535), None); // 4.3 GP → 67 MP
    }

    #[test]
    fn the_frame_kind_is_read_from_the_segments() {
        let segment = |marker: u8| {
            let mut s = vec![0xFF, marker, 0, 4, 1, 2];
            s.splice(0..0, [0xFF, 0xD8]);
            s
        };
        assert_eq!(is_progressive(&segment(0xC0)), Some(false));
        assert_eq!(is_progressive(&segment(0xC2)), Some(true));
        // An APP segment first, then the frame.
        let mut app = vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 9, 9, 0xFF, 0xC2, 0, 2];
        assert_eq!(is_progressive(&app), Some(true));
        app.truncate(8);
        assert_eq!(is_progressive(&app), None);
        assert_eq!(is_progressive(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(is_progressive(b"not a jpeg"), None);
    }
}

#[cfg(test)]
mod decode_tests {
    use crate::vision::{VisionError, preprocess};

    /// A real JPEG of `width`×`height`: red on the left half, blue on the right.
    fn halves_jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([220, 20, 20])
            } else {
                image::Rgb([20, 20, 220])
            }
        });
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
            .encode_image(&image)
            .unwrap();
        bytes
    }

    /// A 64-megapixel photo (8000×8000, past the 50-megapixel cap) classifies: decoded at half
    /// size by the DCT, then prepared like any image.
    #[test]
    fn a_jpeg_past_the_cap_is_decoded_smaller_and_prepared() {
        let bytes = halves_jpeg(8000, 8000);
        let input = preprocess(&bytes, "phone.jpg").unwrap();
        assert_eq!((input.original_width, input.original_height), (4000, 4000));
        // Planar 32×32: red plane then blue plane; left columns red, right columns blue.
        let plane = |c: usize, x: usize, y: usize| input.pixels[c * 1024 + y * 32 + x];
        for y in [0, 16, 31] {
            assert!(
                plane(0, 2, y) > 180 && plane(2, 2, y) < 60,
                "left at row {y}"
            );
            assert!(
                plane(0, 29, y) < 60 && plane(2, 29, y) > 180,
                "right at row {y}"
            );
        }
        // What cannot be reduced within the cap is still refused, naming the limit.
        let mut claim = bytes.clone();
        // The frame header's height and width (SOF0: FF C0, length, precision, then h, w).
        let sof = claim.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        claim[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        let e = preprocess(&claim, "huge.jpg").unwrap_err();
        assert!(matches!(e, VisionError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("huge.jpg") && e.to_string().contains("limit"));
    }
}
