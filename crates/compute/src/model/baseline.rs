//! The classic Keras-tutorial CNN: three valid 3×3 convs (32/64/128) with max-pooling, a dense
//! layer of 128 with dropout 0.5, and the classifier. A plain CNN to compare with airbench.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::airbench::normalize;

#[derive(Module, Debug)]
pub struct Baseline {
    pub convs: Vec<Conv2d>,
    pub pool: MaxPool2d,
    pub dense: Linear,
    pub dropout: Dropout,
    pub head: Linear,
}

impl Baseline {
    /// The network with `classes` outputs.
    pub fn new(classes: usize, device: &Device) -> Self {
        let convs = [(3, 32), (32, 64), (64, 128)]
            .into_iter()
            .map(|(i, o)| Conv2dConfig::new([i, o], [3, 3]).init(device))
            .collect();
        Self {
            convs,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            // 32 → 30 → 15 → 13 → 6 → 4 → 2: 128 × 2 × 2 features.
            dense: LinearConfig::new(128 * 2 * 2, 128).init(device),
            dropout: DropoutConfig::new(0.5).init(),
            head: LinearConfig::new(128, classes).init(device),
        }
    }

    /// The last convolution's activations, before its max-pool (`[n, 128, 4, 4]`): the map
    /// Grad-CAM weighs.
    pub fn feature_map(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = normalize(images);
        let (last, earlier) = self.convs.split_last().expect("three convs");
        for conv in earlier {
            x = self.pool.forward(relu(conv.forward(x)));
        }
        relu(last.forward(x))
    }

    /// [`Baseline::feature_map`] → logits.
    pub fn head_from_feature_map(&self, map: Tensor<4>) -> Tensor<2> {
        self.logits_from_features(self.features_from_feature_map(map))
    }

    /// The dense layer's activations the head reads (`[n, 128]`).
    pub fn features_from_feature_map(&self, map: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(map).flatten::<2>(1, 3);
        self.dropout.forward(relu(self.dense.forward(x)))
    }

    pub fn logits_from_features(&self, features: Tensor<2>) -> Tensor<2> {
        self.head.forward(features)
    }

    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head_from_feature_map(self.feature_map(images))
    }
}
