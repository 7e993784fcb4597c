//! Backend choice: WebGPU when the browser has it and it computes what the CPU computes,
//! otherwise Burn's `flex` CPU backend in WebAssembly.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};

use super::EngineError;
use super::fetch::js_error;
use crate::model::{Classifier, Preset, read_floats};

/// Seed of every network the engine initialises itself, so that an untrained model and the
/// self-test are identical on every backend.
pub const INIT_SEED: u64 = 20_261_123;

/// The CPU device (always available).
pub fn cpu() -> Device {
    Device::flex()
}

/// Acquires the WebGPU device and checks it: one forward pass of a network on a fixed input must
/// match the CPU's logits. Returns the device or why it cannot be used.
pub async fn init_webgpu() -> Result<Device, EngineError> {
    if !has_navigator_gpu() {
        return Err(EngineError::Device(
            "this browser has no WebGPU (navigator.gpu is missing)".into(),
        ));
    }
    let device = Device::wgpu_options().init_async().await.map_err(|e| {
        // The full error lists every native API wgpu did not try: useful in the console, noise
        // in the page.
        web_sys::console::warn_1(&format!("WebGPU unavailable: {e}").into());
        EngineError::Device("this browser offers no WebGPU adapter".into())
    })?;
    self_test(&device).await?;
    Ok(device)
}

async fn self_test(gpu: &Device) -> Result<(), EngineError> {
    let cpu = cpu();
    cpu.seed(INIT_SEED);
    // The baseline network (conv, pool, ReLU, linear, all with biases): untrained, its logits are
    // O(0.1). An untrained airbench network's shrink to ~1e-5 in inference mode, where
    // GELU's approximations dominate and a comparison says nothing.
    let model = Classifier::new(Preset::Baseline, &cpu);
    let input = Tensor::<4>::random([2, 3, 32, 32], Distribution::Uniform(0.0, 1.0), &cpu);
    let expected = read_floats(model.forward(input.clone()), "the CPU's self-test logits").await?;
    let got = read_floats(
        model.to_device(gpu).forward(input.to_device(gpu)),
        "the WebGPU self-test logits",
    )
    .await?;
    let max_diff = expected
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    // 1e-4 of the logits' scale is far above f32 reordering noise and far below what a wrong
    // kernel gives.
    let limit = 1e-4 * scale.max(1e-3);
    if got.len() != expected.len() || max_diff.is_nan() || max_diff > limit {
        return Err(EngineError::Device(format!(
            "WebGPU self-test failed: its logits differ from the CPU's by {max_diff:e} (limit {limit:e})"
        )));
    }
    Ok(())
}

fn has_navigator_gpu() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"navigator".into())
        .and_then(|nav| js_sys::Reflect::get(&nav, &"gpu".into()))
        .map(|gpu| !gpu.is_undefined() && !gpu.is_null())
        .unwrap_or_else(|e| {
            web_sys::console::warn_1(&js_error(&e).into());
            false
        })
}

/// A short description of the WebGPU adapter for the page.
pub fn webgpu_detail() -> String {
    "Burn wgpu on the browser's WebGPU".into()
}
