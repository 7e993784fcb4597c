//! Pictures of what is inside the network: feature maps and filters tiled into one PNG, and a
//! CIFAR record as a PNG.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};

use crate::data::{IMAGE_BYTES, IMAGE_SIDE, interleave};

/// Pixels between tiles (drawn in the background colour).
const GAP: usize = 1;
const BACKGROUND: [u8; 3] = [255, 255, 255];

/// A planar 32×32 RGB image (a record's pixels) as a PNG.
pub fn planar_png(pixels: &[u8; IMAGE_BYTES]) -> Vec<u8> {
    let image = RgbImage::from_raw(
        IMAGE_SIDE as u32,
        IMAGE_SIDE as u32,
        interleave(pixels, None),
    )
    .expect("32×32×3 bytes make a 32×32 RGB image");
    encode(&image)
}

/// Tiles in a grid, laid out `columns` wide.
pub struct Mosaic {
    pub png: Vec<u8>,
    pub tiles: usize,
    pub columns: usize,
}

/// The first `shown` channels of one activation map (`values`: `[channels, height, width]`),
/// each as a grey tile scaled from its own minimum (black) to its maximum (white); a constant
/// channel is mid-grey.
pub fn feature_mosaic(
    values: &[f32],
    channels: usize,
    height: usize,
    width: usize,
    shown: usize,
) -> Mosaic {
    let plane = height * width;
    assert_eq!(
        values.len(),
        channels * plane,
        "[channels, height, width] values"
    );
    let tiles = shown.min(channels);
    draw(tiles, height, width, |tile| {
        let channel = &values[tile * plane..(tile + 1) * plane];
        let (lo, hi) = channel
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        channel
            .iter()
            .map(|&v| {
                let grey = if hi > lo {
                    (v - lo) / (hi - lo) * 255.0
                } else {
                    127.5
                };
                [grey.round() as u8; 3]
            })
            .collect()
    })
}

/// Convolution filters over RGB (`weights`: `[filters, 3, height, width]`), each as a colour
/// tile: mid-grey is zero, and each filter is scaled by its own largest magnitude.
pub fn filter_mosaic(weights: &[f32], filters: usize, height: usize, width: usize) -> Mosaic {
    let plane = height * width;
    assert_eq!(
        weights.len(),
        filters * 3 * plane,
        "[filters, 3, height, width] weights"
    );
    draw(filters, height, width, |tile| {
        let filter = &weights[tile * 3 * plane..(tile + 1) * 3 * plane];
        let scale = filter.iter().fold(0f32, |m, &w| m.max(w.abs())).max(1e-12);
        (0..plane)
            .map(|i| {
                std::array::from_fn(|c| {
                    (127.5 + 127.5 * filter[c * plane + i] / scale).round() as u8
                })
            })
            .collect()
    })
}

/// Lays `tiles` tiles of `height`×`width` pixels (from `tile(i)`, row-major RGB) in a near-square
/// grid.
fn draw(tiles: usize, height: usize, width: usize, tile: impl Fn(usize) -> Vec<[u8; 3]>) -> Mosaic {
    let columns = (tiles as f64).sqrt().ceil().max(1.0) as usize;
    let rows = tiles.div_ceil(columns).max(1);
    let image_width = columns * (width + GAP) - GAP;
    let image_height = rows * (height + GAP) - GAP;
    let mut image = RgbImage::from_pixel(
        image_width as u32,
        image_height as u32,
        image::Rgb(BACKGROUND),
    );
    for t in 0..tiles {
        let (x0, y0) = (
            (t % columns) * (width + GAP),
            (t / columns) * (height + GAP),
        );
        for (i, rgb) in tile(t).into_iter().enumerate() {
            let (x, y) = (x0 + i % width, y0 + i / width);
            image.put_pixel(x as u32, y as u32, image::Rgb(rgb));
        }
    }
    Mosaic {
        png: encode(&image),
        tiles,
        columns,
    }
}

fn encode(image: &RgbImage) -> Vec<u8> {
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("encoding a PNG into memory cannot fail");
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png: &[u8]) -> RgbImage {
        image::load_from_memory(png).unwrap().to_rgb8()
    }

    #[test]
    fn feature_tiles_are_scaled_per_channel_and_laid_out_in_a_grid() {
        // Five 2×2 channels → a 3×2 grid of tiles with 1 px gaps: 8×5 pixels.
        let mut values = vec![0.0; 5 * 4];
        values[..4].copy_from_slice(&[-1.0, 0.0, 0.0, 3.0]);
        values[4..8].copy_from_slice(&[7.0; 4]);
        let mosaic = feature_mosaic(&values, 5, 2, 2, 16);
        assert_eq!((mosaic.tiles, mosaic.columns), (5, 3));
        let image = decode(&mosaic.png);
        assert_eq!(image.dimensions(), (8, 5));
        assert_eq!(image.get_pixel(0, 0).0, [0; 3], "the minimum is black");
        assert_eq!(image.get_pixel(1, 1).0, [255; 3], "the maximum is white");
        assert_eq!(
            image.get_pixel(1, 0).0,
            [64; 3],
            "0 of -1..3 is a quarter up"
        );
        assert_eq!(
            image.get_pixel(3, 0).0,
            [128; 3],
            "a constant channel is mid-grey"
        );
        assert_eq!(image.get_pixel(2, 0).0, BACKGROUND, "a gap");
        assert_eq!(feature_mosaic(&values, 5, 2, 2, 2).tiles, 2);
    }

    #[test]
    fn filter_tiles_are_centred_on_grey() {
        // One 1×1 filter: red +2, green -2, blue 0.
        let mosaic = filter_mosaic(&[2.0, -2.0, 0.0], 1, 1, 1);
        assert_eq!(decode(&mosaic.png).get_pixel(0, 0).0, [255, 0, 128]);
    }

    #[test]
    fn a_record_png_round_trips() {
        let mut pixels = [0u8; IMAGE_BYTES];
        pixels[0] = 200; // red of the top-left pixel
        pixels[IMAGE_BYTES - 1] = 9; // blue of the bottom-right pixel
        let image = decode(&planar_png(&pixels));
        assert_eq!(image.get_pixel(0, 0).0, [200, 0, 0]);
        assert_eq!(image.get_pixel(31, 31).0, [0, 0, 9]);
    }
}
