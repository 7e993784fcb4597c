//! The airbench-style network (after KellerJordan/cifar10-airbench): a frozen 2×2 whitening
//! conv, three conv groups and a max-pooled linear head.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

use super::{CIFAR_MEAN, CIFAR_STD};

/// Channels out of the whitening conv: 12 eigen-directions of the 2×2×3 patches, each ±.
pub const WHITENING_CHANNELS: usize = 24;
/// airbench scales the logits down by 1/9 so that the head trains at the shared learning rate.
pub(crate) const HEAD_SCALE: f64 = 1.0 / 9.0;
/// airbench's batch-norm momentum (PyTorch convention: weight of the new batch statistics).
const BN_MOMENTUM: f64 = 0.4;
const BN_EPSILON: f64 = 1e-12;

/// conv3×3 → max-pool 2 → batch-norm → GELU → conv3×3 → batch-norm → GELU.
#[derive(Module, Debug)]
pub struct ConvGroup {
    pub conv1: Conv2d,
    pub pool: MaxPool2d,
    pub norm1: BatchNorm,
    pub conv2: Conv2d,
    pub norm2: BatchNorm,
}

impl ConvGroup {
    pub fn new(channels_in: usize, channels_out: usize, device: &Device) -> Self {
        let conv = |c_in| {
            Conv2dConfig::new([c_in, channels_out], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device)
        };
        let norm = || {
            BatchNormConfig::new(channels_out)
                .with_momentum(BN_MOMENTUM)
                .with_epsilon(BN_EPSILON)
                .init(device)
        };
        Self {
            conv1: conv(channels_in),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            norm1: norm(),
            conv2: conv(channels_out),
            norm2: norm(),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.after_conv1(self.conv1.forward(x))
    }

    /// Everything after the first conv: pool, norm, GELU, the second conv, norm, GELU.
    pub fn after_conv1(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.pool.forward(x);
        let x = gelu(self.norm1.forward(x));
        let x = self.conv2.forward(x);
        gelu(self.norm2.forward(x))
    }
}

#[derive(Module, Debug)]
pub struct Airbench {
    /// 2×2 conv, no padding (32 → 31); its weight is set from patch statistics and not trained.
    pub whiten: Conv2d,
    pub groups: Vec<ConvGroup>,
    /// Max-pool over the final 3×3 map.
    pub head_pool: MaxPool2d,
    pub head: Linear,
}

impl Airbench {
    /// A network of the given conv widths with `classes` outputs.
    pub fn new(widths: [usize; 3], classes: usize, device: &Device) -> Self {
        let whiten = Conv2dConfig::new([3, WHITENING_CHANNELS], [2, 2]).init(device);
        let mut channels_in = WHITENING_CHANNELS;
        let groups = widths
            .iter()
            .map(|&w| {
                let group = ConvGroup::new(channels_in, w, device);
                channels_in = w;
                group
            })
            .collect();
        Self {
            whiten,
            groups,
            head_pool: MaxPool2dConfig::new([3, 3]).init(),
            head: LinearConfig::new(widths[2], classes)
                .with_bias(false)
                .init(device),
        }
    }

    /// Pixels in `[0, 1]`, `[n, 3, 32, 32]` → logits `[n, 10]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head_from_feature_map(self.feature_map(images))
    }

    /// The last conv group's first convolution, before its max-pool (`[n, C, 7, 7]`): the map
    /// Grad-CAM weighs. The group's own output is 3×3, too coarse to point at an object.
    pub fn feature_map(&self, images: Tensor<4>) -> Tensor<4> {
        let x = normalize(images);
        let mut x = gelu(self.whiten.forward(x));
        let (last, earlier) = self.groups.split_last().expect("three conv groups");
        for group in earlier {
            x = group.forward(x);
        }
        last.conv1.forward(x)
    }

    /// [`Airbench::feature_map`] → logits.
    pub fn head_from_feature_map(&self, map: Tensor<4>) -> Tensor<2> {
        self.logits_from_features(self.features_from_feature_map(map))
    }

    /// The pooled features the head reads (`[n, width]`): what a new head learns from.
    pub fn features_from_feature_map(&self, map: Tensor<4>) -> Tensor<2> {
        let last = self.groups.last().expect("three conv groups");
        let x = last.after_conv1(map);
        self.head_pool.forward(x).flatten::<2>(1, 3)
    }

    /// Features → logits: the head, scaled as airbench scales it.
    pub fn logits_from_features(&self, features: Tensor<2>) -> Tensor<2> {
        self.head.forward(features).mul_scalar(HEAD_SCALE)
    }
}

/// GELU, `x·Φ(x) = x·(1 + erf(x/√2))/2`, written out so that autodiff differentiates it through
/// `erf` (whose derivative, `2/√π·e^(−z²)`, cannot overflow). Burn's fused `gelu` has the same
/// forward but a tanh-based backward: `tanh` of its cubic argument overflows to NaN for large
/// inputs on some WebGPU implementations (SwiftShader), and whitened images reach about ±28.
pub fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let cdf = x
        .clone()
        .div_scalar(std::f64::consts::SQRT_2)
        .erf()
        .add_scalar(1.0);
    (x * cdf).div_scalar(2.0)
}

/// `(x - mean) / std` per channel, with the CIFAR-10 training statistics.
pub(crate) fn normalize(images: Tensor<4>) -> Tensor<4> {
    let device = images.device();
    let mean = Tensor::<1>::from_floats(CIFAR_MEAN, &device).reshape([1, 3, 1, 1]);
    let std = Tensor::<1>::from_floats(CIFAR_STD, &device).reshape([1, 3, 1, 1]);
    (images - mean) / std
}
