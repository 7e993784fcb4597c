//! Nesterov SGD with weight decay, the same arithmetic as Burn's `Sgd` (checked step for step in
//! `tests/recipe.rs`), with the momentum buffers kept here instead of inside Burn's optimiser.
//! Burn's optimiser state can only be read back synchronously, which WebGPU in the browser
//! cannot do, so checkpoints saved in the tab lost the momentum. Here the velocities become a
//! network shaped like the one being trained ([`NesterovSgd::velocity_network`]) and are read
//! back and stored like weights.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::model::Classifier;

pub struct NesterovSgd {
    momentum: f64,
    weight_decay: f64,
    /// Each trained parameter's velocity, flattened, on the device its gradients come from.
    /// A parameter without one has not been stepped yet (a zero velocity gives the same step).
    velocity: HashMap<ParamId, Tensor<1>>,
}

impl NesterovSgd {
    pub fn new(momentum: f64, weight_decay: f64) -> Self {
        NesterovSgd {
            momentum,
            weight_decay,
            velocity: HashMap::new(),
        }
    }

    /// `g ← ∇ + wd·θ`, `v ← m·v + g`, `θ ← θ − lr·(g + m·v)` for every parameter in `grads`.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        module.map(&mut Update {
            sgd: self,
            lr,
            grads,
        })
    }

    /// The velocities as a network shaped like `model` (its parameter ids, no autodiff): each
    /// trained parameter holds its velocity, the rest zeros. Saved with the weights' format.
    pub fn velocity_network(&self, model: &Classifier) -> Classifier {
        model.valid().map(&mut Fill {
            velocity: &self.velocity,
        })
    }

    /// Takes the velocities of `model`'s trained parameters from a [`Self::velocity_network`]
    /// (with the same parameter ids, as a loaded weights file has).
    pub fn load_velocity_network(&mut self, velocity: &Classifier, model: &Classifier) {
        let mut trained = Trained::default();
        model.visit(&mut trained);
        let mut collect = Collect {
            wanted: trained.ids,
            velocity: HashMap::new(),
        };
        velocity.visit(&mut collect);
        self.velocity = collect.velocity;
    }
}

struct Update<'a> {
    sgd: &'a mut NesterovSgd,
    lr: f64,
    grads: GradientsParams,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(grad) = self.grads.remove::<D>(param.id) else {
            return param;
        };
        let (id, value, mapper) = param.consume();
        let require_grad = value.is_require_grad();
        let shape = value.shape();
        let len = shape.num_elements();
        // The update runs on the inner backend, as Burn's optimisers do.
        let value = value.inner();
        let grad = value.clone().mul_scalar(self.sgd.weight_decay).add(grad);
        let velocity = match self.sgd.velocity.remove(&id) {
            Some(previous) => grad
                .clone()
                .add(previous.reshape(shape).mul_scalar(self.sgd.momentum)),
            None => grad.clone(),
        };
        let step = velocity.clone().mul_scalar(self.sgd.momentum).add(grad);
        self.sgd.velocity.insert(id, velocity.reshape([len]));
        let updated = Tensor::from_inner(value - step.mul_scalar(self.lr));
        let updated = if require_grad {
            updated.require_grad()
        } else {
            updated
        };
        Param::from_mapped_value(id, updated, mapper)
    }
}

/// Puts each parameter's velocity (or zeros) in its place.
struct Fill<'a> {
    velocity: &'a HashMap<ParamId, Tensor<1>>,
}

impl ModuleMapper for Fill<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, value, mapper) = param.consume();
        let velocity = match self.velocity.get(&id) {
            Some(velocity) => velocity.clone().reshape(value.shape()),
            None => value.zeros_like(),
        };
        Param::from_mapped_value(id, velocity, mapper)
    }
}

/// The ids of the parameters that train.
#[derive(Default)]
struct Trained {
    ids: Vec<ParamId>,
}

impl ModuleVisitor for Trained {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if param.val().is_require_grad() {
            self.ids.push(param.id);
        }
    }
}

struct Collect {
    wanted: Vec<ParamId>,
    velocity: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.wanted.contains(&param.id) {
            let value = param.val().inner();
            let len = value.shape().num_elements();
            self.velocity.insert(param.id, value.reshape([len]));
        }
    }
}
