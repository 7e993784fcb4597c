//! A folded airbench network's weights read back from Burn into the packed CPU form
//! ([`super::packed`]). Only shapes the packed kernels implement are accepted: the whitening
//! conv with any kernel and no padding, 3×3 group convs with stride 1 and padding 1, square
//! max-pools with stride = window.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;

use super::folded::{FoldedAirbench, FoldedClassifier, host_floats};
use super::packed::{PackError, PackedAirbench, PackedConv, PackedGroup, WinogradConv};

impl FoldedClassifier {
    /// The packed CPU form of an airbench network (`None` for the baseline, which Burn already
    /// runs in about a millisecond). `self` must be on the CPU: its weights are read at once.
    pub fn pack(&self) -> Option<Result<PackedAirbench, PackError>> {
        match self {
            FoldedClassifier::Airbench(net) => Some(pack_airbench(net)),
            FoldedClassifier::Baseline(_) => None,
        }
    }
}

fn pack_airbench(net: &FoldedAirbench) -> Result<PackedAirbench, PackError> {
    let whiten = conv_parts(&net.whiten, 0)?;
    let whiten = PackedConv::new(&whiten.0, whiten.1, whiten.2.as_deref(), 0)?;
    let groups = net
        .groups
        .iter()
        .map(|group| {
            let (w1, shape1, b1) = conv_parts(&group.conv1, 1)?;
            let (w2, shape2, b2) = conv_parts(&group.conv2, 1)?;
            Ok(PackedGroup {
                conv1: WinogradConv::new(&w1, shape1, b1.as_deref())?,
                pool: pool_window(&group.pool)?,
                sign: group.sign.as_ref().map(|s| host_floats(s.val())),
                conv2: WinogradConv::new(&w2, shape2, b2.as_deref())?,
            })
        })
        .collect::<Result<Vec<_>, PackError>>()?;
    if net.head.bias.is_some() {
        return Err(PackError::Shape("a head without bias".into()));
    }
    let [_, classes] = net.head.weight.dims();
    PackedAirbench::new(
        whiten,
        groups,
        pool_window(&net.head_pool)?,
        host_floats(net.head.weight.val()),
        classes,
    )
}

type ConvParts = (Vec<f32>, [usize; 4], Option<Vec<f32>>);

/// A conv's weights, shape and bias, if it has stride 1, no dilation or groups, and `padding`
/// on every side.
fn conv_parts(conv: &Conv2d, padding: usize) -> Result<ConvParts, PackError> {
    let padded_as_expected = match &conv.padding {
        PaddingConfig2d::Valid => padding == 0,
        PaddingConfig2d::Explicit(top, left, bottom, right) => {
            [*top, *left, *bottom, *right] == [padding; 4]
        }
        _ => false,
    };
    if conv.stride != [1, 1] || conv.dilation != [1, 1] || conv.groups != 1 || !padded_as_expected {
        return Err(PackError::Shape(format!(
            "convolutions with stride 1 and padding {padding}, not stride {:?}, padding {:?}",
            conv.stride, conv.padding
        )));
    }
    Ok((
        host_floats(conv.weight.val()),
        conv.weight.dims(),
        conv.bias.as_ref().map(|b| host_floats(b.val())),
    ))
}

/// The window of a square, unpadded max-pool whose stride is its window.
fn pool_window(pool: &MaxPool2d) -> Result<usize, PackError> {
    let [window, window_w] = pool.kernel_size;
    if window != window_w
        || pool.stride != [window, window]
        || pool.dilation != [1, 1]
        || pool.ceil_mode
        || !matches!(pool.padding, PaddingConfig2d::Valid)
    {
        return Err(PackError::Shape(format!(
            "square max-pools with stride = window, not {:?} / {:?}",
            pool.kernel_size, pool.stride
        )));
    }
    Ok(window)
}
