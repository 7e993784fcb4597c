//! Teach without Burn: a visitor's classes and samples (96×96 RGB), their limits, the settings,
//! the held-out split, the report and the project file that holds it all. Teaching a head:
//! `pinhole_compute::teach`.

pub mod classes;
mod project;
mod project_file;
mod report;
mod settings;
mod split;

pub use classes::ClassesError;
pub use project::{ClassGone, EditError, Project, ProjectClass, ProjectHead, Sample};
pub use project_file::{MAX_PROJECT_FILE_BYTES, PROJECT_FORMAT_VERSION, ProjectError};
pub use report::{ClassScore, TeachPoint, TeachReport};
pub use settings::{TeachSettings, TeachSettingsError};
pub use split::{HeldOutSplit, held_out_split};

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
