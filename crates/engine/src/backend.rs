//! Backend choice: WebGPU when the browser has it and it computes what the CPU computes,
//! otherwise Burn's `flex` CPU backend in WebAssembly.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};

use std::cell::{Cell, RefCell};

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use super::EngineError;
use super::fetch::js_error;
use super::worker::post;
use pinhole_compute::model::{Classifier, Preset, read_floats};
use pinhole_core::protocol::Event;

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
    watch_gpu_devices();
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

pub fn has_navigator_gpu() -> bool {
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

thread_local! {
    /// The `GPUDevice` wgpu asked the browser for (see [`watch_gpu_devices`]).
    static GPU_DEVICE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    /// Whether a job runs on WebGPU (the classifier's network or training): a device lost
    /// while no job uses it (the automatic choice kept every job on the CPU) stops nothing.
    static GPU_IN_USE: Cell<bool> = const { Cell::new(false) };
    /// A device was lost while unused: the next use of WebGPU acquires a new one.
    static GPU_LOST: Cell<bool> = const { Cell::new(false) };
}

/// Tells the device watch whether a job runs on WebGPU.
pub fn set_gpu_in_use(in_use: bool) {
    GPU_IN_USE.with(|u| u.set(in_use));
}

/// Whether an unused WebGPU device was lost since the last call.
pub fn take_gpu_lost() -> bool {
    GPU_LOST.with(|l| l.replace(false))
}

/// Wraps `navigator.gpu.requestAdapter` (and the adapter's `requestDevice`) so that the engine
/// sees the `GPUDevice` wgpu creates: its `lost` promise then stops the engine with the reason
/// (a driver reset, a GPU removed, a tab in the background too long), and the page restarts it on
/// the CPU with the visitor's network and training checkpoint, instead of leaving a device
/// whose every call fails. It observes only: the arguments and results pass through unchanged.
fn watch_gpu_devices() {
    let Ok(gpu) = Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|nav| Reflect::get(&nav, &"gpu".into()))
    else {
        return;
    };
    let _ = observe_async_method(&gpu, "requestAdapter", |adapter| {
        if adapter.is_null() || adapter.is_undefined() {
            return Ok(());
        }
        observe_async_method(adapter, "requestDevice", |device| {
            watch_lost(device);
            GPU_DEVICE.with(|d| *d.borrow_mut() = Some(device.clone()));
            Ok(())
        })
    });
}

/// Replaces `target[method]` (a method returning a promise) by one that calls the original with
/// the same argument and `this`, shows `seen` what it resolves to, and resolves to the same.
fn observe_async_method(
    target: &JsValue,
    method: &str,
    seen: fn(&JsValue) -> Result<(), JsValue>,
) -> Result<(), JsValue> {
    let original: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let this = target.clone();
    let wrapper = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |argument: JsValue| {
        let (original, this) = (original.clone(), this.clone());
        future_to_promise(async move {
            let promise: Promise = original.call1(&this, &argument)?.dyn_into()?;
            let value = JsFuture::from(promise).await?;
            seen(&value)?;
            Ok(value)
        })
    });
    Reflect::set(target, &method.into(), wrapper.as_ref())?;
    wrapper.forget();
    Ok(())
}

/// When the device is lost while a job uses it, the engine stops with the reason
/// (`Event::Fatal`), and the page restarts it on the CPU.
fn watch_lost(device: &JsValue) {
    let Ok(lost) = Reflect::get(device, &"lost".into()).and_then(|l| l.dyn_into::<Promise>())
    else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(info) = JsFuture::from(lost).await else {
            return;
        };
        let field = |key: &str| {
            Reflect::get(&info, &key.into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let (reason, detail) = (field("reason"), field("message"));
        let detail = detail.trim_end_matches('.');
        let message = match (reason.as_str(), detail.is_empty()) {
            ("", true) => "the WebGPU device was lost".to_string(),
            ("", false) => format!("the WebGPU device was lost ({detail})"),
            (reason, true) => format!("the WebGPU device was lost ({reason})"),
            (reason, false) => format!("the WebGPU device was lost ({reason}: {detail})"),
        };
        web_sys::console::warn_1(&message.clone().into());
        if GPU_IN_USE.with(Cell::get) {
            post(&Event::Fatal { message });
        } else {
            GPU_LOST.with(|l| l.set(true));
        }
    });
}

/// Destroys the WebGPU device, as a lost GPU would (test-only: `Request::LoseDevice`).
pub fn lose_device() -> Result<(), EngineError> {
    let device = GPU_DEVICE
        .with(|d| d.borrow().clone())
        .ok_or_else(|| EngineError::Unavailable("the engine holds no WebGPU device".into()))?;
    let destroy: Function = Reflect::get(&device, &"destroy".into())
        .and_then(|f| f.dyn_into())
        .map_err(|e| EngineError::Device(js_error(&e)))?;
    destroy
        .call0(&device)
        .map_err(|e| EngineError::Device(js_error(&e)))?;
    Ok(())
}
