//! The network: one width-parameterised airbench-style CNN (`fast`, `full`) and the classic
//! Keras-tutorial CNN (`baseline`), behind one `Classifier` type used by the CLI and the browser.

#[cfg(feature = "compute")]
mod airbench;
#[cfg(feature = "compute")]
mod anatomy;
#[cfg(feature = "compute")]
mod baseline;
pub mod class_names;
#[cfg(feature = "compute")]
mod classifier;
#[cfg(feature = "compute")]
mod finite;
#[cfg(feature = "compute")]
mod folded;
pub(crate) mod framing;
#[cfg(feature = "compute")]
mod network;
#[cfg(feature = "compute")]
pub use pinhole_packed as packed;
#[cfg(feature = "compute")]
mod packing;
mod prediction;
mod preset;
#[cfg(feature = "compute")]
mod readback;
#[cfg(feature = "compute")]
mod safetensors_format;
#[cfg(feature = "compute")]
mod saliency;
mod saliency_method;
#[cfg(feature = "compute")]
mod transfer;
#[cfg(feature = "compute")]
mod weights;

#[cfg(feature = "compute")]
pub use airbench::{Airbench, ConvGroup, gelu};
#[cfg(feature = "compute")]
pub use anatomy::{FirstLayer, LayerTrace};
#[cfg(feature = "compute")]
pub use baseline::Baseline;
#[cfg(feature = "compute")]
pub use classifier::Classifier;
#[cfg(feature = "compute")]
pub use folded::FoldedClassifier;
#[cfg(feature = "compute")]
pub use network::Network;
#[cfg(feature = "compute")]
pub use packed::{PackError, PackedAirbench};
pub use prediction::{Prediction, softmax, top_k, top_k_named};
pub use preset::{Preset, PresetParseError};
#[cfg(feature = "compute")]
pub use readback::{ReadbackError, read_floats, read_ints, read_scalar};
#[cfg(feature = "compute")]
pub use safetensors_format::{
    load_any_network, load_any_weights, load_safetensors, load_safetensors_network,
    save_network_safetensors, save_safetensors,
};
#[cfg(feature = "compute")]
pub use saliency::{
    Explainable, grad_cam, gradient_map, input_gradient, saliency, smooth_grad_map,
};
pub use saliency_method::{
    SMOOTHGRAD_MAX_SAMPLES, SMOOTHGRAD_NOISE, SMOOTHGRAD_SAMPLES, SaliencyMethod,
};
#[cfg(feature = "compute")]
pub use transfer::to_device_async;
#[cfg(feature = "compute")]
pub use weights::{
    Precision, WeightsError, load_network, load_weights, save_network_as, save_weights,
    save_weights_as,
};

/// Per-channel mean and standard deviation of the CIFAR-10 training pixels (in `[0, 1]`),
/// used by the model's input normalisation.
pub const CIFAR_MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
pub const CIFAR_STD: [f32; 3] = [0.2470, 0.2435, 0.2616];
