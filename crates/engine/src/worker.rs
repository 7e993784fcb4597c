//! The worker's side of `postMessage`, its clock and its yield: the only place that posts.

use wasm_bindgen::prelude::*;
use web_sys::DedicatedWorkerGlobalScope;

use pinhole_core::protocol::{Event, Outcome, Progress, RequestId};

/// Sends an event to the UI.
pub fn post(event: &Event) {
    post_message(event);
}

/// Posts `message` to whoever started this worker (the UI, or a pool helper's coordinator).
pub fn post_message<T: serde::Serialize>(message: &T) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_wasm_bindgen::to_value(message) {
        Ok(value) => {
            if let Err(e) = scope.post_message(&value) {
                web_sys::console::error_2(&"engine could not post a message".into(), &e);
            }
        }
        Err(e) => {
            web_sys::console::error_1(&format!("engine could not encode a message: {e}").into())
        }
    }
}

/// Sends request `id`'s one outcome.
pub fn finish(id: RequestId, outcome: Outcome) {
    post(&Event::Outcome { id, outcome });
}

/// Progress of one request: the handle its work reports through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reporter {
    pub id: RequestId,
}

impl Reporter {
    pub fn new(id: RequestId) -> Self {
        Reporter { id }
    }

    pub fn progress(&self, progress: Progress) {
        post(&Event::Progress {
            id: self.id,
            progress,
        });
    }

    /// A step of slow work; `total` 0 when unknown.
    pub fn step(&self, message: impl Into<String>, done: usize, total: usize) {
        self.progress(Progress::Step {
            message: message.into(),
            done,
            total,
        });
    }
}

/// Milliseconds since the worker started (monotonic).
pub fn now_ms() -> f64 {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    scope
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Lets the worker's event loop run (so `onmessage` can queue requests) before going on.
pub async fn yield_now() {
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

/// Most requests waiting for the engine at once: far more than a visitor makes (a drop of a few
/// hundred images), few enough that a flood cannot exhaust the worker's memory.
pub const MAX_QUEUED_REQUESTS: usize = 1024;

thread_local! {
    static QUEUED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Requests received and not yet taken by the request loop.
pub fn queued() -> usize {
    QUEUED.with(|q| q.get())
}

pub fn queue_in() {
    QUEUED.with(|q| q.set(q.get() + 1));
}

/// The request loop took one.
pub fn queue_out() {
    QUEUED.with(|q| q.set(q.get().saturating_sub(1)));
}
