//! Teach: a visitor's own classes. Samples (96×96 RGB) per class, a new linear head trained on
//! the frozen features of a shipped CIFAR-10 backbone (features computed once per sample and
//! view), held-out accuracy and a confusion matrix, and the project file that holds it all.
//! Plain Rust over Burn: the engine, the CLI (`pinhole teach`) and the tests run the same code.

#[cfg(feature = "compute")]
mod head;
mod project;
mod report;
mod settings;
mod split;
#[cfg(feature = "compute")]
mod teacher;

#[cfg(feature = "compute")]
pub use head::{HeadFit, fit_head};
pub use project::{
    MAX_PROJECT_FILE_BYTES, PROJECT_FORMAT_VERSION, Project, ProjectClass, ProjectError,
    ProjectHead,
};
pub use report::{ClassScore, TeachPoint, TeachReport};
pub use settings::{TeachSettings, TeachSettingsError};
pub use split::{HeldOutSplit, held_out_split};
#[cfg(feature = "compute")]
pub use teacher::{Taught, TeachError, TeachProgress, teach, teach_with};

/// Side of a stored sample, in pixels: room for a model input larger than 32×32 later.
pub const SAMPLE_SIDE: usize = 96;
/// A sample's bytes: interleaved RGB, row by row.
pub const SAMPLE_BYTES: usize = SAMPLE_SIDE * SAMPLE_SIDE * 3;
/// A project has at most this many classes.
pub const MAX_TEACH_CLASSES: usize = 20;
/// And at most this many samples a class (about 8 MB of samples at 96×96).
pub const MAX_CLASS_SAMPLES: usize = 300;
/// Fewer samples than this in a class gets a warning: its held-out accuracy says little.
pub const FEW_SAMPLES: usize = 10;
