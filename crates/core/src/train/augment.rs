//! Augmentations on planar 32×32 RGB bytes, before the pixels become tensors.

use super::rng::SplitMix64;
use crate::data::{IMAGE_BYTES, IMAGE_SIDE};

/// airbench's alternating flip: whether `record` is mirrored in `epoch` of a run seeded `seed`.
/// Each record is mirrored at random (a hash of seed and record, so nothing to store or
/// checkpoint) in even epochs and the other way in odd ones, so every pair of epochs shows both
/// views of every image; independent coin flips show a quarter of them only one way.
pub fn alternating_flip(seed: u64, record: usize, epoch: usize) -> bool {
    let mut hash = SplitMix64(seed ^ (record as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let mirrored_in_even_epochs = hash.next_u64() & 1 == 1;
    mirrored_in_even_epochs ^ (epoch % 2 == 1)
}

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
    fn alternating_flip_mirrors_each_record_in_exactly_one_of_two_epochs() {
        for epoch in [0, 2, 6] {
            assert!(
                (0..1000)
                    .all(|r| alternating_flip(7, r, epoch) != alternating_flip(7, r, epoch + 1))
            );
            assert!((0..1000).all(|r| alternating_flip(7, r, epoch) == alternating_flip(7, r, 0)));
        }
        // About half are mirrored in any epoch, and which half depends on the seed.
        let mirrored = (0..1000).filter(|&r| alternating_flip(7, r, 0)).count();
        assert!(
            (450..=550).contains(&mirrored),
            "{mirrored} of 1000 mirrored"
        );
        let same = (0..1000)
            .filter(|&r| alternating_flip(7, r, 0) == alternating_flip(8, r, 0))
            .count();
        assert!(
            (400..=600).contains(&same),
            "seeds 7 and 8 agree on {same} of 1000"
        );
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
