//! Weights as `.safetensors`, the interchange format other tools read: every tensor by its path in
//! the network, and in the metadata the preset and the class names (so a loader builds the right
//! network, or refuses a file from another preset or dataset, before touching tensors).
//! Reads parameters synchronously: on WebGPU move the network to the CPU first
//! ([`super::to_device_async`]).

use burn::module::Module;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Device;

use super::class_names::{check_class_names, cifar_class_names};
use super::finite::FloatBits;
use super::weights::{WeightsError, check_names_fit, checked_f32, cifar_only, first_line};
use super::{Classifier, Network, Preset, load_network};

const PRESET_KEY: &str = "pinhole.preset";
const CLASSES_KEY: &str = "pinhole.classes";

/// Serialises a CIFAR-10 network as `.safetensors` with the preset and class names in its
/// metadata.
pub fn save_safetensors(model: &Classifier) -> Result<Vec<u8>, WeightsError> {
    save_network_safetensors(model, &cifar_class_names())
}

/// Serialises a network and its class names (one per output) as `.safetensors`.
pub fn save_network_safetensors(
    model: &Classifier,
    classes: &[String],
) -> Result<Vec<u8>, WeightsError> {
    check_names_fit(model, classes)?;
    // Merges batch norm's pending running-statistics update (see `save_weights`).
    let model = model.valid();
    let classes = serde_json::to_string(classes).map_err(|e| WeightsError::Save(e.to_string()))?;
    let mut store = SafetensorsStore::from_bytes(None)
        .metadata(PRESET_KEY, model.preset().name())
        .metadata(CLASSES_KEY, classes);
    model
        .save_into(&mut store)
        .map_err(|e| WeightsError::Save(e.to_string()))?;
    store
        .get_bytes()
        .map_err(|e| WeightsError::Save(e.to_string()))
}

/// Loads a CIFAR-10 `.safetensors` file written by [`save_safetensors`]; `name` names it in
/// errors.
pub fn load_safetensors(
    bytes: &[u8],
    name: &str,
    device: &Device,
) -> Result<Classifier, WeightsError> {
    cifar_only(load_safetensors_network(bytes, name, device)?, name)
}

/// Loads a `.safetensors` network for any classes (named in its metadata).
pub fn load_safetensors_network(
    bytes: &[u8],
    name: &str,
    device: &Device,
) -> Result<Network, WeightsError> {
    let bad = |reason: String| WeightsError::BadHeader {
        name: name.to_string(),
        reason,
    };
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| match e {
        safetensors::SafeTensorError::MetadataIncompleteBuffer
        | safetensors::SafeTensorError::HeaderTooSmall => WeightsError::Truncated {
            name: name.to_string(),
            len: bytes.len(),
        },
        other => bad(format!("not a safetensors file ({other})")),
    })?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let preset = metadata.get(PRESET_KEY).ok_or_else(|| {
        bad(format!(
            "no {PRESET_KEY} in its metadata, so not a Pinhole export"
        ))
    })?;
    let preset: Preset = preset.parse().map_err(|e| bad(format!("{e}")))?;
    let classes = metadata.get(CLASSES_KEY).ok_or_else(|| {
        bad(format!(
            "no {CLASSES_KEY} in its metadata, so its classes are unknown"
        ))
    })?;
    let classes: Vec<String> =
        serde_json::from_str(classes).map_err(|e| bad(format!("{CLASSES_KEY}: {e}")))?;
    check_class_names(&classes).map_err(|reason| WeightsError::BadClasses {
        name: name.to_string(),
        reason,
    })?;
    // Floats only, named before Burn lists every mismatch at once; and all finite.
    let tensors = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let mut non_finite = 0;
    for (tensor, view) in tensors.tensors() {
        use safetensors::Dtype;
        let bits = match view.dtype() {
            Dtype::F64 => FloatBits::F64,
            Dtype::F32 => FloatBits::F32,
            Dtype::F16 => FloatBits::F16,
            Dtype::BF16 => FloatBits::BF16,
            dtype => {
                return Err(bad(format!(
                    "tensor {tensor} is {dtype:?}; a network's weights are floats (F32, F16 or BF16)"
                )));
            }
        };
        non_finite += bits.count_non_finite(view.data());
    }
    if non_finite > 0 {
        return Err(WeightsError::NotFinite {
            name: name.to_string(),
            count: non_finite,
        });
    }
    let mut model = Classifier::with_classes(preset, classes.len(), device);
    let mut store = SafetensorsStore::from_bytes(Some(bytes.to_vec()));
    model
        .load_from(&mut store)
        .map_err(|e| WeightsError::Mismatch {
            name: name.to_string(),
            preset,
            reason: first_line(&e.to_string()),
        })?;
    // An f16 export loads as f16: widened like a compact Pinhole file, and checked for NaN.
    Ok(Network {
        model: checked_f32(model, name)?,
        classes,
    })
}

/// A CIFAR-10 weights file in either format: Pinhole's own (`PINHOLE1…`) or `.safetensors`.
pub fn load_any_weights(
    bytes: &[u8],
    name: &str,
    device: &Device,
) -> Result<Classifier, WeightsError> {
    cifar_only(load_any_network(bytes, name, device)?, name)
}

/// A weights file in either format, for any classes.
pub fn load_any_network(
    bytes: &[u8],
    name: &str,
    device: &Device,
) -> Result<Network, WeightsError> {
    if bytes.starts_with(b"PINHOLE") {
        load_network(bytes, name, device)
    } else if looks_like_safetensors(bytes) {
        load_safetensors_network(bytes, name, device)
    } else {
        Err(WeightsError::NotWeights {
            name: name.to_string(),
        })
    }
}

/// A safetensors file starts with its header length (u64, little-endian) and then `{`.
fn looks_like_safetensors(bytes: &[u8]) -> bool {
    bytes.len() >= 9 && bytes[8] == b'{'
}
