//! The network: one width-parameterised airbench-style CNN (`fast`, `full`) and the classic
//! Keras-tutorial CNN (`baseline`), behind one `Classifier` type used by the CLI and the browser.

mod airbench;
mod baseline;
mod classifier;
mod preset;
mod weights;

pub use airbench::{Airbench, ConvGroup};
pub use baseline::Baseline;
pub use classifier::{Classifier, Prediction, softmax, top_k};
pub use preset::{Preset, PresetParseError};
pub use weights::{WeightsError, load_weights, save_weights};

/// Per-channel mean and standard deviation of the CIFAR-10 training pixels (in `[0, 1]`),
/// used by the model's input normalisation.
pub const CIFAR_MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
pub const CIFAR_STD: [f32; 3] = [0.2470, 0.2435, 0.2616];
