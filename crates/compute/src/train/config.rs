//! The recipe's configuration: airbench94's hyper-parameters as defaults, and the one conversion
//! from what a visitor sets (page form, CLI flags) to it.

use crate::model::Preset;
use crate::protocol::TrainSettings;

// The defaults are airbench94's hyper-parameters (lr 11.5 and weight decay 0.0153 "per 1024
// examples" at momentum 0.85, on a summed loss) restated for a mean loss at batch 256: the peak
// step `lr/(1-m)` and the decay per example are airbench's. Its lr per summed example,
// 11.5/(1024·(1+1/0.15)), times 1024 is 1.5 at batch 1024, so 0.375 at 256 (linear scaling);
// its decay per step, 0.0153·1024/(1024·(1+1/0.15)) ≈ 0.002 at batch 1024, is 0.0005 per step
// of 256, i.e. lr·wd = 0.0005 and wd = 0.0005/0.375.
/// Default [`TrainConfig::lr`] at batch 256.
pub const LR: f64 = 0.375;
/// Default [`TrainConfig::momentum`].
pub const MOMENTUM: f64 = 0.85;
/// Default [`TrainConfig::weight_decay`].
pub const WEIGHT_DECAY: f32 = 0.0005 / LR as f32;
/// Default [`TrainConfig::bias_scaler`] (airbench's).
pub const BIAS_SCALER: f64 = 64.0;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub preset: Preset,
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak learning rate (reached after the warm-up).
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f32,
    pub label_smoothing: f32,
    /// Fraction of all steps spent warming up.
    pub warmup_fraction: f64,
    /// Learning rate at the first step, as a fraction of `lr` (a checkpoint from before this
    /// setting existed started at 0).
    #[serde(default)]
    pub lr_start: f64,
    /// Learning rate at the last step, as a fraction of `lr` (older checkpoints: 0).
    #[serde(default)]
    pub lr_end: f64,
    pub flip: bool,
    /// Mirror each record in alternate epochs ([`alternating_flip`](super::alternating_flip)) rather than at random each
    /// time (older checkpoints: at random).
    #[serde(default)]
    pub alternate_flip: bool,
    /// Maximum translation in pixels (0 disables it).
    pub translate: usize,
    /// Learning-rate multiplier (not weight-decay multiplier) of the batch-norm biases.
    pub bias_scaler: f64,
    /// Identity init of the first channels of each 3×3 conv.
    pub dirac: bool,
    /// Lookahead/EMA of the weights every [`LOOKAHEAD_EVERY`](super::LOOKAHEAD_EVERY) steps.
    pub lookahead: bool,
    /// Train the batch norms' scale (γ). airbench keeps it at 1 and trains only the shift; a
    /// checkpoint from before this setting existed trained it.
    #[serde(default = "trained_before")]
    pub batch_norm_scale: bool,
    /// Epochs during which the whitening conv's bias trains before it is frozen (airbench: 3);
    /// `None` trains it throughout, as checkpoints from before this setting did.
    #[serde(default)]
    pub whiten_bias_epochs: Option<usize>,
    pub seed: u64,
}

impl TrainConfig {
    pub fn new(preset: Preset) -> Self {
        TrainConfig {
            preset,
            epochs: 10,
            batch_size: 256,
            lr: LR,
            momentum: MOMENTUM,
            weight_decay: WEIGHT_DECAY,
            label_smoothing: 0.2,
            warmup_fraction: 0.23,
            lr_start: 0.2,
            lr_end: 0.07,
            flip: true,
            alternate_flip: true,
            translate: 2,
            bias_scaler: BIAS_SCALER,
            dirac: true,
            lookahead: true,
            batch_norm_scale: false,
            whiten_bias_epochs: Some(3),
            seed: 0,
        }
    }
}

/// The one conversion from what a visitor (page form or CLI flags) sets to the trainer's
/// configuration; everything else keeps the recipe's value.
impl From<&TrainSettings> for TrainConfig {
    fn from(settings: &TrainSettings) -> Self {
        TrainConfig {
            epochs: settings.epochs,
            batch_size: settings.batch_size,
            lr: settings.lr,
            label_smoothing: settings.label_smoothing,
            flip: settings.flip,
            translate: settings.translate,
            lookahead: settings.lookahead,
            seed: settings.seed,
            ..TrainConfig::new(settings.preset)
        }
    }
}

pub(super) fn trained_before() -> bool {
    true
}
