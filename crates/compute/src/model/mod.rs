//! The network: one width-parameterised airbench-style CNN (`fast`, `full`) and the classic
//! Keras-tutorial CNN (`baseline`), behind one `Classifier` type used by the CLI and the browser.
//!
//! This is the Burn half; the Burn-free half (`pinhole_core::model`) is re-exported here, so
//! `pinhole_compute::model` names the whole of it.

mod airbench;
mod anatomy;
mod baseline;
mod classifier;
mod finite;
mod folded;
mod network;

pub use pinhole_packed as packed;

mod packing;
mod readback;
mod safetensors_format;
mod saliency;
mod transfer;
mod weights;

pub use airbench::{Airbench, ConvGroup, gelu};
pub use anatomy::{FirstLayer, LayerTrace};
pub use baseline::Baseline;
pub use classifier::Classifier;
pub use folded::FoldedClassifier;
pub use network::Network;
pub use packed::{PackError, PackedAirbench};
pub use pinhole_core::model::*;
pub use readback::{ReadbackError, read_floats, read_ints, read_scalar};
pub use safetensors_format::{
    load_any_network, load_any_weights, load_safetensors, load_safetensors_network,
    save_network_safetensors, save_safetensors,
};
pub use saliency::{
    Explainable, grad_cam, gradient_map, input_gradient, saliency, smooth_grad_map,
};
pub use transfer::to_device_async;
pub use weights::{
    Precision, WeightsError, load_network, load_weights, save_network_as, save_weights,
    save_weights_as,
};
