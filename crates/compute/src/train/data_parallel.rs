//! Data-parallel training: every worker holds the same network, computes the gradients of its
//! slice of a batch ([`slice_gradients`]), and the coordinator averages them, weighted by slice
//! size ([`average_slices`]), and takes one optimiser step ([`Trainer::step_on_slices`]); the
//! workers then get the new network state ([`network_state`], [`with_network_state`]), so all
//! copies stay identical.
//!
//! Batch norm normalises with the statistics of what it sees, so each slice is normalised on its
//! own ("ghost" batch norm, Hoffer et al. 2017, as every data-parallel trainer without
//! synchronised batch norm does). The slices are fixed by the batch alone ([`ghost_slices`]:
//! [`GHOST_BATCH`] records or fewer each), never by how many workers there are, and they are
//! averaged in slice order: a run is the same bits on one worker or sixteen, and after a worker
//! dies. The running statistics are the slices' updates averaged the same way.

use std::collections::HashSet;
use std::ops::Range;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::nn::BatchNorm;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};

use super::loss::batch_loss;
use crate::data::IMAGE_BYTES;
use crate::model::{Classifier, ReadbackError, read_floats, read_ints, read_scalar};

/// Records per ghost batch (at most): small enough that a batch of 64 splits in two, large
/// enough that each slice's batch-norm statistics are steady.
pub const GHOST_BATCH: usize = 32;

/// A batch of `records` cut into ghost batches of at most [`GHOST_BATCH`], as even as can be.
pub fn ghost_slices(records: usize) -> Vec<Range<usize>> {
    let parts = records.div_ceil(GHOST_BATCH).max(1);
    let (base, extra) = (records / parts, records % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = base + usize::from(i < extra);
            start += len;
            start - len..start
        })
        .collect()
}

/// One slice's share of a step.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SliceGradients {
    /// Records in the slice.
    pub records: usize,
    /// The slice's mean loss times its records.
    pub loss_sum: f64,
    /// Records the network (before the step) classified right.
    pub correct: usize,
    /// Every trained tensor's gradient, then every batch-norm running statistic after the slice's
    /// forward pass, each flattened, in the network's visiting order, one after another.
    pub values: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum DataParallelError {
    #[error("no slices to average")]
    NoSlices,
    #[error(
        "a worker's slice has {found} values where this network has {expected}: it holds a different network"
    )]
    WrongLength { expected: usize, found: usize },
    #[error("a network state of {found} values, where this network has {expected}")]
    WrongState { expected: usize, found: usize },
    #[error("{found} trained-tensor flags, where this network has {expected} tensors")]
    WrongFlags { expected: usize, found: usize },
    #[error("a slice of {images} images and {labels} labels")]
    Mismatch { images: usize, labels: usize },
    #[error("only airbench networks train on several workers (dropout would differ per worker)")]
    NotAirbench,
    #[error(transparent)]
    Readback(#[from] ReadbackError),
}

/// What each of a network's float tensors is, in visiting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Trained,
    Frozen,
    Running,
}

/// Ids of every batch norm's running mean and variance.
fn running_ids(model: &Classifier) -> HashSet<ParamId> {
    #[derive(Default)]
    struct Ids(HashSet<ParamId>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.insert(param.id);
        }
    }
    let mut ids = Ids::default();
    if let Classifier::Airbench(net) = model {
        let norms: Vec<&BatchNorm> = net
            .groups
            .iter()
            .flat_map(|g| [&g.norm1, &g.norm2])
            .collect();
        for norm in norms {
            norm.running_mean.visit(&mut ids);
            norm.running_var.visit(&mut ids);
        }
    }
    ids.0
}

/// Every float tensor's role and value (flattened), in visiting order.
struct Tensors {
    running: HashSet<ParamId>,
    roles: Vec<Role>,
    ids: Vec<ParamId>,
    /// Each tensor's rank before flattening (Burn keys gradients by it).
    ranks: Vec<usize>,
    values: Vec<Tensor<1>>,
}

/// Folds every batch norm's pending running-statistic updates into its value. Burn's
/// `RunningState` keeps a forward pass's update aside (per thread) until something syncs it, and
/// visiting or mapping a module reads or writes the value alone: without this, a read would miss
/// the slice's update, and a later sync would overwrite a value just placed.
fn sync_running_statistics(model: &Classifier) {
    if let Classifier::Airbench(net) = model {
        for group in &net.groups {
            for norm in [&group.norm1, &group.norm2] {
                norm.running_mean.value_sync();
                norm.running_var.value_sync();
            }
        }
    }
}

