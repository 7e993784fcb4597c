use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::{Airbench, Baseline, Preset};

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

    /// Flip test-time augmentation: the mean of the logits of the images and their mirrors.
    pub fn forward_flip_tta(&self, images: Tensor<4>) -> Tensor<2> {
        let mirrored = images.clone().flip([3]);
        (self.forward(images) + self.forward(mirrored)).div_scalar(2.0)
    }
}
