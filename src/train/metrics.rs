//! Evaluation on labelled records (synchronous read-backs: native and CPU only).

use burn::tensor::Device;

use crate::data::{CifarRecord, NUM_CLASSES, images_to_tensor};
use crate::model::Classifier;

/// `confusion[true][predicted]` counts.
pub type Confusion = [[usize; NUM_CLASSES]; NUM_CLASSES];

/// Runs `model` over `records` in batches and counts (true, predicted) pairs.
pub fn confusion_matrix(
    model: &Classifier,
    records: &[CifarRecord],
    batch_size: usize,
    device: &Device,
) -> Result<Confusion, String> {
    let mut confusion = [[0usize; NUM_CLASSES]; NUM_CLASSES];
    for chunk in records.chunks(batch_size.max(1)) {
        let images = images_to_tensor(chunk.iter().map(|r| &*r.pixels), device);
        let predicted = model
            .forward(images)
            .argmax(1)
            .flatten::<1>(0, 1)
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .map_err(|e| format!("unexpected predictions: {e:?}"))?;
        for (record, class) in chunk.iter().zip(predicted) {
            confusion[record.label as usize][class as usize] += 1;
        }
    }
    Ok(confusion)
}

/// Fraction of the diagonal.
pub fn accuracy(confusion: &Confusion) -> f64 {
    let total: usize = confusion.iter().flatten().sum();
    let correct: usize = (0..NUM_CLASSES).map(|c| confusion[c][c]).sum();
    correct as f64 / total.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_is_the_diagonal_share() {
        let mut c = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        c[0][0] = 3;
        c[1][2] = 1;
        assert_eq!(accuracy(&c), 0.75);
    }
}
