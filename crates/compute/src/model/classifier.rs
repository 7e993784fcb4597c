use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use super::{Airbench, Baseline, Preset};
use crate::data::NUM_CLASSES;

/// The one model type every preset, the CLI and the browser engine use.
#[derive(Module, Debug)]
pub enum Classifier {
    Airbench(Airbench),
    Baseline(Baseline),
}

impl Classifier {
    /// A freshly initialised (untrained) network of the preset, for CIFAR-10's ten classes.
    pub fn new(preset: Preset, device: &Device) -> Self {
        Self::with_classes(preset, NUM_CLASSES, device)
    }

    /// A freshly initialised network of the preset with `classes` outputs.
    pub fn with_classes(preset: Preset, classes: usize, device: &Device) -> Self {
        match preset.airbench_widths() {
            Some(widths) => Classifier::Airbench(Airbench::new(widths, classes, device)),
            None => Classifier::Baseline(Baseline::new(classes, device)),
        }
    }

    /// How many classes the network tells apart (its head's outputs).
    pub fn num_classes(&self) -> usize {
        self.head().weight.dims()[1]
    }

    /// How many features its head reads.
    pub fn num_features(&self) -> usize {
        self.head().weight.dims()[0]
    }

    fn head(&self) -> &Linear {
        match self {
            Classifier::Airbench(net) => &net.head,
            Classifier::Baseline(net) => &net.head,
        }
    }

    /// The features the head reads (`[n, num_features]`): the backbone's view of each image.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Classifier::Airbench(net) => net.features_from_feature_map(net.feature_map(images)),
            Classifier::Baseline(net) => net.features_from_feature_map(net.feature_map(images)),
        }
    }

    /// Features → logits through the head.
    pub fn logits_from_features(&self, features: Tensor<2>) -> Tensor<2> {
        match self {
            Classifier::Airbench(net) => net.logits_from_features(features),
            Classifier::Baseline(net) => net.logits_from_features(features),
        }
    }

    /// The factor the head's output is multiplied by (airbench scales its logits by 1/9).
    pub fn head_scale(&self) -> f64 {
        match self {
            Classifier::Airbench(_) => super::airbench::HEAD_SCALE,
            Classifier::Baseline(_) => 1.0,
        }
    }

    /// This backbone with a new head of weight `[num_features, classes]` (a head trained on
    /// [`Classifier::features`]); a head with a bias gets a zero bias of the new size.
    pub fn with_head(self, weight: Tensor<2>) -> Self {
        let head = |old: Linear| {
            let classes = weight.dims()[1];
            let bias = old
                .bias
                .map(|_| Param::from_tensor(Tensor::zeros([classes], &weight.device())));
            Linear {
                weight: Param::from_tensor(weight),
                bias,
            }
        };
        match self {
            Classifier::Airbench(mut net) => {
                net.head = head(net.head);
                Classifier::Airbench(net)
            }
            Classifier::Baseline(mut net) => {
                net.head = head(net.head);
                Classifier::Baseline(net)
            }
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

    /// Test-time augmentation (airbench's flip + translate): the mean of the logits of the image
    /// and its mirror (weight ½ together) and of both shifted one pixel up-left and down-right
    /// with reflect padding (¼ together).
    pub fn forward_tta(&self, images: Tensor<4>) -> Tensor<2> {
        let plain = self.forward(images.clone());
        self.forward_tta_from(plain, images)
    }

    /// [`Classifier::forward_tta`] given the images' plain logits (`forward(images)`), so that
    /// an evaluation wanting both runs the network once less.
    pub fn forward_tta_from(&self, plain: Tensor<2>, images: Tensor<4>) -> Tensor<2> {
        let both = |x: Tensor<4>| self.forward(x.clone()) + self.forward(x.flip([3]));
        let centre = plain + self.forward(images.clone().flip([3]));
        let shifted = both(shift_reflect(images.clone(), 1)) + both(shift_reflect(images, -1));
        centre.mul_scalar(0.25) + shifted.mul_scalar(0.125)
    }
}

/// `out[y][x] = in[y + d][x + d]` for `d = ±1`, reflecting at the border.
fn shift_reflect(images: Tensor<4>, d: isize) -> Tensor<4> {
    let mut x = images;
    for dim in [2, 3] {
        let n = x.dims()[dim];
        x = if d > 0 {
            Tensor::cat(
                vec![x.clone().narrow(dim, 1, n - 1), x.narrow(dim, n - 2, 1)],
                dim,
            )
        } else {
            Tensor::cat(
                vec![x.clone().narrow(dim, 1, 1), x.narrow(dim, 0, n - 1)],
                dim,
            )
        };
    }
    x
}
