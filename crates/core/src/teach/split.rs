//! Which samples train the head and which are held out to measure it: per class, a seeded
//! shuffle, then the held-out share (at least one sample when the class has two or more).

use crate::train::SplitMix64;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeldOutSplit {
    /// (class, index of the sample in its class) that train the head.
    pub train: Vec<(usize, usize)>,
    /// And those kept out.
    pub held_out: Vec<(usize, usize)>,
}

/// `counts[c]` samples in class `c`; `share` of each class (rounded, at least one of two or
/// more, never all) held out.
pub fn held_out_split(counts: &[usize], share: f64, seed: u64) -> HeldOutSplit {
    let mut rng = SplitMix64(seed);
    let mut split = HeldOutSplit::default();
    for (class, &n) in counts.iter().enumerate() {
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let held = if n < 2 || share <= 0.0 {
            0
        } else {
            ((n as f64 * share).round() as usize).clamp(1, n - 1)
        };
        split
            .held_out
            .extend(order[..held].iter().map(|&i| (class, i)));
        split
            .train
            .extend(order[held..].iter().map(|&i| (class, i)));
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_is_in_exactly_one_part() {
        let split = held_out_split(&[10, 1, 2, 0, 31], 0.2, 7);
        let mut all: Vec<_> = split.train.iter().chain(&split.held_out).copied().collect();
        all.sort();
        let expected: Vec<_> = [10, 1, 2, 0, 31]
            .iter()
            .enumerate()
            .flat_map(|(c, &n)| (0..n).map(move |i| (c, i)))
            .collect();
        assert_eq!(all, expected);
        let held = |c| split.held_out.iter().filter(|(k, _)| *k == c).count();
        assert_eq!((held(0), held(1), held(2), held(4)), (2, 0, 1, 6));
        assert_eq!(split, held_out_split(&[10, 1, 2, 0, 31], 0.2, 7), "seeded");
        assert!(held_out_split(&[10], 0.0, 1).held_out.is_empty());
    }
}
