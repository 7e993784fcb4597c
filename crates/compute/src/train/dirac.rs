//! Identity ("Dirac") initialisation: the first `in` output channels of a 3×3 conv start as a
//! copy of its input channels (1 at the kernel centre, 0 elsewhere), so a fresh deep stack passes
//! the whitened image through and the gradient reaches the early layers from the first step.
//! Output channels beyond the input count keep their random init.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::tensor::{Tensor, TensorData};

/// The weights `[out, in, k, k]` with `out[i] = δ(i, ·)` for `i < min(out, in)`. Built with
/// tensor operations (a mask and the identity), so nothing is read back from the device (a
/// synchronous read would panic on the browser's WebGPU).
pub fn dirac_weights(weight: Tensor<4>) -> Tensor<4> {
    let [out, input, kh, kw] = weight.dims();
    let device = weight.device();
    let kernel = kh * kw;
    let centre = (kh / 2) * kw + kw / 2;
    let mut keep = vec![1.0f32; out * input * kernel];
    let mut identity = vec![0.0f32; out * input * kernel];
    for o in 0..out.min(input) {
        let filter = o * input * kernel..(o + 1) * input * kernel;
        keep[filter].fill(0.0);
        identity[o * input * kernel + o * kernel + centre] = 1.0;
    }
    let shape = [out, input, kh, kw];
    let keep = Tensor::<4>::from_data(TensorData::new(keep, shape), &device);
    let identity = Tensor::<4>::from_data(TensorData::new(identity, shape), &device);
    weight.mul(keep).add(identity)
}

/// Applies [`dirac_weights`] to a conv, keeping its parameter id (optimiser state is keyed on it)
/// and whether it is trained.
pub fn dirac_init(conv: &mut Conv2d) {
    let id = conv.weight.id;
    let current = conv.weight.val();
    let trained = current.is_require_grad();
    // Detached afterwards: the new weight must be a leaf, not the result of operations.
    let weight = dirac_weights(current).detach();
    conv.weight = Param::initialized(
        id,
        if trained {
            weight.require_grad()
        } else {
            weight
        },
    );
}
