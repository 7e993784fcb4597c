//! Saliency maps with Burn's autodiff: which input pixels (gradient, SmoothGrad) or which image
//! regions (Grad-CAM) moved the logit of a class. Every map is `[32, 32]`, scaled to `[0, 1]`.
//!
//! The network's weights stay on the inference device and are treated as constants; only the
//! input (or, for Grad-CAM, the last feature map) is tracked. The network is frozen first, so
//! batch norm uses its running statistics although the tracked tensor is on an autodiff device.

use burn::module::Module;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Distribution, Tensor};

use super::{Classifier, SaliencyMethod};

/// A network saliency can explain: images → a late convolutional feature map → logits.
pub trait Explainable: Module {
    /// Pixels in `[0, 1]`, `[n, 3, H, W]` → the feature map Grad-CAM weighs, `[n, C, h, w]`.
    fn feature_map(&self, images: Tensor<4>) -> Tensor<4>;
    /// That feature map → logits `[n, classes]`.
    fn head(&self, map: Tensor<4>) -> Tensor<2>;
}

impl Explainable for Classifier {
    fn feature_map(&self, images: Tensor<4>) -> Tensor<4> {
        match self {
            Classifier::Airbench(net) => net.feature_map(images),
            Classifier::Baseline(net) => net.feature_map(images),
        }
    }

    fn head(&self, map: Tensor<4>) -> Tensor<2> {
        match self {
            Classifier::Airbench(net) => net.head_from_feature_map(map),
            Classifier::Baseline(net) => net.head_from_feature_map(map),
        }
    }
}

/// The map of `method` for one image `[1, 3, H, W]` and `class`, `[H, W]` in `[0, 1]`.
pub fn saliency<M: Explainable>(
    model: &M,
    image: Tensor<4>,
    class: usize,
    method: SaliencyMethod,
) -> Tensor<2> {
    match method.clamped() {
        SaliencyMethod::Gradient => gradient_map(model, image, class),
        SaliencyMethod::SmoothGrad { samples, noise } => {
            smooth_grad_map(model, image, class, samples, noise)
        }
        SaliencyMethod::GradCam => grad_cam(model, image, class),
    }
}

/// ∂ (sum over the batch of `logit[class]`) / ∂ images: each image's own input gradient,
/// `[n, 3, H, W]`, on the inference device.
pub fn input_gradient<M: Explainable>(model: &M, images: Tensor<4>, class: usize) -> Tensor<4> {
    let frozen = model.clone().freeze();
    let images = images.autodiff().require_grad();
    let logits = frozen.head(frozen.feature_map(images.clone()));
    let score = logits.narrow(1, class, 1).sum();
    let grads = score.backward();
    images
        .grad(&grads)
        .expect("the tracked input is part of the graph")
}

/// Vanilla gradient saliency: |∂ logit / ∂ pixel|, the largest over the colour channels.
pub fn gradient_map<M: Explainable>(model: &M, image: Tensor<4>, class: usize) -> Tensor<2> {
    channel_max_abs(input_gradient(model, image, class))
}

/// SmoothGrad: the input gradient averaged over `samples` noisy copies run as one batch, then
/// |·| and the largest over the channels. `noise` is σ as a fraction of the `[0, 1]` range.
pub fn smooth_grad_map<M: Explainable>(
    model: &M,
    image: Tensor<4>,
    class: usize,
    samples: usize,
    noise: f32,
) -> Tensor<2> {
    let [_, channels, height, width] = image.dims();
    let samples = samples.max(1);
    let copies = image.repeat_dim(0, samples);
    let noisy = if noise > 0.0 {
        let device = copies.device();
        copies
            + Tensor::random(
                [samples, channels, height, width],
                Distribution::Normal(0.0, noise as f64),
                &device,
            )
    } else {
        copies
    };
    let mean = input_gradient(model, noisy, class).mean_dim(0);
    channel_max_abs(mean)
}

/// Grad-CAM: the feature map `A` ([`Explainable::feature_map`], the last conv group's first
/// convolution) weighted by its spatially averaged gradient `α_k`,
/// `ReLU(Σ_k α_k A_k)`, upsampled bilinearly to the input size.
pub fn grad_cam<M: Explainable>(model: &M, image: Tensor<4>, class: usize) -> Tensor<2> {
    let [_, _, height, width] = image.dims();
    let frozen = model.clone().freeze();
    let features = frozen.feature_map(image);
    let tracked = features.clone().autodiff().require_grad();
    let score = frozen.head(tracked.clone()).narrow(1, class, 1).sum();
    let grads = score.backward();
    let gradient = tracked
        .grad(&grads)
        .expect("the tracked feature map is part of the graph");
    let alpha = gradient.mean_dim(2).mean_dim(3); // [1, C, 1, 1]
    let cam = (features * alpha).sum_dim(1).clamp_min(0.0); // [1, 1, h, w]
    let cam = interpolate(
        cam,
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size([height, width]),
    );
    scale_to_unit(cam.reshape([height, width]))
}

/// `[1, C, H, W]` → `max_c |x|`, `[H, W]`, scaled to `[0, 1]`.
fn channel_max_abs(gradient: Tensor<4>) -> Tensor<2> {
    let [_, _, height, width] = gradient.dims();
    scale_to_unit(gradient.abs().max_dim(1).reshape([height, width]))
}

/// Divides a non-negative map by its maximum (an all-zero map stays zero).
fn scale_to_unit(map: Tensor<2>) -> Tensor<2> {
    let max = map.clone().max().clamp_min(1e-12).reshape([1, 1]);
    map / max
}
