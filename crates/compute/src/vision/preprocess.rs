use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage, imageops};

use crate::data::{IMAGE_BYTES, IMAGE_SIDE, interleave};

/// Largest image decoded, in pixels: a 50-megapixel photo (8,660 × 5,773) decodes to 150 MB of
/// RGB, well inside a 32-bit wasm worker's memory; a file whose header claims more is refused
/// before anything is allocated (a few hundred bytes can claim 100,000 pixels a side).
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;
/// Largest decoded buffer, in bytes (a 50-megapixel RGBA image is 200 MB; 16-bit channels
/// would double it).
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("{name}: the file is empty")]
    Empty { name: String },
    #[error("{name}: not an image in a supported format (PNG, JPEG, WebP, GIF, BMP)")]
    UnknownFormat { name: String },
    #[error("{name}: the image could not be decoded ({reason}); it may be truncated or corrupt")]
    Corrupt { name: String, reason: String },
    #[error("{name}: the image has no pixels")]
    NoPixels { name: String },
    #[error(
        "{name}: the image is {width}×{height} pixels ({megapixels:.0} megapixels, {megabytes:.0} MB decoded); the limit is {MAX_IMAGE_PIXELS} pixels and {} MB decoded",
        MAX_DECODED_BYTES / (1024 * 1024)
    )]
    TooLarge {
        name: String,
        width: u32,
        height: u32,
        megapixels: f64,
        megabytes: f64,
    },
    #[error(
        "{name}: the image is too large to decode (its size needs more than the {} MB decoding may use)",
        MAX_DECODED_BYTES / (1024 * 1024)
    )]
    TooLargeToDecode { name: String },
    #[error("{name}: {len} bytes are not a {width}×{height} RGBA frame ({expected} bytes)")]
    FrameSize {
        name: String,
        width: u32,
        height: u32,
        len: usize,
        expected: usize,
    },
}

/// What the model sees of an image: 32×32 planar RGB, plus the original size for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInput {
    pub pixels: Box<[u8; IMAGE_BYTES]>,
    /// Size after EXIF orientation, before cropping.
    pub original_width: u32,
    pub original_height: u32,
}

/// Decodes an encoded image file (format guessed from its bytes) and prepares it for the model.
pub fn preprocess(bytes: &[u8], name: &str) -> Result<ModelInput, VisionError> {
    preprocess_image(&decode(bytes, name)?, name)
}

/// Decodes an encoded image file (format guessed from its bytes), its size checked before
/// anything is allocated, EXIF orientation applied.
pub fn decode(bytes: &[u8], name: &str) -> Result<DynamicImage, VisionError> {
    let name_owned = || name.to_string();
    if bytes.is_empty() {
        return Err(VisionError::Empty { name: name_owned() });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VisionError::Corrupt {
            name: name_owned(),
            reason: e.to_string(),
        })?;
    let Some(format) = reader.format() else {
        return Err(VisionError::UnknownFormat { name: name_owned() });
    };
    // A decoder that stops at its memory limit (on 32-bit wasm some headers overflow its size
    // arithmetic before ours runs) met a size, not a corrupt file.
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => VisionError::TooLargeToDecode { name: name_owned() },
        e => VisionError::Corrupt {
            name: name_owned(),
            reason: e.to_string(),
        },
    };
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    // The header's size, checked before decoding allocates it (`image`'s own default limits do
    // not apply on the decoder path).
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    let decoded = decoder.total_bytes();
    if pixels > MAX_IMAGE_PIXELS || decoded > MAX_DECODED_BYTES {
        // A phone's 50–200 MP photo: decoded smaller by the DCT, within the same cap.
        if format == image::ImageFormat::Jpeg
            && let Some(factor) = super::large_jpeg::reduction(width, height)
        {
            return super::large_jpeg::decode_reduced(bytes, name, width, height, factor);
        }
        return Err(VisionError::TooLarge {
            name: name_owned(),
            width,
            height,
            megapixels: pixels as f64 / 1e6,
            megabytes: decoded as f64 / 1e6,
        });
    }
    // And the decoder's own allocations (metadata, frames) under the same cap.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    decoder.set_limits(limits).map_err(corrupt)?;
    // A missing or unreadable EXIF block is not an error: the image is shown as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A raw RGBA frame (a camera frame grabbed through a 2D canvas), prepared like a file.
pub fn preprocess_rgba(
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    name: &str,
) -> Result<ModelInput, VisionError> {
    preprocess_image(&frame_image(width, height, rgba, name)?, name)
}

