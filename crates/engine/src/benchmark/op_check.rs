//! The gradients of each kind of layer the networks use, on the active backend against the CPU,
//! for the same inputs: which kernel is wrong when training diverges on a GPU.

use burn::nn::BatchNormConfig;
use burn::tensor::activation::gelu;
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};

use crate::EngineError;
use crate::worker::yield_now;
use pinhole_compute::model::read_floats;
use pinhole_compute::train::SplitMix64;
use pinhole_core::protocol::OpCheck;

/// One case: a layer applied to 4-D inputs (image, then weights).
struct Case {
    name: &'static str,
    inputs: Vec<[usize; 4]>,
    layer: fn(&[Tensor<4>]) -> Tensor<4>,
}

fn conv(padding: usize) -> impl Fn(&[Tensor<4>]) -> Tensor<4> {
    move |t: &[Tensor<4>]| {
        conv2d(
            t[0].clone(),
            t[1].clone(),
            None,
            ConvOptions::new([1, 1], [padding; 2], [1, 1], 1),
        )
    }
}

fn cases() -> Vec<Case> {
    fn conv_pad1(t: &[Tensor<4>]) -> Tensor<4> {
        conv(1)(t)
    }
    fn conv_pad0(t: &[Tensor<4>]) -> Tensor<4> {
        conv(0)(t)
    }
    fn burn_gelu(t: &[Tensor<4>]) -> Tensor<4> {
        gelu(t[0].clone().mul_scalar(50.0))
    }
    fn network_gelu(t: &[Tensor<4>]) -> Tensor<4> {
        pinhole_compute::model::gelu(t[0].clone().mul_scalar(50.0))
    }
    fn pool2(t: &[Tensor<4>]) -> Tensor<4> {
        max_pool2d(t[0].clone(), MaxPoolOptions::new([2, 2]))
    }
    fn pool3(t: &[Tensor<4>]) -> Tensor<4> {
        max_pool2d(t[0].clone(), MaxPoolOptions::new([3, 3]))
    }
    fn norm(t: &[Tensor<4>], epsilon: f64) -> Tensor<4> {
        let channels = t[0].dims()[1];
        BatchNormConfig::new(channels)
            .with_epsilon(epsilon)
            .init(&t[0].device())
            .forward(t[0].clone())
    }
    fn norm_airbench(t: &[Tensor<4>]) -> Tensor<4> {
        norm(t, 1e-12)
    }
    fn norm_1e5(t: &[Tensor<4>]) -> Tensor<4> {
        norm(t, 1e-5)
    }
    vec![
        Case {
            name: "conv 3×3 pad 1, 24→64 on 31×31",
            inputs: vec![[32, 24, 31, 31], [64, 24, 3, 3]],
            layer: conv_pad1,
        },
        Case {
            name: "conv 3×3 pad 1, 64→64 on 15×15",
            inputs: vec![[32, 64, 15, 15], [64, 64, 3, 3]],
            layer: conv_pad1,
        },
        Case {
            name: "conv 3×3 pad 1, 64→128 on 15×15",
            inputs: vec![[32, 64, 15, 15], [128, 64, 3, 3]],
            layer: conv_pad1,
        },
        Case {
            name: "conv 3×3 pad 1, 128→128 on 7×7",
            inputs: vec![[32, 128, 7, 7], [128, 128, 3, 3]],
            layer: conv_pad1,
        },
        Case {
            name: "conv 3×3 pad 1, 128→128 on 3×3",
            inputs: vec![[32, 128, 3, 3], [128, 128, 3, 3]],
            layer: conv_pad1,
        },
        Case {
            name: "conv 3×3 pad 0, 32→64 on 15×15",
            inputs: vec![[32, 32, 15, 15], [64, 32, 3, 3]],
            layer: conv_pad0,
        },
        Case {
            name: "conv 2×2 pad 0, 3→24 on 32×32",
            inputs: vec![[32, 3, 32, 32], [24, 3, 2, 2]],
            layer: conv_pad0,
        },
        Case {
            name: "Burn's fused GELU, inputs up to ±50",
            inputs: vec![[32, 64, 15, 15]],
            layer: burn_gelu,
        },
        Case {
            name: "the networks' GELU, inputs up to ±50",
            inputs: vec![[32, 64, 15, 15]],
            layer: network_gelu,
        },
        Case {
            name: "batch norm ε=1e-12 (training)",
            inputs: vec![[32, 64, 15, 15]],
            layer: norm_airbench,
        },
        Case {
            name: "batch norm ε=1e-5 (training)",
            inputs: vec![[32, 64, 15, 15]],
            layer: norm_1e5,
        },
        Case {
            name: "max-pool 2×2 on 31×31",
            inputs: vec![[32, 64, 31, 31]],
            layer: pool2,
        },
        Case {
            name: "max-pool 3×3 on 3×3",
            inputs: vec![[32, 128, 3, 3]],
            layer: pool3,
        },
    ]
}

fn random(shape: [usize; 4], rng: &mut SplitMix64) -> TensorData {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|_| rng.below(2001) as f32 / 1000.0 - 1.0)
        .collect();
    TensorData::new(values, shape)
}

/// The gradient of `sum(layer(inputs) · r)` with respect to every input, on `device`.
async fn gradients(case: &Case, device: &Device) -> Result<Vec<Vec<f32>>, EngineError> {
    let mut rng = SplitMix64(42);
    let device = device.clone().autodiff();
    let inputs: Vec<Tensor<4>> = case
        .inputs
        .iter()
        .map(|&shape| Tensor::<4>::from_data(random(shape, &mut rng), &device).require_grad())
        .collect();
    let out = (case.layer)(&inputs);
    let r = Tensor::<4>::from_data(random(out.dims(), &mut rng), &device);
    let grads = (out * r).sum().backward();
    let mut all = Vec::new();
    for input in &inputs {
        let grad = input
            .grad(&grads)
            .ok_or_else(|| EngineError::Device(format!("{}: no gradient", case.name)))?;
        all.push(read_floats(grad, &format!("the {} gradient", case.name)).await?);
    }
    Ok(all)
}

pub async fn run(device: &Device) -> Result<Vec<OpCheck>, EngineError> {
    let cpu = Device::flex();
    let mut checks = Vec::new();
    for case in cases() {
        let expected = gradients(&case, &cpu).await?;
        let got = gradients(&case, device).await?;
        let mut worst_relative = 0f32;
        let mut non_finite = 0;
        for (e, g) in expected.iter().zip(&got) {
            let scale = e.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
            for (x, y) in e.iter().zip(g) {
                if y.is_finite() {
                    worst_relative = worst_relative.max((x - y).abs() / scale);
                } else {
                    non_finite += 1;
                }
            }
        }
        checks.push(OpCheck {
            name: case.name.into(),
            worst_relative,
            non_finite,
        });
        yield_now().await;
    }
    Ok(checks)
}
