//! Turning logits into ranked classes (no Burn: the UI uses these types too).

use serde::{Deserialize, Serialize};

use crate::data::CLASS_NAMES;

/// One class and its softmax probability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub class_index: usize,
    pub class_name: String,
    pub probability: f32,
}

/// Numerically stable softmax of one row of logits.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// The `k` most probable CIFAR-10 classes of one row of logits, best first.
pub fn top_k(logits: &[f32], k: usize) -> Vec<Prediction> {
    top_k_named(logits, k, &CLASS_NAMES)
}

/// The `k` most probable classes of one row of logits, named by `classes`, best first.
pub fn top_k_named<S: AsRef<str>>(logits: &[f32], k: usize, classes: &[S]) -> Vec<Prediction> {
    let probs = softmax(logits);
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    order
        .into_iter()
        .take(k)
        .map(|i| Prediction {
            class_index: i,
            class_name: classes.get(i).map_or("?", |c| c.as_ref()).to_string(),
            probability: probs[i],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let p = softmax(&[1.0, 3.0, 2.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[1] > p[2] && p[2] > p[0]);
        // exp(3)/(e+e^3+e^2)
        assert!((p[1] - 0.665_240_9).abs() < 1e-5);
    }

    #[test]
    fn top_k_orders_by_probability() {
        let top = top_k(&[0.0, 5.0, 1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 9.0], 3);
        let names: Vec<_> = top.iter().map(|p| p.class_name.as_str()).collect();
        assert_eq!(names, ["truck", "automobile", "cat"]);
    }
}
