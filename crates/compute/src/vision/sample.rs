//! Teach samples: an image's centre square kept at 96×96 RGB (room for a larger model input
//! later), and the 32×32 views of it that the network sees (plain, mirrored, shifted).

use image::{DynamicImage, RgbImage, imageops};

use super::preprocess::{VisionError, centre_square, decode, frame_image, planar};
use crate::data::{IMAGE_BYTES, IMAGE_SIDE};
use crate::teach::{SAMPLE_BYTES, SAMPLE_SIDE};

/// An image file as a sample (decoded with the classifier's limits).
pub fn sample_from_file(bytes: &[u8], name: &str) -> Result<Vec<u8>, VisionError> {
    sample_from_image(&decode(bytes, name)?, name)
}

/// A camera frame (interleaved RGBA) as a sample.
pub fn sample_from_rgba(
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    name: &str,
) -> Result<Vec<u8>, VisionError> {
    sample_from_image(&frame_image(width, height, rgba, name)?, name)
}

/// A decoded image's centre square at [`SAMPLE_SIDE`].
pub fn sample_from_image(image: &DynamicImage, name: &str) -> Result<Vec<u8>, VisionError> {
    if image.width() == 0 || image.height() == 0 {
        return Err(VisionError::NoPixels { name: name.into() });
    }
    Ok(centre_square(image, SAMPLE_SIDE as u32).into_raw())
}

/// Interleaved RGB of a sample (or `None` when the length is not [`SAMPLE_BYTES`]).
fn sample_image(rgb: &[u8]) -> Option<RgbImage> {
    (rgb.len() == SAMPLE_BYTES)
        .then(|| RgbImage::from_raw(SAMPLE_SIDE as u32, SAMPLE_SIDE as u32, rgb.to_vec()))
        .flatten()
}

/// What the network sees of a sample: the whole square at 32×32, planar RGB (as an uploaded
/// image of the same scene would be prepared).
pub fn sample_input(rgb: &[u8]) -> Option<Box<[u8; IMAGE_BYTES]>> {
    let image = sample_image(rgb)?;
    Some(planar(&imageops::thumbnail(
        &image,
        IMAGE_SIDE as u32,
        IMAGE_SIDE as u32,
    )))
}

/// The training views of a sample: the plain input and its mirror, and (with `shifts`) two
/// crops of 90×90 (corners top-left and bottom-right, about ±1 pixel at 32×32) and their mirrors.
pub fn sample_views(rgb: &[u8], shifts: bool) -> Option<Vec<Box<[u8; IMAGE_BYTES]>>> {
    let image = sample_image(rgb)?;
    let side = IMAGE_SIDE as u32;
    let small = |image: &RgbImage| imageops::thumbnail(image, side, side);
    let mut squares = vec![small(&image)];
    if shifts {
        let crop = SAMPLE_SIDE as u32 - 6;
        for at in [0, 6] {
            squares.push(small(
                &imageops::crop_imm(&image, at, at, crop, crop).to_image(),
            ));
        }
    }
    let mut views = Vec::with_capacity(squares.len() * 2);
    for square in squares {
        views.push(planar(&square));
        views.push(planar(&imageops::flip_horizontal(&square)));
    }
    Some(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_keep_the_centre_square_at_96_and_views_are_32() {
        // 200×100: the centre square is x in 50..150; paint it red, the rest blue.
        let image = RgbImage::from_fn(200, 100, |x, _| {
            if (50..150).contains(&x) {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let sample = sample_from_image(&DynamicImage::ImageRgb8(image), "wide.png").unwrap();
        assert_eq!(sample.len(), SAMPLE_BYTES);
        assert!(
            sample.chunks(3).all(|p| p == [255, 0, 0]),
            "only the centre square"
        );
        let input = sample_input(&sample).unwrap();
        assert_eq!(input.len(), IMAGE_BYTES);
        assert!(input[..1024].iter().all(|&r| r == 255));
        assert_eq!(sample_views(&sample, false).unwrap().len(), 2);
        assert_eq!(sample_views(&sample, true).unwrap().len(), 6);
        assert!(sample_views(&sample[1..], true).is_none());
    }

    #[test]
    fn a_mirrored_view_is_the_mirror() {
        let image = RgbImage::from_fn(96, 96, |x, _| image::Rgb([(x * 2) as u8, 0, 0]));
        let views = sample_views(image.as_raw(), false).unwrap();
        let row = |v: &[u8; IMAGE_BYTES]| v[..32].to_vec();
        let mut reversed = row(&views[0]);
        reversed.reverse();
        assert_eq!(row(&views[1]), reversed);
    }
}
