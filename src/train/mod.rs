//! Training: the airbench-style recipe as named pieces (whitening and Dirac init, schedule,
//! augmentation, bias group, Lookahead, checkpoints) and a loop that reports progress after every step. Plain Rust over Burn.

mod augment;
mod bias_group;
mod checkpoint;
mod dirac;
mod lookahead;
mod metrics;
mod recipe;
mod rng;
mod schedule;
mod whitening;

pub use augment::{flip_horizontal, translate_reflect};
pub use bias_group::{batch_norm_bias_ids, scale_gradients};
pub use checkpoint::CheckpointError;
pub use dirac::{dirac_init, dirac_weights};
pub use lookahead::{LOOKAHEAD_EVERY, Lookahead, lookahead_decay};
pub use metrics::{
    ClassMetrics, Confusion, accuracy, confusion_matrix, confusion_matrix_async, per_class,
};
pub use recipe::{BIAS_SCALER, StepReport, StepTensors, TrainConfig, Trainer};
pub use rng::SplitMix64;
pub use schedule::LrSchedule;
pub use whitening::{WHITENING_EPS, fit_whitening, patch_covariance};
