//! The airbench network in packed form: whitening conv → GELU, three groups of
//! conv → pool (→ sign) → GELU → conv → GELU, a max-pool over the last map, a linear head.

use super::conv::{Epilogue, PackedConv};
use super::pool::max_pool;
use super::winograd::WinogradConv;
use super::{Activations, PackError};

/// One conv group with its norms folded (see `model::folded`).
#[derive(Clone, Debug, PartialEq)]
pub struct PackedGroup {
    pub conv1: WinogradConv,
    pub pool: usize,
    /// −1 or 1 per channel, when some norm scale was negative.
    pub sign: Option<Vec<f32>>,
    pub conv2: WinogradConv,
}

#[derive(Clone, Debug)]
pub struct PackedAirbench {
    whiten: PackedConv,
    groups: Vec<PackedGroup>,
    head_pool: usize,
    /// `[features][classes]`, Burn's `Linear` layout.
    head: Vec<f32>,
    classes: usize,
}

impl PackedAirbench {
    pub fn new(
        whiten: PackedConv,
        groups: Vec<PackedGroup>,
        head_pool: usize,
        head: Vec<f32>,
        classes: usize,
    ) -> Result<Self, PackError> {
        let mut channels = whiten.channels_out();
        for group in &groups {
            if group.conv1.channels_in() != channels
                || group.conv2.channels_in() != group.conv1.channels_out()
                || group
                    .sign
                    .as_ref()
                    .is_some_and(|s| s.len() != group.conv1.channels_out())
                || group.pool == 0
            {
                return Err(PackError::Shape(format!(
                    "conv groups that chain, not {} channels into a group of {} → {}",
                    channels,
                    group.conv1.channels_in(),
                    group.conv2.channels_out()
                )));
            }
            channels = group.conv2.channels_out();
        }
        if classes == 0 || head.len() != channels * classes || head_pool == 0 {
            return Err(PackError::Shape(format!(
                "a head of {channels} × {classes} weights, not {}",
                head.len()
            )));
        }
        Ok(Self {
            whiten,
            groups,
            head_pool,
            head,
            classes,
        })
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Whether `other` computes the same features bit for bit (every layer but the head equal):
    /// a network taught on a backbone keeps the backbone's features.
    pub fn same_features_as(&self, other: &PackedAirbench) -> bool {
        self.whiten == other.whiten
            && self.groups == other.groups
            && self.head_pool == other.head_pool
    }

    /// Channels of the pooled features the head reads.
    pub fn feature_width(&self) -> usize {
        self.head.len() / self.classes
    }

    /// Pixels in `[0, 1]`, NHWC `[n, 32, 32, 3]` → the pooled features, `[n][width]`.
    pub fn features(&self, images: &Activations) -> Vec<f32> {
        let mut x = self.whiten.forward(images, Epilogue::Gelu);
        for group in &self.groups {
            x = group.conv1.forward(&x, Epilogue::Linear);
            x = max_pool(&x, group.pool, group.sign.as_deref(), true);
            x = group.conv2.forward(&x, Epilogue::Gelu);
        }
        max_pool(&x, self.head_pool, None, false).data
    }

    /// Pixels in `[0, 1]`, NHWC `[n, 32, 32, 3]` → logits, `[n][classes]`.
    pub fn logits(&self, images: &Activations) -> Vec<f32> {
        let width = self.feature_width();
        let features = self.features(images);
        let mut logits = vec![0.0; images.images * self.classes];
        for (f, out) in features
            .chunks_exact(width)
            .zip(logits.chunks_exact_mut(self.classes))
        {
            for (value, row) in f.iter().zip(self.head.chunks_exact(self.classes)) {
                for (o, w) in out.iter_mut().zip(row) {
                    *o += value * w;
                }
            }
        }
        logits
    }
}
