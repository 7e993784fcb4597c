//! Identity ("Dirac") initialisation: the first `in` output channels of a 3×3 conv start as a
//! copy of its input channels (1 at the kernel centre, 0 elsewhere), so a fresh deep stack passes
//! the whitened image through and the gradient reaches the early layers from the first step.
//! Output channels beyond the input count keep their random init.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::tensor::{Tensor, TensorData};

/// The weights `[out, in, k, k]` with `out[i] = δ(i, ·)` for `i < min(out, in)`.
pub fn dirac_weights(weight: Tensor<4>) -> Tensor<4> {
    let [out, input, kh, kw] = weight.dims();
    let device = weight.device();
    let mut values: Vec<f32> = weight
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("a conv weight holds floats");
    let kernel = kh * kw;
    let centre = (kh / 2) * kw + kw / 2;
    for o in 0..out.min(input) {
        let filter = &mut values[o * input * kernel..(o + 1) * input * kernel];
        filter.fill(0.0);
        filter[o * kernel + centre] = 1.0;
    }
    Tensor::from_data(TensorData::new(values, [out, input, kh, kw]), &device)
}

/// Applies [`dirac_weights`] to a conv, keeping its parameter id (optimiser state is keyed on it)
/// and whether it is trained.
pub fn dirac_init(conv: &mut Conv2d) {
    let id = conv.weight.id;
    let current = conv.weight.val();
    let trained = current.is_require_grad();
    let weight = dirac_weights(current);
    conv.weight = Param::initialized(
        id,
        if trained {
            weight.require_grad()
        } else {
            weight
        },
    );
}
