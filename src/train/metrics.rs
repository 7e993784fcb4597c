//! Evaluation on labelled records. The read-backs are asynchronous (the browser's WebGPU cannot
//! block); natively `confusion_matrix` simply waits for them.

use burn::tensor::Device;

use crate::data::{CifarRecord, NUM_CLASSES, images_to_tensor};
use crate::model::Classifier;

/// `confusion[true][predicted]` counts.
pub type Confusion = [[usize; NUM_CLASSES]; NUM_CLASSES];

/// Runs `model` over `records` in batches and counts (true, predicted) pairs; `tta`
/// averages the logits over flipped and shifted copies ([`Classifier::forward_tta`]).
pub fn confusion_matrix(
    model: &Classifier,
    records: &[CifarRecord],
    batch_size: usize,
    tta: bool,
    device: &Device,
) -> Result<Confusion, String> {
    futures::executor::block_on(confusion_matrix_async(
        model, records, batch_size, tta, device,
    ))
}

/// [`confusion_matrix`] with asynchronous read-backs.
pub async fn confusion_matrix_async(
    model: &Classifier,
    records: &[CifarRecord],
    batch_size: usize,
    tta: bool,
    device: &Device,
) -> Result<Confusion, String> {
    let mut confusion = [[0usize; NUM_CLASSES]; NUM_CLASSES];
    for chunk in records.chunks(batch_size.max(1)) {
        let images = images_to_tensor(chunk.iter().map(|r| &*r.pixels), device);
        let logits = if tta {
            model.forward_tta(images)
        } else {
            model.forward(images)
        };
        let predicted = logits
            .argmax(1)
            .flatten::<1>(0, 1)
            .into_data_async()
            .await
            .map_err(|e| format!("predictions could not be read: {e:?}"))?
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

/// Precision, recall and F1 of one class (one-vs-rest), from a confusion matrix.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Records whose true class this is.
    pub support: usize,
}

/// Per-class metrics; a class never predicted has precision 0 (and F1 0), as scikit-learn does.
pub fn per_class(confusion: &Confusion) -> Vec<ClassMetrics> {
    (0..NUM_CLASSES)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..NUM_CLASSES).map(|t| confusion[t][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let ratio = |n: f64, d: usize| if d == 0 { 0.0 } else { n / d as f64 };
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassMetrics {
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_class_metrics_match_a_hand_computation() {
        // Class 0: 8 right, 2 called class 1. Class 1: 5 right, 5 called class 0.
        let mut c = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        c[0][0] = 8;
        c[0][1] = 2;
        c[1][1] = 5;
        c[1][0] = 5;
        let m = per_class(&c);
        // Class 0: precision 8/13, recall 8/10, F1 = 2·(8/13)(8/10)/((8/13)+(8/10)) = 16/23.
        assert!((m[0].precision - 8.0 / 13.0).abs() < 1e-12);
        assert!((m[0].recall - 0.8).abs() < 1e-12);
        assert!((m[0].f1 - 16.0 / 23.0).abs() < 1e-12);
        // Class 1: precision 5/7, recall 1/2, F1 = 10/17.
        assert!((m[1].f1 - 10.0 / 17.0).abs() < 1e-12);
        assert_eq!(m[1].support, 10);
        // A class with no records and no predictions.
        assert_eq!(m[5].f1, 0.0);
        assert_eq!(m[5].support, 0);
    }

    #[test]
    fn accuracy_is_the_diagonal_share() {
        let mut c = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        c[0][0] = 3;
        c[1][2] = 1;
        assert_eq!(accuracy(&c), 0.75);
    }
}
