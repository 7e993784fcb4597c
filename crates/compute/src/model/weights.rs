//! Weights files: a small JSON header naming the preset and classes, then Burn's burnpack
//! record. The header lets a loader build the right network (and reject a wrong file) before
//! touching tensors.
//!
//! Layout: `PINHOLE1` | header length (u32 little-endian) | header JSON | burnpack bytes.
//! Each tensor keeps its own dtype in the burnpack: f32, or f16 for the kernels and matrices of
//! a compact file ([`Precision::Half`]). Loading casts them back to f32 on the loading device
//! (the engine loads on the CPU and moves the network from there).

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Bytes, DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use super::class_names::{ClassNamesError, check_class_names, cifar_class_names};
use super::finite::FloatBits;
use super::framing::{FrameError, frame, unframe};
use super::{Classifier, Network, Preset};

const MAGIC: &[u8; 8] = b"PINHOLE1";

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    preset: Preset,
    classes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{name}: not a Pinhole weights file (it does not start with PINHOLE1)")]
    NotWeights { name: String },
    #[error("{name}: the file is truncated ({len} bytes)")]
    Truncated { name: String, len: usize },
    #[error("{name}: unreadable header: {reason}")]
    BadHeader { name: String, reason: String },
    #[error("{name}: weights are for classes {found:?}, not CIFAR-10's")]
    WrongClasses { name: String, found: Vec<String> },
    #[error("{name}: its class names are not usable: {reason}")]
    BadClasses {
        name: String,
        reason: ClassNamesError,
    },
    #[error("{name}: it names {named} classes but its network has {outputs} outputs")]
    ClassCount {
        name: String,
        named: usize,
        outputs: usize,
    },
    #[error("{name}: tensors do not fit the {preset} network: {reason}")]
    Mismatch {
        name: String,
        preset: Preset,
        reason: String,
    },
    #[error(
        "{name}: a tensor is stored as {dtype}; a network's weights are floats (F32, F16 or BF16)"
    )]
    NotFloat { name: String, dtype: String },
    #[error(
        "{name}: {count} of the network's values are NaN or infinite, so it cannot predict; the file is corrupt or its training diverged"
    )]
    NotFinite { name: String, count: usize },
    #[error("cannot serialise weights: {0}")]
    Save(String),
}

/// How a weights file stores the network's floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Every tensor as f32: exact (training checkpoints, the tab's own weights).
    Full,
    /// Conv kernels and linear matrices (almost all of the bytes) as f16; biases, batch-norm
    /// parameters and running statistics stay f32, since a running variance can underflow f16.
    Half,
}

/// Serialises the network exactly ([`Precision::Full`]).
pub fn save_weights(model: Classifier) -> Result<Vec<u8>, WeightsError> {
    save_weights_as(model, Precision::Full)
}

/// Serialises a CIFAR-10 network (reads parameters back synchronously: native or CPU only).
pub fn save_weights_as(model: Classifier, precision: Precision) -> Result<Vec<u8>, WeightsError> {
    save_network_as(model, &cifar_class_names(), precision)
}

/// Serialises a network with its class names, one per output.
pub fn save_network_as(
    model: Classifier,
    classes: &[String],
    precision: Precision,
) -> Result<Vec<u8>, WeightsError> {
    check_names_fit(&model, classes)?;
    let header = Header {
        preset: model.preset(),
        classes: classes.to_vec(),
    };
    // Burn's batch norm keeps its last running-statistics update pending (per thread) until the
    // module is switched to inference, and records read the value without it; switching a copy
    // merges the pending update into the state the model shares, so the record holds it.
    let _ = model.valid();
    let model = match precision {
        Precision::Full => model,
        Precision::Half => model.map(&mut HalveMatrices),
    };
    let record = model
        .into_record()
        .into_bytes()
        .map_err(|e| WeightsError::Save(e.to_string()))?;
    frame(MAGIC, &header, &[&record]).map_err(|e| WeightsError::Save(e.to_string()))
}

/// Builds the CIFAR-10 network the file describes on `device` and loads its parameters; a file
/// for other classes is refused. `name` names the input in errors.
pub fn load_weights(bytes: &[u8], name: &str, device: &Device) -> Result<Classifier, WeightsError> {
    cifar_only(load_network(bytes, name, device)?, name)
}

/// One class name per output of the network, or a save error saying how they differ.
pub(crate) fn check_names_fit(model: &Classifier, classes: &[String]) -> Result<(), WeightsError> {
    if classes.len() == model.num_classes() {
        return Ok(());
    }
    Err(WeightsError::Save(format!(
        "{} class names for a network of {} outputs",
        classes.len(),
        model.num_classes()
    )))
}