impl Tensors {
    fn of(model: &Classifier) -> Self {
        sync_running_statistics(model);
        let mut tensors = Tensors {
            running: running_ids(model),
            roles: Vec::new(),
            ids: Vec::new(),
            ranks: Vec::new(),
            values: Vec::new(),
        };
        model.visit(&mut tensors);
        tensors
    }
}

impl ModuleVisitor for Tensors {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        self.roles.push(if self.running.contains(&param.id) {
            Role::Running
        } else if value.is_require_grad() {
            Role::Trained
        } else {
            Role::Frozen
        });
        self.ids.push(param.id);
        self.ranks.push(D);
        let len = value.shape().num_elements();
        self.values.push(value.detach().reshape([len]));
    }
}

/// Which of the network's float tensors train now, in visiting order (a worker sets its copy's
/// flags from it: the whitening bias freezes during a run).
pub fn trained_flags(model: &Classifier) -> Vec<bool> {
    Tensors::of(model)
        .roles
        .iter()
        .map(|r| *r == Role::Trained)
        .collect()
}

/// Every float tensor of the network (parameters and running statistics), flattened, one after
/// another in visiting order: what a worker needs to hold the coordinator's network.
pub async fn network_state(model: &Classifier) -> Result<Vec<f32>, ReadbackError> {
    let mut state = Vec::new();
    for value in Tensors::of(model).values {
        state.extend(read_floats(value, "a network tensor").await?);
    }
    Ok(state)
}

/// `model` holding `state` ([`network_state`] of a network shaped like it), its tensors trained
/// where `trained` says ([`trained_flags`]); parameter ids are kept.
pub fn with_network_state(
    model: Classifier,
    state: &[f32],
    trained: &[bool],
    device: &Device,
) -> Result<Classifier, DataParallelError> {
    let tensors = Tensors::of(&model);
    let expected: usize = tensors
        .values
        .iter()
        .map(|t| t.shape().num_elements())
        .sum();
    if state.len() != expected {
        return Err(DataParallelError::WrongState {
            expected,
            found: state.len(),
        });
    }
    if trained.len() != tensors.roles.len() {
        return Err(DataParallelError::WrongFlags {
            expected: tensors.roles.len(),
            found: trained.len(),
        });
    }
    Ok(model.map(&mut Place {
        state,
        trained: trained.iter(),
        device: device.clone(),
    }))
}

struct Place<'a> {
    state: &'a [f32],
    trained: std::slice::Iter<'a, bool>,
    device: Device,
}

impl ModuleMapper for Place<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let trained = self.trained.next().copied().unwrap_or(false);
        let (id, value, mapper) = param.consume();
        let shape = value.shape();
        let (head, rest) = self.state.split_at(shape.num_elements());
        self.state = rest;
        let tensor = Tensor::<D>::from_data(TensorData::new(head.to_vec(), shape), &self.device);
        // Running statistics ignore the flag (Burn keeps them without gradients).
        Param::from_mapped_value(id, tensor, mapper).set_require_grad(trained)
    }
}

/// The gradients of one slice (mean loss with `label_smoothing`, as the recipe's), with the
/// running statistics its forward pass leaves. `model` is on an autodiff `device`; its running
/// statistics are updated (the coordinator replaces them with the average).
pub async fn slice_gradients(
    model: &Classifier,
    images: &[[u8; IMAGE_BYTES]],
    labels: &[u8],
    label_smoothing: f32,
    device: &Device,
) -> Result<SliceGradients, DataParallelError> {
    if images.len() != labels.len() {
        return Err(DataParallelError::Mismatch {
            images: images.len(),
            labels: labels.len(),
        });
    }
    if !matches!(model, Classifier::Airbench(_)) {
        return Err(DataParallelError::NotAirbench);
    }
    let smoothed = CrossEntropyLossConfig::new()
        .with_smoothing(Some(label_smoothing))
        .init(device);
    let (loss, correct) = batch_loss(model, images, labels, &smoothed, device);
    let grads = GradientsParams::from_grads(loss.backward(), model);
    let mean_loss = read_scalar(loss.detach(), "the loss").await?;
    let correct = read_ints(correct, "the accuracy").await?;
    let tensors = Tensors::of(model);
    let mut gradients = Vec::new();
    let mut running = Vec::new();
    let per_tensor = tensors.roles.iter().zip(&tensors.ids).zip(&tensors.ranks);
    for (((role, id), rank), value) in per_tensor.zip(tensors.values) {
        match role {
            Role::Trained => {
                let len = value.shape().num_elements();
                match flat_gradient(&grads, *id, *rank) {
                    Some(grad) => gradients.extend(read_floats(grad, "a gradient").await?),
                    // Not reached by the loss: no change.
                    None => gradients.extend(std::iter::repeat_n(0.0, len)),
                }
            }
            Role::Running => running.extend(read_floats(value, "a running statistic").await?),
            Role::Frozen => {}
        }
    }
    gradients.extend(running);
    Ok(SliceGradients {
        records: images.len(),
        loss_sum: f64::from(mean_loss) * images.len() as f64,
        correct: correct.first().copied().unwrap_or(0).max(0) as usize,
        values: gradients,
    })
}

