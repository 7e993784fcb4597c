//! The inference form of a network: the same logits with less work per image. Nothing here
//! takes gradients (saliency and training use [`Classifier`]), so:
//! - the input normalisation is folded into the first convolution (it has no padding);
//! - each batch norm is folded into the convolution before it. Between conv1 and its norm sits
//!   a max-pool: the norm's scale `s = γ/√(σ²+ε)` moves before the pool only where `s > 0`
//!   (max commutes with a positive scale; a per-channel constant commutes with any max), so a
//!   channel with `s < 0` keeps its sign as a multiply after the pool;
//! - GELU is Burn's one-pass kernel rather than the erf form autodiff needs;
//! - the head's 1/9 scale is folded into its weights.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::{BatchNorm, Dropout};
use burn::tensor::activation::{gelu, relu};
use burn::tensor::{Device, Tensor, TensorData};

use super::airbench::HEAD_SCALE;
use super::{Airbench, Baseline, CIFAR_MEAN, CIFAR_STD, Classifier};

/// A conv group with its norms folded: conv1 → pool (→ sign) → GELU → conv2 → GELU.
#[derive(Module, Debug)]
pub struct FoldedGroup {
    pub(super) conv1: Conv2d,
    pub(super) pool: MaxPool2d,
    /// −1 for the channels whose norm scale is negative, when there are any.
    pub(super) sign: Option<Param<Tensor<1>>>,
    pub(super) conv2: Conv2d,
}

#[derive(Module, Debug)]
pub struct FoldedAirbench {
    pub(super) whiten: Conv2d,
    pub(super) groups: Vec<FoldedGroup>,
    pub(super) head_pool: MaxPool2d,
    pub(super) head: Linear,
}

#[derive(Module, Debug)]
pub struct FoldedBaseline {
    convs: Vec<Conv2d>,
    pool: MaxPool2d,
    dense: Linear,
    dropout: Dropout,
    head: Linear,
}

/// The inference form of a [`Classifier`]; its logits equal the classifier's to float rounding.
#[derive(Module, Debug)]
pub enum FoldedClassifier {
    Airbench(FoldedAirbench),
    Baseline(FoldedBaseline),
}

impl FoldedClassifier {
    /// Folds `model`. The arithmetic runs on the CPU device `cpu` (a norm's signs are read
    /// there); the result is moved to `device`.
    pub fn fold(model: &Classifier, cpu: &Device, device: &Device) -> Self {
        let host = model.clone().to_device(cpu);
        let folded = match &host {
            Classifier::Airbench(net) => FoldedClassifier::Airbench(fold_airbench(net)),
            Classifier::Baseline(net) => FoldedClassifier::Baseline(fold_baseline(net)),
        };
        folded.to_device(device)
    }

    /// Pixels in `[0, 1]`, `[n, 3, 32, 32]` → logits `[n, classes]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head(self.features(images))
    }

    /// The pooled features the head reads, as [`Classifier::features`].
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            FoldedClassifier::Airbench(net) => {
                let mut x = gelu(net.whiten.forward(images));
                for group in &net.groups {
                    x = group.conv1.forward(x);
                    x = group.pool.forward(x);
                    if let Some(sign) = &group.sign {
                        let channels = sign.dims()[0];
                        x = x * sign.val().reshape([1, channels, 1, 1]);
                    }
                    x = gelu(group.conv2.forward(gelu(x)));
                }
                net.head_pool.forward(x).flatten::<2>(1, 3)
            }
            FoldedClassifier::Baseline(net) => {
                // Every conv is followed by ReLU and the pool (the last one's pool is the
                // features' own).
                let mut x = images;
                for conv in &net.convs {
                    x = net.pool.forward(relu(conv.forward(x)));
                }
                let x = x.flatten::<2>(1, 3);
                net.dropout.forward(relu(net.dense.forward(x)))
            }
        }
    }

    fn head(&self, features: Tensor<2>) -> Tensor<2> {
        match self {
            FoldedClassifier::Airbench(net) => net.head.forward(features),
            FoldedClassifier::Baseline(net) => net.head.forward(features),
        }
    }
}

