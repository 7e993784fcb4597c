//! Training without Burn: augmentations, the evaluation figures (confusion matrix, precision,
//! recall, F1, ROC-AUC), the run tracker (points, pace, epochs, early stopping) and the seeded
//! generator. The recipe itself: `pinhole_compute::train`.

mod augment;
mod metrics;
mod rng;
mod run_tracker;

pub use augment::{alternating_flip, flip_horizontal, translate_reflect};
pub use metrics::{ClassMetrics, Confusion, EvalReport, accuracy, per_class, roc_auc};
pub use rng::SplitMix64;
pub use run_tracker::{DivergedError, RunTracker, StepMeasure, Verdict};
