//! Training: the airbench-style recipe as named pieces (whitening init, schedule, augmentation,
//! optimiser) and a loop that reports progress after every step. Plain Rust over Burn.

mod augment;
mod metrics;
mod recipe;
mod rng;
mod schedule;
mod whitening;

pub use augment::{flip_horizontal, translate_reflect};
pub use metrics::{ClassMetrics, Confusion, accuracy, confusion_matrix, per_class};
pub use recipe::{StepReport, TrainConfig, Trainer};
pub use rng::SplitMix64;
pub use schedule::LrSchedule;
pub use whitening::{WHITENING_EPS, fit_whitening, patch_covariance};
