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
