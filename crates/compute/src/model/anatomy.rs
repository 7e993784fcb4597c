//! The network layer by layer, as the "Inside the CNN" page shows it: every step of the forward
//! pass with its output and parameter count, read off the loaded model (nothing typed in).

use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use super::airbench::{HEAD_SCALE, gelu, normalize};
use super::{Airbench, Baseline, Classifier};

/// One step of the forward pass.
pub struct LayerTrace {
    pub name: String,
    /// What the step does, e.g. "24 → 64 channels, 3×3, padding 1".
    pub detail: String,
    /// Parameters of this step (batch-norm's running statistics included, as `num_params`
    /// counts them).
    pub parameters: usize,
    /// The output for one image, without the batch dimension: `[C, H, W]` or `[features]`.
    pub shape: Vec<usize>,
    /// The output, `[n, C, H, W]` (features as `[n, F, 1, 1]`).
    pub output: Tensor<4>,
}

/// The first layer that looks at the image, and its filters over RGB.
pub struct FirstLayer {
    pub name: String,
    /// `[filters, 3, height, width]`
    pub weights: Tensor<4>,
}

struct Tracer {
    layers: Vec<LayerTrace>,
}

impl Tracer {
    fn push(&mut self, name: String, detail: String, parameters: usize, x: &Tensor<4>) {
        self.layers.push(LayerTrace {
            name,
            detail,
            parameters,
            shape: x.dims()[1..].to_vec(),
            output: x.clone(),
        });
    }

    fn push_features(&mut self, name: String, detail: String, parameters: usize, x: &Tensor<2>) {
        let [n, features] = x.dims();
        self.layers.push(LayerTrace {
            name,
            detail,
            parameters,
            shape: vec![features],
            output: x.clone().reshape([n, features, 1, 1]),
        });
    }
}

impl Classifier {
    /// The forward pass step by step (the last step's output is the logits of [`Classifier::forward`]).
    pub fn trace(&self, images: Tensor<4>) -> Vec<LayerTrace> {
        let mut t = Tracer { layers: Vec::new() };
        match self {
            Classifier::Airbench(net) => trace_airbench(net, images, &mut t),
            Classifier::Baseline(net) => trace_baseline(net, images, &mut t),
        }
        t.layers
    }

    /// The first convolution over the image: airbench's whitening filters (fitted to the
    /// training patches' statistics, then frozen), or the baseline's first learned conv.
    pub fn first_layer(&self) -> FirstLayer {
        match self {
            Classifier::Airbench(net) => FirstLayer {
                name: "whitening conv 2×2".into(),
                weights: net.whiten.weight.val(),
            },
            Classifier::Baseline(net) => FirstLayer {
                name: "conv 1 (3×3)".into(),
                weights: net.convs[0].weight.val(),
            },
        }
    }
}

fn channels(weight: &burn::module::Param<Tensor<4>>) -> (usize, usize, usize) {
    let [out, inp, k, _] = weight.dims();
    (inp, out, k)
}

fn trace_airbench(net: &Airbench, images: Tensor<4>, t: &mut Tracer) {
    let mut x = normalize(images);
    t.push("input".into(), "RGB, normalised per channel".into(), 0, &x);
    x = net.whiten.forward(x);
    let (i, o, k) = channels(&net.whiten.weight);
    t.push(
        "whitening conv".into(),
        format!("{i} → {o} channels, {k}×{k}, frozen"),
        net.whiten.num_params(),
        &x,
    );
    x = gelu(x);
    t.push("GELU".into(), "activation".into(), 0, &x);
    for (g, group) in net.groups.iter().enumerate() {
        let name = |layer: &str| format!("group {} · {layer}", g + 1);
        for (c, (conv, norm)) in [(&group.conv1, &group.norm1), (&group.conv2, &group.norm2)]
            .into_iter()
            .enumerate()
        {
            x = conv.forward(x);
            let (i, o, k) = channels(&conv.weight);
            t.push(
                name(&format!("conv {}", c + 1)),
                format!("{i} → {o} channels, {k}×{k}, padding 1"),
                conv.num_params(),
                &x,
            );
            if c == 0 {
                x = group.pool.forward(x);
                t.push(name("max-pool"), "2×2, stride 2".into(), 0, &x);
            }
            x = norm.forward(x);
            t.push(
                name(&format!("batch norm {}", c + 1)),
                "per-channel scale and shift".into(),
                norm.num_params(),
                &x,
            );
            x = gelu(x);
            t.push(name("GELU"), "activation".into(), 0, &x);
        }
    }
    x = net.head_pool.forward(x);
    t.push(
        "head max-pool".into(),
        "3×3: the strongest response per channel".into(),
        0,
        &x,
    );
    let features = x.flatten::<2>(1, 3);
    let logits = net.head.forward(features).mul_scalar(HEAD_SCALE);
    let [features_in, classes] = net.head.weight.dims();
    t.push_features(
        "linear → logits".into(),
        format!("{features_in} → {classes}, scaled by 1/9"),
        net.head.num_params(),
        &logits,
    );
}

fn trace_baseline(net: &Baseline, images: Tensor<4>, t: &mut Tracer) {
    let mut x = normalize(images);
    t.push("input".into(), "RGB, normalised per channel".into(), 0, &x);
    for (c, conv) in net.convs.iter().enumerate() {
        x = conv.forward(x);
        let (i, o, k) = channels(&conv.weight);
        t.push(
            format!("conv {}", c + 1),
            format!("{i} → {o} channels, {k}×{k}, no padding"),
            conv.num_params(),
            &x,
        );
        x = relu(x);
        t.push(format!("ReLU {}", c + 1), "activation".into(), 0, &x);
        x = net.pool.forward(x);
        t.push(format!("max-pool {}", c + 1), "2×2, stride 2".into(), 0, &x);
    }
    let features = x.flatten::<2>(1, 3);
    t.push_features(
        "flatten".into(),
        "channels × height × width".into(),
        0,
        &features,
    );
    let [i, o] = net.dense.weight.dims();
    let hidden = relu(net.dense.forward(features));
    t.push_features(
        "dense + ReLU".into(),
        format!("{i} → {o}"),
        net.dense.num_params(),
        &hidden,
    );
    let hidden = net.dropout.forward(hidden);
    t.push_features(
        "dropout".into(),
        "p = 0.5 while training; identity here".into(),
        0,
        &hidden,
    );
    let logits = net.head.forward(hidden);
    let [i, o] = net.head.weight.dims();
    t.push_features(
        "linear → logits".into(),
        format!("{i} → {o}"),
        net.head.num_params(),
        &logits,
    );
}
