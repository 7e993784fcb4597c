//! What a network is, without Burn: the presets, class names and their checks, predictions
//! (softmax, top-k), the saliency methods, and the framing every Pinhole file kind shares. The
//! networks themselves: `pinhole_compute::model`.

pub mod class_names;
pub mod framing;
mod prediction;
mod preset;
mod saliency_method;

pub use prediction::{Prediction, softmax, top_k, top_k_named};
pub use preset::{Preset, PresetParseError};
pub use saliency_method::{
    SMOOTHGRAD_MAX_SAMPLES, SMOOTHGRAD_NOISE, SMOOTHGRAD_SAMPLES, SaliencyMethod,
};

/// Per-channel mean and standard deviation of the CIFAR-10 training pixels (in `[0, 1]`),
/// used by the model's input normalisation.
pub const CIFAR_MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];

pub const CIFAR_STD: [f32; 3] = [0.2470, 0.2435, 0.2616];
