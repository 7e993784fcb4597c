use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::{Airbench, Baseline, Preset};
use crate::data::CLASS_NAMES;

/// The one model type every preset, the CLI and the browser engine use.
#[derive(Module, Debug)]
pub enum Classifier {
    Airbench(Airbench),
    Baseline(Baseline),
}

impl Classifier {
    /// A freshly initialised (untrained) network of the preset.
    pub fn new(preset: Preset, device: &Device) -> Self {
        match preset.airbench_widths() {
            Some(widths) => Classifier::Airbench(Airbench::new(widths, device)),
            None => Classifier::Baseline(Baseline::new(device)),
        }
    }

    /// Which preset this network is, read off its shape.
    pub fn preset(&self) -> Preset {
        match self {
            Classifier::Airbench(net) => {
                let [width, ..] = net.head.weight.dims();
                if width == Preset::Full.airbench_widths().unwrap()[2] {
                    Preset::Full
                } else {
                    Preset::Fast
                }
            }
            Classifier::Baseline(_) => Preset::Baseline,
        }
    }

    /// Pixels in `[0, 1]`, `[n, 3, 32, 32]` → logits `[n, 10]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Classifier::Airbench(net) => net.forward(images),
            Classifier::Baseline(net) => net.forward(images),
        }
    }
}

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

/// The `k` most probable classes of one row of logits, best first.
pub fn top_k(logits: &[f32], k: usize) -> Vec<Prediction> {
    let probs = softmax(logits);
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    order
        .into_iter()
        .take(k)
        .map(|i| Prediction {
            class_index: i,
            class_name: CLASS_NAMES.get(i).copied().unwrap_or("?").to_string(),
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
