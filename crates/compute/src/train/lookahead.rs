//! Lookahead with an EMA of the weights (airbench's `LookaheadState`): every few steps the slow
//! copy moves toward the trained ("fast") weights, `slow ← decay·slow + (1 − decay)·fast`, and the
//! fast weights restart from it. The decay grows over the run, so late noisy steps are averaged
//! away; the last sync (decay 1) leaves the network at the slow weights.
//! Only what the trained network trains is blended (its own `require_grad` decides, whatever the
//! slow copy's flags are, e.g. after loading it from a checkpoint): the frozen whitening weight
//! and batch-norm scales are the same in both copies, and batch-norm running statistics are
//! shared between the network and its clone (Burn's `RunningState`), so there is nothing to
//! average; airbench's `state_dict` pass includes them.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

use crate::model::Classifier;

/// Steps between syncs.
pub const LOOKAHEAD_EVERY: usize = 5;

/// The decay at `step` of `total_steps`: `0.95⁵ · (step/total)³`, so near 0 (no averaging) early.
pub fn lookahead_decay(step: usize, total_steps: usize) -> f64 {
    let progress = step as f64 / total_steps.max(1) as f64;
    0.95f64.powi(LOOKAHEAD_EVERY as i32) * progress.powi(3)
}

/// The slow weights: a network with the same parameter ids as the one being trained.
#[derive(Clone, Debug)]
pub struct Lookahead {
    pub slow: Classifier,
}

impl Lookahead {
    pub fn new(model: &Classifier) -> Self {
        Lookahead {
            slow: model.clone(),
        }
    }

    /// `slow ← decay·slow + (1 − decay)·model`, then returns the model reset to `slow`.
    pub fn sync(&mut self, model: Classifier, decay: f64) -> Classifier {
        let mut slow = Collect::default();
        self.slow.visit(&mut slow);
        let model = model.map(&mut Blend {
            slow: slow.tensors,
            decay,
        });
        self.slow = model.clone();
        model
    }
}

/// Every parameter of a module, flattened, by id.
#[derive(Default)]
struct Collect {
    tensors: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.tensors
            .insert(param.id, param.val().detach().flatten::<1>(0, D - 1));
    }
}

struct Blend {
    slow: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(slow) = self.slow.remove(&param.id) else {
            return param;
        };
        if !param.val().is_require_grad() {
            return param;
        }
        let (id, fast, mapper) = param.consume();
        let slow = slow.reshape(fast.shape());
        let blended = slow
            .mul_scalar(self.decay)
            .add(fast.detach().mul_scalar(1.0 - self.decay));
        // A trained parameter: the result must be a fresh leaf to train.
        Param::from_mapped_value(id, blended.detach().require_grad(), mapper)
    }
}
