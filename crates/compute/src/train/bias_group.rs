//! The batch-norm biases as their own, faster-learning parameter group (airbench's
//! `bias_scaler`). With SGD, multiplying a parameter's gradient by `s` before the step is exactly
//! a group with learning rate `s·lr` and weight decay `wd/s`: momentum is linear, so both runs
//! take the same steps. That is what airbench's group uses, so scaling the gradients is the group.

use burn::module::ParamId;
use burn::nn::BatchNorm;
use burn::optim::GradientsParams;

use crate::model::Classifier;

/// The shift (β) of every batch norm in the network; empty for networks without batch norm.
pub fn batch_norm_bias_ids(model: &Classifier) -> Vec<ParamId> {
    let norms: Vec<&BatchNorm> = match model {
        Classifier::Airbench(net) => net
            .groups
            .iter()
            .flat_map(|g| [&g.norm1, &g.norm2])
            .collect(),
        Classifier::Baseline(_) => Vec::new(),
    };
    norms.iter().map(|n| n.beta.id).collect()
}

/// Multiplies the gradients of `ids` by `factor` (ids without a gradient are left alone).
pub fn scale_gradients(grads: &mut GradientsParams, ids: &[ParamId], factor: f64) {
    for &id in ids {
        if let Some(grad) = grads.remove::<1>(id) {
            grads.register(id, grad.mul_scalar(factor));
        }
    }
}
