//! The engine: a dedicated Web Worker that owns Burn, the device and the model. It takes
//! `protocol::Envelope`s one at a time and answers each with progress and one outcome.
//!
//! One file per job; `dispatch.rs` hands each request to its owner:
//! - `model_store.rs`: devices and backends, the shipped list, the classifier's network and its
//!   card (start, switch, select, import, export, use trained); `auto_backend.rs`: the
//!   automatic choice (CPU at once, WebGPU checked and timed in the background, each job on
//!   the faster);
//! - `inference.rs`: classify, explain (saliency), camera frames;
//! - `training.rs` (a run), `training_data.rs` (its records and shards) and
//!   `training_jobs.rs` (start, pause, resume, stop, saved runs);
//! - `insight/`: record sets, evaluation, data explorer, anatomy;
//! - `diagnostics/`: benchmarks, the training check, the layer-gradient check;
//! - `cpu_pool.rs`: the CPU worker pool (helpers that hold the same network and take batch
//!   work), `pool_helper.rs`: a helper's side; `pool_training.rs`: data-parallel training steps;
//! - `worker.rs` (post, clock, yield), `fetch.rs`, `shards.rs`, `checkpoint_store.rs`,
//!   `backend.rs`, `shipped.rs`; `error.rs` (typed errors, native too).

pub mod error;

#[cfg(target_arch = "wasm32")]
mod auto_backend;
#[cfg(target_arch = "wasm32")]
mod backend;
#[cfg(target_arch = "wasm32")]
mod checkpoint_store;
#[cfg(target_arch = "wasm32")]
pub(crate) mod cpu_pool;
#[cfg(target_arch = "wasm32")]
mod diagnostics;
#[cfg(target_arch = "wasm32")]
mod dispatch;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod inference;
#[cfg(target_arch = "wasm32")]
mod insight;
#[cfg(target_arch = "wasm32")]
mod model_store;
#[cfg(target_arch = "wasm32")]
mod pool_helper;
#[cfg(target_arch = "wasm32")]
mod pool_training;
#[cfg(target_arch = "wasm32")]
mod shards;
#[cfg(target_arch = "wasm32")]
mod shipped;
#[cfg(target_arch = "wasm32")]
mod teaching;
#[cfg(target_arch = "wasm32")]
mod training;
#[cfg(target_arch = "wasm32")]
mod training_data;
#[cfg(target_arch = "wasm32")]
mod training_jobs;
#[cfg(target_arch = "wasm32")]
mod worker;

pub use error::EngineError;

#[cfg(target_arch = "wasm32")]
pub use entry::run_worker;

#[cfg(target_arch = "wasm32")]
mod entry {
    use futures::channel::mpsc;
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    use super::worker::{MAX_QUEUED_REQUESTS, finish, post, queue_in, queued};
    use crate::protocol::{Envelope, Event, Failure, FailureKind};

    /// Entry point of the worker binary.
    pub fn run_worker() {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        if scope.name().starts_with(super::pool_helper::HELPER_NAME) {
            return super::pool_helper::run_helper();
        }
        std::panic::set_hook(Box::new(|info| {
            // A panic aborts the wasm instance; tell the UI first so it can restart the engine
            // (on the CPU) and say why, instead of hanging.
            let message = info.to_string();
            web_sys::console::warn_1(&format!("pinhole engine panicked: {message}").into());
            post(&Event::Fatal { message });
        }));
        let (sender, receiver) = mpsc::unbounded::<Envelope>();
        let requeue = sender.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<Envelope>(event.data()) {
                // A page (or a script) that floods the engine gets refusals, not an ever longer
                // queue: each waiting request holds its bytes.
                Ok(Envelope { id, request }) if queued() >= MAX_QUEUED_REQUESTS => finish(
                    id,
                    Err(Failure::new(
                        FailureKind::Unavailable,
                        format!(
                            "{} was refused: the engine already has {MAX_QUEUED_REQUESTS} requests waiting; try again when it has caught up",
                            request.describe()
                        ),
                    )),
                ),
                Ok(envelope) => {
                    queue_in();
                    let _ = sender.unbounded_send(envelope);
                }
                // No id to answer: a UI of another version. Say so in the console, where such
                // a mismatch is looked for.
                Err(e) => web_sys::console::error_1(
                    &format!("engine got a malformed request: {e}").into(),
                ),
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        wasm_bindgen_futures::spawn_local(super::dispatch::run(receiver, requeue));
        // Messages sent before this point would have been lost: say we are listening.
        post(&Event::Alive);
    }
}
