//! The engine: a dedicated Web Worker that owns Burn, the device and the model. It takes
//! `protocol::Request`s one at a time and answers with `protocol::Event`s.

mod backend;
mod checkpoint_store;
mod fetch;
mod insight;
mod op_check;
mod runner;
mod shards;
mod shipped;
mod train_bench;
mod train_check;
mod training;

use futures::channel::mpsc;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{Event, Request};

/// Entry point of the worker binary.
pub fn run_worker() {
    std::panic::set_hook(Box::new(|info| {
        // A panic aborts the wasm instance; tell the UI first so it can restart the engine
        // (on the CPU) and say why, instead of hanging.
        let message = info.to_string();
        web_sys::console::warn_1(&format!("pinhole engine panicked: {message}").into());
        post(&Event::Fatal { message });
    }));
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let (sender, receiver) = mpsc::unbounded::<Request>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<Request>(event.data()) {
            Ok(request) => {
                let _ = sender.unbounded_send(request);
            }
            Err(e) => post(&Event::Error {
                message: format!("engine got a malformed request: {e}"),
            }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    wasm_bindgen_futures::spawn_local(runner::run(receiver));
    // Messages sent before this point would have been lost: say we are listening.
    post(&Event::Alive);
}

/// Sends an event to the UI.
pub(crate) fn post(event: &Event) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_wasm_bindgen::to_value(event) {
        Ok(value) => {
            if let Err(e) = scope.post_message(&value) {
                web_sys::console::error_2(&"engine could not post an event".into(), &e);
            }
        }
        Err(e) => {
            web_sys::console::error_1(&format!("engine could not encode an event: {e}").into())
        }
    }
}

/// Milliseconds since the worker started (monotonic).
pub(crate) fn now_ms() -> f64 {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    scope
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Lets the worker's event loop run (so `onmessage` can queue requests) before going on.
pub(crate) async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        if scope
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .is_err()
        {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
