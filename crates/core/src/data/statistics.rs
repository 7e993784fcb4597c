//! What a set of records looks like: how many of each class, the per-channel pixel mean and
//! standard deviation, and a few samples of each class.

use super::cifar::{CifarRecord, IMAGE_SIDE, NUM_CLASSES};

/// Records per class.
pub fn class_counts(records: &[CifarRecord]) -> [usize; NUM_CLASSES] {
    let mut counts = [0; NUM_CLASSES];
    for record in records {
        counts[record.label as usize] += 1;
    }
    counts
}

/// Mean and (population) standard deviation of each colour channel over every pixel of
/// `records`, with pixels scaled to `[0, 1]` as the model sees them.
pub fn channel_statistics(records: &[CifarRecord]) -> ([f64; 3], [f64; 3]) {
    let plane = IMAGE_SIDE * IMAGE_SIDE;
    // Exact integer sums: 50,000 records × 1,024 pixels × 255² fits easily in u64.
    let mut sum = [0u64; 3];
    let mut sum_sq = [0u64; 3];
    for record in records {
        for c in 0..3 {
            for &v in &record.pixels[c * plane..(c + 1) * plane] {
                sum[c] += v as u64;
                sum_sq[c] += (v as u64) * (v as u64);
            }
        }
    }
    let n = (records.len() * plane).max(1) as f64;
    let mut mean = [0.0; 3];
    let mut std = [0.0; 3];
    for c in 0..3 {
        let m = sum[c] as f64 / n;
        let variance = (sum_sq[c] as f64 / n - m * m).max(0.0);
        mean[c] = m / 255.0;
        std[c] = variance.sqrt() / 255.0;
    }
    (mean, std)
}

/// Indices of the first `per_class` records of each class, class by class.
pub fn samples_per_class(records: &[CifarRecord], per_class: usize) -> Vec<Vec<usize>> {
    let mut samples = vec![Vec::new(); NUM_CLASSES];
    for (i, record) in records.iter().enumerate() {
        let class = &mut samples[record.label as usize];
        if class.len() < per_class {
            class.push(i);
        }
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IMAGE_BYTES;

    fn record(label: u8, rgb: [u8; 3]) -> CifarRecord {
        let plane = IMAGE_SIDE * IMAGE_SIDE;
        let mut pixels = Box::new([0u8; IMAGE_BYTES]);
        for c in 0..3 {
            pixels[c * plane..(c + 1) * plane].fill(rgb[c]);
        }
        CifarRecord { label, pixels }
    }

    #[test]
    fn statistics_match_a_hand_computation() {
        // Red is 0 in one image and 255 in the other: mean ½, std ½. Green is 51 (0.2) in
        // both: std 0. Blue is 255 and 0.
        let records = [
            record(3, [0, 51, 255]),
            record(3, [255, 51, 0]),
            record(7, [0; 3]),
        ];
        assert_eq!(class_counts(&records[..2]), [0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
        let (mean, std) = channel_statistics(&records[..2]);
        assert!((mean[0] - 0.5).abs() < 1e-12 && (std[0] - 0.5).abs() < 1e-12);
        assert!((mean[1] - 0.2).abs() < 1e-12 && std[1].abs() < 1e-12);
        assert!((mean[2] - 0.5).abs() < 1e-12);
        assert_eq!(samples_per_class(&records, 1)[3], vec![0]);
        assert_eq!(samples_per_class(&records, 5)[7], vec![2]);
        assert!(samples_per_class(&records, 5)[0].is_empty());
    }
}
