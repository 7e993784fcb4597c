//! The worker's entry point: a helper of the CPU pool, or the engine itself (its message loop).

use futures::channel::mpsc;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::worker::{MAX_QUEUED_REQUESTS, finish, post, queue_in, queued};
use pinhole_core::protocol::{Envelope, Event, Failure, FailureKind};

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
            Err(e) => {
                web_sys::console::error_1(&format!("engine got a malformed request: {e}").into())
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    wasm_bindgen_futures::spawn_local(super::dispatch::run(receiver, requeue));
    // Messages sent before this point would have been lost: say we are listening.
    post(&Event::Alive);
}