/// A raw RGBA frame as an image, if its length fits its size.
pub fn frame_image(
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    name: &str,
) -> Result<DynamicImage, VisionError> {
    let (len, expected) = (rgba.len(), width as usize * height as usize * 4);
    let frame = image::RgbaImage::from_raw(width, height, rgba)
        .filter(|_| len == expected)
        .ok_or_else(|| VisionError::FrameSize {
            name: name.into(),
            width,
            height,
            len,
            expected,
        })?;
    Ok(DynamicImage::ImageRgba8(frame))
}

/// Centre-crops a decoded image to a square and area-averages it down to 32×32.
pub fn preprocess_image(image: &DynamicImage, name: &str) -> Result<ModelInput, VisionError> {
    let (width, height) = (image.width(), image.height());
    if width == 0 || height == 0 {
        return Err(VisionError::NoPixels { name: name.into() });
    }
    let small = centre_square(image, IMAGE_SIDE as u32);
    Ok(ModelInput {
        pixels: planar(&small),
        original_width: width,
        original_height: height,
    })
}

/// The image's centre square, area-averaged down to `side`×`side` RGB (width and height > 0).
pub(crate) fn centre_square(image: &DynamicImage, side: u32) -> RgbImage {
    let (width, height) = (image.width(), image.height());
    let square = width.min(height);
    let square = image
        .crop_imm((width - square) / 2, (height - square) / 2, square, square)
        .to_rgb8();
    if square.width() < side {
        // Smaller than the target (a 32×32 record as a 96×96 sample): interpolated up.
        return imageops::resize(&square, side, side, imageops::FilterType::Triangle);
    }
    // `thumbnail` averages every source pixel into its target pixel (a box filter), so a large
    // photo does not alias the way nearest-neighbour sampling would.
    imageops::thumbnail(&square, side, side)
}

pub(crate) fn planar(image: &RgbImage) -> Box<[u8; IMAGE_BYTES]> {
    let plane = IMAGE_SIDE * IMAGE_SIDE;
    let mut out = Box::new([0u8; IMAGE_BYTES]);
    for (i, pixel) in image.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = pixel.0[c];
        }
    }
    out
}

impl ModelInput {
    /// The 32×32 input as interleaved RGBA, ready for a canvas `ImageData`.
    pub fn to_rgba(&self) -> Vec<u8> {
        interleave(&self.pixels, Some(255))
    }