/// A parameter's gradient, flattened (Burn keys gradients by rank).
fn flat_gradient(grads: &GradientsParams, id: ParamId, rank: usize) -> Option<Tensor<1>> {
    fn flat<const D: usize>(grads: &GradientsParams, id: ParamId) -> Option<Tensor<1>> {
        grads.get::<D>(id).map(|g| g.flatten::<1>(0, D - 1))
    }
    match rank {
        1 => grads.get::<1>(id),
        2 => flat::<2>(grads, id),
        3 => flat::<3>(grads, id),
        4 => flat::<4>(grads, id),
        _ => None,
    }
}

/// The slices' values averaged, each weighted by its records: the gradient of the batch's mean
/// loss (with ghost batch norm) and the running statistics. Summed in slice order, so the same
/// slices give the same bits however many workers computed them.
pub fn average_slices(slices: &[SliceGradients]) -> Result<SliceGradients, DataParallelError> {
    let first = slices.first().ok_or(DataParallelError::NoSlices)?;
    let len = first.values.len();
    let records: usize = slices.iter().map(|s| s.records).sum();
    let mut values = vec![0.0f64; len];
    for slice in slices {
        if slice.values.len() != len {
            return Err(DataParallelError::WrongLength {
                expected: len,
                found: slice.values.len(),
            });
        }
        let weight = slice.records as f64 / records.max(1) as f64;
        for (sum, v) in values.iter_mut().zip(&slice.values) {
            *sum += weight * f64::from(*v);
        }
    }
    Ok(SliceGradients {
        records,
        loss_sum: slices.iter().map(|s| s.loss_sum).sum(),
        correct: slices.iter().map(|s| s.correct).sum(),
        values: values.into_iter().map(|v| v as f32).collect(),
    })
}

/// `average` ([`average_slices`]) as Burn gradients for `model`'s trained parameters (on the
/// autodiff `device`'s inner backend), and `model` with the averaged running statistics.
pub(super) fn apply_average(
    model: Classifier,
    average: &SliceGradients,
    device: &Device,
) -> Result<(Classifier, GradientsParams), DataParallelError> {
    let tensors = Tensors::of(&model);
    let expected: usize = tensors
        .roles
        .iter()
        .zip(&tensors.values)
        .filter(|(role, _)| **role != Role::Frozen)
        .map(|(_, t)| t.shape().num_elements())
        .sum();
    if average.values.len() != expected {
        return Err(DataParallelError::WrongLength {
            expected,
            found: average.values.len(),
        });
    }
    let mut register = Register {
        running: tensors.running,
        gradients: &average.values,
        running_values: &average.values[tensors
            .roles
            .iter()
            .zip(&tensors.values)
            .filter(|(role, _)| **role == Role::Trained)
            .map(|(_, t)| t.shape().num_elements())
            .sum::<usize>()..],
        grads: GradientsParams::new(),
        device: device.clone(),
    };
    let model = model.map(&mut register);
    Ok((model, register.grads))
}

struct Register<'a> {
    running: HashSet<ParamId>,
    /// Trained tensors' gradients come first, in order.
    gradients: &'a [f32],
    running_values: &'a [f32],
    grads: GradientsParams,
    device: Device,
}

impl ModuleMapper for Register<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let shape = param.val().shape();
        let len = shape.num_elements();
        if self.running.contains(&param.id) {
            let (head, rest) = self.running_values.split_at(len);
            self.running_values = rest;
            let device = self.device.clone();
            return param
                .map(|_| Tensor::from_data(TensorData::new(head.to_vec(), shape), &device));
        }
        if param.val().is_require_grad() {
            let (head, rest) = self.gradients.split_at(len);
            self.gradients = rest;
            // Gradients live on the inner backend, as Burn's own are.
            let inner = self.device.clone().inner();
            let grad = Tensor::<D>::from_data(TensorData::new(head.to_vec(), shape), &inner);
            self.grads.register(param.id, grad);
        }
        param
    }
}
