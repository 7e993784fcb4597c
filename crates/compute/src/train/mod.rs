//! Training: the airbench-style recipe as named pieces (whitening and Dirac init, schedule,
//! augmentation, Nesterov SGD, bias group, Lookahead, checkpoints) and a loop that reports
//! progress after every step. Plain Rust over Burn.
//!
//! This is the Burn half; the Burn-free half (`pinhole_core::train`) is re-exported here, so
//! `pinhole_compute::train` names the whole of it.

mod bias_group;
mod checkpoint;
mod config;
mod data_parallel;
mod dirac;
mod evaluate;
mod limits;
mod lookahead;
mod loss;
mod nesterov;
mod recipe;
mod schedule;
mod whitening;

pub use bias_group::{batch_norm_bias_ids, scale_gradients};
pub use checkpoint::CheckpointError;
pub use config::{BIAS_SCALER, LR, MOMENTUM, TrainConfig, WEIGHT_DECAY};
pub use data_parallel::{
    DataParallelError, GHOST_BATCH, SliceGradients, average_slices, ghost_slices, network_state,
    slice_gradients, trained_flags, with_network_state,
};
pub use dirac::{dirac_init, dirac_weights};
pub use evaluate::{
    EvalBatch, class_probabilities, class_probabilities_async, confusion_matrix,
    confusion_matrix_async, image_probabilities_async,
};
pub use limits::{
    MAX_BATCH_SIZE, MAX_BIAS_SCALER, MAX_EPOCHS, MAX_LR, MAX_TRANSLATE, SettingsError,
};
pub use lookahead::{LOOKAHEAD_EVERY, Lookahead, lookahead_decay};
pub use nesterov::NesterovSgd;
pub use pinhole_core::train::*;
pub use recipe::{PreparedBatch, StepReport, StepTensors, Trainer};
pub use schedule::LrSchedule;
pub use whitening::{WHITENING_EPS, fit_whitening, patch_covariance};
