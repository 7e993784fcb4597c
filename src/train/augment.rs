//! Augmentations on planar 32×32 RGB bytes, before the pixels become tensors.

use crate::data::{IMAGE_BYTES, IMAGE_SIDE};

/// Mirror left–right.
pub fn flip_horizontal(pixels: &[u8; IMAGE_BYTES]) -> [u8; IMAGE_BYTES] {
    let mut out = [0u8; IMAGE_BYTES];
    for (src_row, dst_row) in pixels
        .chunks_exact(IMAGE_SIDE)
        .zip(out.chunks_exact_mut(IMAGE_SIDE))
    {
        for (x, value) in src_row.iter().enumerate() {
            dst_row[IMAGE_SIDE - 1 - x] = *value;
        }
    }
    out
}

/// Shift by (`dx`, `dy`) pixels, filling the border by reflection (as a reflect-padded random
/// crop does).
pub fn translate_reflect(pixels: &[u8; IMAGE_BYTES], dx: isize, dy: isize) -> [u8; IMAGE_BYTES] {
    let n = IMAGE_SIDE as isize;
    let reflect = |v: isize| -> usize {
        let v = if v < 0 { -v } else { v };
        (if v >= n { 2 * (n - 1) - v } else { v }) as usize
    };
    let mut out = [0u8; IMAGE_BYTES];
    let plane = IMAGE_SIDE * IMAGE_SIDE;
    for c in 0..3 {
        for y in 0..IMAGE_SIDE {
            let sy = reflect(y as isize - dy);
            for x in 0..IMAGE_SIDE {
                let sx = reflect(x as isize - dx);
                out[c * plane + y * IMAGE_SIDE + x] = pixels[c * plane + sy * IMAGE_SIDE + sx];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> [u8; IMAGE_BYTES] {
        let mut p = [0u8; IMAGE_BYTES];
        for (i, v) in p.iter_mut().enumerate() {
            *v = (i % IMAGE_SIDE) as u8 + 100 * (i / (IMAGE_SIDE * IMAGE_SIDE)) as u8;
        }
        p
    }

    #[test]
    fn flip_mirrors_each_row_and_is_its_own_inverse() {
        let p = ramp();
        let f = flip_horizontal(&p);
        assert_eq!(f[0], 31);
        assert_eq!(f[1024 + 31], 100);
        assert_eq!(flip_horizontal(&f), p);
    }

    #[test]
    fn translate_shifts_and_reflects_at_the_border() {
        let p = ramp(); // value = x in the red plane
        let t = translate_reflect(&p, 2, 0);
        assert_eq!(&t[..5], &[2, 1, 0, 1, 2]);
        assert_eq!(t[31], 29);
        assert_eq!(translate_reflect(&p, 0, 0), p);
    }
}