    /// The 32×32 input as a PNG, to show the user what the model sees.
    pub fn to_png(&self) -> Vec<u8> {
        super::mosaic::planar_png(&self.pixels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb};

    fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn pixel(input: &ModelInput, x: usize, y: usize) -> [u8; 3] {
        let plane = IMAGE_SIDE * IMAGE_SIDE;
        [0, 1, 2].map(|c| input.pixels[c * plane + y * IMAGE_SIDE + x])
    }

    #[test]
    fn downscale_averages_areas_instead_of_sampling() {
        // A 64×64 one-pixel checkerboard of black and white: nearest-neighbour would give pure
        // black or white; area averaging gives mid-grey everywhere.
        let image = RgbImage::from_fn(64, 64, |x, y| {
            if (x + y) % 2 == 0 {
                Rgb([255, 255, 255])
            } else {
                Rgb([0, 0, 0])
            }
        });
        let input = preprocess(&encode(&image, ImageFormat::Png), "checker.png").unwrap();
        for (x, y) in [(0, 0), (5, 17), (31, 31)] {
            for v in pixel(&input, x, y) {
                assert!((126..=129).contains(&v), "pixel ({x},{y}) = {v}");
            }
        }
    }

    #[test]
    fn rgba_frames_are_cropped_like_files_and_bad_sizes_are_named() {
        // 6×4 frame: the centre 4×4 square is white, the two side columns black.
        let rgba: Vec<u8> = (0..24)
            .flat_map(|i| {
                let v = if (1..5).contains(&(i % 6)) { 255 } else { 0 };
                [v, v, v, 255]
            })
            .collect();
        let input = preprocess_rgba(6, 4, rgba, "camera").unwrap();
        assert_eq!(pixel(&input, 0, 0), [255, 255, 255]);
        assert_eq!(pixel(&input, 31, 31), [255, 255, 255]);
        assert_eq!(&input.to_rgba()[..4], &[255, 255, 255, 255]);
        let err = preprocess_rgba(6, 4, vec![0; 10], "camera").unwrap_err();
        assert!(err.to_string().contains("camera: 10 bytes"), "{err}");
    }

    #[test]
    fn centre_crop_keeps_the_middle_square() {
        // 96×32: red left third, green middle, blue right third → the crop is all green.
        let image = RgbImage::from_fn(96, 32, |x, _| match x / 32 {
            0 => Rgb([255, 0, 0]),
            1 => Rgb([0, 255, 0]),
            _ => Rgb([0, 0, 255]),
        });
        let input = preprocess(&encode(&image, ImageFormat::Png), "wide.png").unwrap();
        assert_eq!((input.original_width, input.original_height), (96, 32));
        assert_eq!(pixel(&input, 0, 0), [0, 255, 0]);
        assert_eq!(pixel(&input, 31, 31), [0, 255, 0]);
    }

    #[test]
    fn exif_orientation_is_honoured() {
        // A 64×32 JPEG whose left half is white and right half black, tagged "rotate 90° CW"
        // (orientation 6): shown upright it is 32×64 with white on top.
        let image = RgbImage::from_fn(64, 32, |x, _| {
            if x < 32 {
                Rgb([255, 255, 255])
            } else {
                Rgb([0, 0, 0])
            }
        });
        let jpeg = with_exif_orientation(encode(&image, ImageFormat::Jpeg), 6);
        let input = preprocess(&jpeg, "rotated.jpg").unwrap();
        assert_eq!((input.original_width, input.original_height), (32, 64));
        // The centre 32×32 crop straddles the boundary: top half white, bottom half black.
        assert!(pixel(&input, 16, 4)[0] > 200, "top should be white");
        assert!(pixel(&input, 16, 28)[0] < 50, "bottom should be black");
    }

    /// Inserts an APP1 EXIF segment with one Orientation tag right after the JPEG SOI marker.
    fn with_exif_orientation(jpeg: Vec<u8>, orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian TIFF, IFD at 8
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn bad_inputs_are_typed_errors_naming_the_file() {
        assert!(matches!(
            preprocess(&[], "empty.png"),
            Err(VisionError::Empty { .. })
        ));
        let err = preprocess(b"hello, this is text", "notes.txt").unwrap_err();
        assert!(matches!(err, VisionError::UnknownFormat { .. }));
        assert!(err.to_string().contains("notes.txt"));
        let png = encode(&RgbImage::new(40, 40), ImageFormat::Png);
        let err = preprocess(&png[..png.len() / 2], "cut.png").unwrap_err();
        assert!(matches!(err, VisionError::Corrupt { .. }), "{err}");
    }

    /// A 1×1 PNG whose header claims `width`×`height` (RGB, or 16-bit RGBA when `deep`): a
    /// valid header with nothing decodable after it.
    fn png_claiming(width: u32, height: u32, deep: bool) -> Vec<u8> {
        let mut png = encode(&RgbImage::new(1, 1), ImageFormat::Png);
        // IHDR's data is bytes 16..29 (width, height, bit depth, colour type, …), its CRC of
        // the chunk type and data at 29..33.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        if deep {
            png[24] = 16;
            png[25] = 6;
        }
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_header_claiming_a_huge_image_is_refused_before_decoding() {
        let bomb = png_claiming(100_000, 100_000, false);
        assert!(bomb.len() < 200, "{} bytes", bomb.len());
        let err = preprocess(&bomb, "bomb.png").unwrap_err();
        assert!(
            matches!(err, VisionError::TooLarge { width: 100_000, .. }),
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("bomb.png") && message.contains("limit"),
            "{message}"
        );
        // Under the pixel limit but over the decoded-bytes one (16-bit RGBA, 8 bytes a pixel).
        let err = preprocess(&png_claiming(8_000, 5_000, true), "deep.png").unwrap_err();
        assert!(matches!(err, VisionError::TooLarge { .. }), "{err}");
        // A modest claim passes the check and fails honestly as a corrupt file.
        let err = preprocess(&png_claiming(64, 64, false), "small.png").unwrap_err();
        assert!(matches!(err, VisionError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn small_png_round_trips_through_model_input() {
        let image = RgbImage::from_fn(32, 32, |x, y| Rgb([x as u8 * 8, y as u8 * 8, 77]));
        let input = preprocess(&encode(&image, ImageFormat::Png), "exact.png").unwrap();
        assert_eq!(pixel(&input, 3, 9), [24, 72, 77]);
        let again = preprocess(&input.to_png(), "again.png").unwrap();
        assert_eq!(again, input);
    }
}