/// The network if it classifies CIFAR-10 (training, checkpoints and evaluation need that).
pub(crate) fn cifar_only(network: Network, name: &str) -> Result<Classifier, WeightsError> {
    if network.is_cifar() {
        Ok(network.model)
    } else {
        Err(WeightsError::WrongClasses {
            name: name.into(),
            found: network.classes,
        })
    }
}

/// Builds the network the file describes (any classes) on `device` and loads its parameters.
pub fn load_network(bytes: &[u8], name: &str, device: &Device) -> Result<Network, WeightsError> {
    let name = name.to_string();
    let (header, record): (Header, _) = unframe(bytes, MAGIC).map_err(|e| match e {
        FrameError::WrongMagic => WeightsError::NotWeights { name: name.clone() },
        FrameError::Truncated => WeightsError::Truncated {
            name: name.clone(),
            len: bytes.len(),
        },
        FrameError::BadHeader(reason) => WeightsError::BadHeader {
            name: name.clone(),
            reason,
        },
    })?;
    check_class_names(&header.classes).map_err(|reason| WeightsError::BadClasses {
        name: name.clone(),
        reason,
    })?;
    let preset = header.preset;
    let mismatch = |reason: String| WeightsError::Mismatch {
        name: name.clone(),
        preset,
        reason,
    };
    // Every tensor a float, checked from the burnpack's own listing: Burn's loader panics on a
    // float parameter whose stored dtype is an integer.
    let listed = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(record.to_vec()))
        .and_then(|reader| reader.into_tensors())
        .map_err(|e| mismatch(first_line(&e.to_string())))?;
    let mut non_finite = 0;
    for tensor in &listed {
        let bits = match tensor.dtype {
            DType::F64 => FloatBits::F64,
            DType::F32 => FloatBits::F32,
            DType::F16 => FloatBits::F16,
            DType::BF16 => FloatBits::BF16,
            dtype => {
                return Err(WeightsError::NotFloat {
                    name,
                    dtype: format!("{dtype:?} (tensor {})", tensor.name),
                });
            }
        };
        let bytes = tensor
            .to_bytes()
            .map_err(|e| mismatch(first_line(&e.to_string())))?;
        non_finite += bits.count_non_finite(&bytes);
    }
    drop(listed);
    if non_finite > 0 {
        return Err(WeightsError::NotFinite {
            name,
            count: non_finite,
        });
    }
    let record = burn::store::ModuleRecord::from_bytes(Bytes::from_bytes_vec(record.to_vec()))
        .map_err(|e| mismatch(first_line(&e.to_string())))?;
    let model = Classifier::with_classes(preset, header.classes.len(), device)
        .try_load_record(record)
        .map_err(|e| mismatch(first_line(&e.to_string())))?;
    Ok(Network {
        model: checked_f32(model, &name)?,
        classes: header.classes,
    })
}

/// The loaded network with every parameter widened to f32, or an error if a parameter is not a
/// float at all (a file whose dtypes lie). Widened after loading rather than by Burn's
/// `cast_to_module_dtype`, which first initialises every parameter just to read its dtype
/// (several times the cost of the load). Reads nothing back, so it works on any device; NaN and
/// infinite values are counted in the file's bytes before ([`FloatBits`]).
pub(crate) fn checked_f32(model: Classifier, name: &str) -> Result<Classifier, WeightsError> {
    let mut widen = WidenToF32 { refused: None };
    let model = model.map(&mut widen);
    match widen.refused {
        Some(dtype) => Err(WeightsError::NotFloat {
            name: name.into(),
            dtype: format!("{dtype:?}"),
        }),
        None => Ok(model),
    }
}

/// Casts every float parameter of rank 2 or more (conv kernels, linear matrices) to f16.
struct HalveMatrices;

impl ModuleMapper for HalveMatrices {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D < 2 {
            return param;
        }
        param.map(|tensor| tensor.cast(DType::F16))
    }
}

/// Casts the f16 parameters of a compact file back to f32, as fresh leaves (so a network loaded
/// for training trains them); notes the dtype of a parameter that is not a float and leaves it.
struct WidenToF32 {
    refused: Option<DType>,
}

impl ModuleMapper for WidenToF32 {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let dtype = param.val().dtype();
        if dtype == DType::F32 {
            return param;
        }
        if !matches!(dtype, DType::F16 | DType::BF16 | DType::F64) {
            self.refused.get_or_insert(dtype);
            return param;
        }
        param.map(|tensor| {
            let trained = tensor.is_require_grad();
            tensor.cast(DType::F32).detach().set_require_grad(trained)
        })
    }
}

/// The first line of Burn's message, cut short: a file with every tensor wrong lists them all.
pub(crate) fn first_line(message: &str) -> String {
    const MOST: usize = 300;
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(message);
    match line.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}
