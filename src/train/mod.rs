//! Training: the airbench-style recipe as named pieces (whitening and Dirac init, schedule,
//! augmentation, Nesterov SGD, bias group, Lookahead, checkpoints) and a loop that reports progress after every step. Plain Rust over Burn.
//! The evaluation figures (`metrics`) and augmentations are plain Rust without Burn, so the
//! page's UI can use their types too.

mod augment;
#[cfg(feature = "compute")]
mod bias_group;
#[cfg(feature = "compute")]
mod checkpoint;
#[cfg(feature = "compute")]
mod data_parallel;
#[cfg(feature = "compute")]
mod dirac;
#[cfg(feature = "compute")]
mod evaluate;
#[cfg(feature = "compute")]
mod limits;
#[cfg(feature = "compute")]
mod lookahead;
mod metrics;
#[cfg(feature = "compute")]
mod nesterov;
#[cfg(feature = "compute")]
mod recipe;
mod rng;
mod run_tracker;
#[cfg(feature = "compute")]
mod schedule;
#[cfg(feature = "compute")]
mod whitening;

pub use augment::{alternating_flip, flip_horizontal, translate_reflect};
#[cfg(feature = "compute")]
pub use bias_group::{batch_norm_bias_ids, scale_gradients};
#[cfg(feature = "compute")]
pub use checkpoint::CheckpointError;
#[cfg(feature = "compute")]
pub use data_parallel::{
    DataParallelError, GHOST_BATCH, SliceGradients, average_slices, ghost_slices, network_state,
    slice_gradients, trained_flags, with_network_state,
};
#[cfg(feature = "compute")]
pub use dirac::{dirac_init, dirac_weights};
#[cfg(feature = "compute")]
pub use evaluate::{
    EvalBatch, class_probabilities, class_probabilities_async, confusion_matrix,
    confusion_matrix_async, image_probabilities_async,
};
#[cfg(feature = "compute")]
pub use limits::{
    MAX_BATCH_SIZE, MAX_BIAS_SCALER, MAX_EPOCHS, MAX_LR, MAX_TRANSLATE, SettingsError,
};
#[cfg(feature = "compute")]
pub use lookahead::{LOOKAHEAD_EVERY, Lookahead, lookahead_decay};
pub use metrics::{ClassMetrics, Confusion, EvalReport, accuracy, per_class, roc_auc};
#[cfg(feature = "compute")]
pub use nesterov::NesterovSgd;
#[cfg(feature = "compute")]
pub use recipe::{
    BIAS_SCALER, LR, MOMENTUM, PreparedBatch, StepReport, StepTensors, TrainConfig, Trainer,
    WEIGHT_DECAY,
};
pub use rng::SplitMix64;
pub use run_tracker::{DivergedError, RunTracker, StepMeasure, Verdict};
#[cfg(feature = "compute")]
pub use schedule::LrSchedule;
#[cfg(feature = "compute")]
pub use whitening::{WHITENING_EPS, fit_whitening, patch_covariance};
