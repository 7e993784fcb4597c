//! One helper's life: spawned on the engine's own script, given the network, its replies routed
//! to the waiting work, and when it is lost, its work redone by the engine.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::pool_helper::{HELPER_NAME, memory_bytes};
use crate::worker::{finish, post, queue_in, queue_out};
use pinhole_core::protocol::{Event, HelperReply, HelperRequest};

use super::*;

impl Shared {
    pub(super) fn send(&self, id: usize, message: &HelperRequest) {
        let Some(helper) = self.roster.member(id) else {
            return;
        };
        match serde_wasm_bindgen::to_value(message) {
            Ok(value) => {
                if let Err(e) = helper.handle.worker.post_message(&value) {
                    web_sys::console::error_2(&"could not post to a CPU worker".into(), &e);
                }
            }
            Err(e) => web_sys::console::error_1(
                &format!("could not encode a message for a CPU worker: {e}").into(),
            ),
        }
    }

    pub(super) fn send_load(&mut self, id: usize) {
        if let Some(message) = self.roster.load_message(id) {
            self.send(id, &message);
        }
    }

    pub(super) fn on_reply(&mut self, id: usize, reply: HelperReply) {
        match reply {
            HelperReply::Alive => {
                if let Some(message) = self.roster.alive(id) {
                    self.send(id, &message);
                }
            }
            HelperReply::Loaded {
                generation,
                problem,
                memory_bytes,
            } => {
                if let Some(problem) = problem {
                    self.remove(
                        id,
                        Some(format!(
                            "a CPU worker could not hold the network: {problem}"
                        )),
                    );
                } else {
                    self.roster.loaded(id, generation, memory_bytes);
                }
                self.post_status();
            }
            HelperReply::Classified { job, outcome } => {
                if let Some(Job::Classify(envelope)) = self.roster.take_job(id, job) {
                    finish(envelope.id, outcome);
                }
            }
            HelperReply::Logits { job, .. }
            | HelperReply::Features { job, .. }
            | HelperReply::Probabilities { job, .. }
            | HelperReply::TrainedSlice { job, .. } => {
                if let Some(Job::Slice(sender)) = self.roster.take_job(id, job) {
                    let _ = sender.send(reply);
                }
            }
            HelperReply::Stale { job } => {
                if let Some(job) = self.roster.take_job(id, job) {
                    self.redo(job);
                }
            }
            HelperReply::Died { message } => {
                self.remove(id, Some(format!("a CPU worker stopped: {message}")));
                self.post_status();
            }
        }
    }

    /// The engine does a lost helper's job itself.
    pub(super) fn redo(&self, job: Job<oneshot::Sender<HelperReply>>) {
        match job {
            Job::Classify(envelope) => {
                queue_in();
                // Not queued (the engine is stopping): not waiting either.
                if self.requeue.unbounded_send(envelope).is_err() {
                    queue_out();
                }
            }
            // The waiting call computes the slice when its answer is dropped.
            Job::Slice(sender) => drop(sender),
        }
    }

    /// Stops helper `id`; its work is redone by the engine. `problem` says why, for the page.
    pub(super) fn remove(&mut self, id: usize, problem: Option<String>) {
        let Some(helper) = self.roster.remove(id, problem) else {
            return;
        };
        let (handle, jobs) = helper.into_jobs();
        let Handle {
            worker,
            _on_message,
            _on_error,
        } = handle;
        worker.set_onmessage(None);
        worker.terminate();
        // A lost helper's events may still be queued (its `error` after its `Died`): a dropped
        // handler would throw "closure invoked after being dropped" in the engine, and none would
        // let the error reach the page. So its handlers stay, leaked (bytes per lost helper).
        _on_message.forget();
        _on_error.forget();
        for job in jobs {
            self.redo(job);
        }
    }

    pub(super) fn post_status(&self) {
        post(&Event::Pool {
            status: self.roster.status(memory_bytes()),
        });
    }
}

pub(super) fn spawn(id: usize, shared: &Rc<RefCell<Shared>>) -> Result<Handle, String> {
    let options = WorkerOptions::new();
    options.set_name(&format!("{HELPER_NAME}-{id}"));
    options.set_type(WorkerType::Classic);
    let worker =
        Worker::new_with_options(&own_script_url()?, &options).map_err(|e| format!("{e:?}"))?;
    let on_message =
        {
            let shared = Rc::downgrade(shared);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let reply = serde_wasm_bindgen::from_value::<HelperReply>(event.data())
                    .unwrap_or_else(|e| HelperReply::Died {
                        message: format!("it sent a malformed reply ({e})"),
                    });
                // Replies can arrive while the engine runs a job that borrows the pool: they wait
                // for the next turn of the event loop.
                let Ok(mut shared) = shared.try_borrow_mut() else {
                    let again = Rc::downgrade(&shared);
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Some(shared) = again.upgrade() {
                            shared.borrow_mut().on_reply(id, reply);
                        }
                    });
                    return;
                };
                shared.on_reply(id, reply);
            })
        };
    let on_error = {
        let shared = Rc::downgrade(shared);
        Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let message = event.message();
            let shared = shared.clone();
            // Never inside another borrow: the next turn of the event loop.
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(shared) = shared.upgrade() {
                    shared
                        .borrow_mut()
                        .on_reply(id, HelperReply::Died { message });
                }
            });
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Handle {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// The engine's own loader script: helpers run the same code.
pub(super) fn own_script_url() -> Result<String, String> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(scope.location().href())
}

/// `navigator.deviceMemory` in bytes (Chromium; rounded by the browser, at most 8 GB), if said.
pub(super) fn device_memory_bytes() -> Option<u64> {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"deviceMemory".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .filter(|gb| *gb > 0.0)
        .map(|gb| (gb * (1u64 << 30) as f64) as u64)
}

/// `navigator.hardwareConcurrency` (through `Reflect`: web-sys's `WorkerNavigator` would
/// rebuild every crate that uses web-sys); 1 where the browser does not say.
pub(super) fn hardware_concurrency() -> usize {
    let cores = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"hardwareConcurrency".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .unwrap_or(1.0);
    (cores as usize).max(1)
}