fn fold_airbench(net: &Airbench) -> FoldedAirbench {
    let groups = net
        .groups
        .iter()
        .map(|group| {
            let (scale, shift) = norm_affine(&group.norm1);
            let signs = host_floats(scale.clone());
            let sign = signs.iter().any(|s| *s < 0.0).then(|| {
                let values: Vec<f32> = signs
                    .iter()
                    .map(|s| if *s < 0.0 { -1.0 } else { 1.0 })
                    .collect();
                Param::from_tensor(Tensor::from_data(
                    TensorData::new(values, [signs.len()]),
                    &scale.device(),
                ))
            });
            // conv1's output scaled by |s| pools like conv1's own; the shift follows the sign.
            let magnitude = scale.clone().abs();
            let shift = match &sign {
                Some(sign) => shift / sign.val(),
                None => shift,
            };
            let (scale2, shift2) = norm_affine(&group.norm2);
            FoldedGroup {
                conv1: scaled_conv(&group.conv1, magnitude, shift),
                pool: group.pool.clone(),
                sign,
                conv2: scaled_conv(&group.conv2, scale2, shift2),
            }
        })
        .collect();
    let head = Linear {
        weight: Param::from_tensor(net.head.weight.val().mul_scalar(HEAD_SCALE)),
        bias: None,
    };
    FoldedAirbench {
        whiten: normalizing_conv(&net.whiten),
        groups,
        head_pool: net.head_pool.clone(),
        head,
    }
}

fn fold_baseline(net: &Baseline) -> FoldedBaseline {
    let mut convs = net.convs.clone();
    convs[0] = normalizing_conv(&net.convs[0]);
    FoldedBaseline {
        convs,
        pool: net.pool.clone(),
        dense: net.dense.clone(),
        dropout: net.dropout.clone(),
        head: net.head.clone(),
    }
}

/// A batch norm in inference as `x·scale + shift` per channel.
fn norm_affine(norm: &BatchNorm) -> (Tensor<1>, Tensor<1>) {
    let inv_std = norm
        .running_var
        .value()
        .add_scalar(norm.epsilon)
        .sqrt()
        .recip();
    let scale = norm.gamma.val() * inv_std;
    let shift = norm.beta.val() - norm.running_mean.value() * scale.clone();
    (scale, shift)
}

/// `conv` followed by `x·scale + shift` per output channel, as one convolution.
fn scaled_conv(conv: &Conv2d, scale: Tensor<1>, shift: Tensor<1>) -> Conv2d {
    let out = scale.dims()[0];
    let bias = match &conv.bias {
        Some(bias) => bias.val() * scale.clone() + shift,
        None => shift,
    };
    let mut folded = conv.clone();
    folded.weight = Param::from_tensor(conv.weight.val() * scale.reshape([out, 1, 1, 1]));
    folded.bias = Some(Param::from_tensor(bias));
    folded
}

/// `conv` applied to `(x − mean) / std` (CIFAR-10's statistics), as one convolution on `x`.
/// Exact because the convolution has no padding: every tap sees a real pixel.
fn normalizing_conv(conv: &Conv2d) -> Conv2d {
    let device = conv.weight.device();
    let [out, channels, ..] = conv.weight.dims();
    let mean = Tensor::<1>::from_floats(CIFAR_MEAN, &device).reshape([1, channels, 1, 1]);
    let std = Tensor::<1>::from_floats(CIFAR_STD, &device).reshape([1, channels, 1, 1]);
    let weight = conv.weight.val() / std;
    // Σ w·mean/std over each filter's taps.
    let offset = (weight.clone() * mean)
        .sum_dim(3)
        .sum_dim(2)
        .sum_dim(1)
        .reshape([out]);
    let bias = match &conv.bias {
        Some(bias) => bias.val() - offset,
        None => offset.neg(),
    };
    let mut folded = conv.clone();
    folded.weight = Param::from_tensor(weight);
    folded.bias = Some(Param::from_tensor(bias));
    folded
}

/// A CPU tensor's values, as f32. On the CPU backend the read is ready at once, so blocking
/// on it is safe in the browser too. Empty if the read fails (callers check the length).
pub(super) fn host_floats<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    futures::executor::block_on(tensor.into_data_async())
        .ok()
        .and_then(|data| data.convert::<f32>().try_into_vec::<f32>().ok())
        .unwrap_or_default()
}
