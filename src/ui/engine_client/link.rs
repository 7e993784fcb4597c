//! The worker link: spawns the engine worker (this build's), sends requests (an outbox until it
//! listens), and restarts it on the CPU when it dies, saying why.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::*;
use crate::ui_state::{Asked, ClassifyView, Ledger, LiveView, TrainingView};
use pinhole_core::protocol::{BackendKind, Envelope, Event, Request, RequestId, Restore};

/// How many times the engine may die before the page stops restarting it.
const MAX_RESTARTS: u32 = 3;
impl EngineClient {
    /// `window.__pinholeFaults.loseDevice()` and `.crashWorker()` for the end-to-end tests (`?test-faults` only).
    pub(super) fn offer_faults(self) {
        let faults = js_sys::Object::new();
        let lose = Closure::<dyn FnMut()>::new(move || self.send(Request::LoseDevice));
        let _ = js_sys::Reflect::set(&faults, &"loseDevice".into(), lose.as_ref());
        lose.forget();
        let crash = Closure::<dyn FnMut()>::new(move || self.send(Request::CrashWorker));
        let _ = js_sys::Reflect::set(&faults, &"crashWorker".into(), crash.as_ref());
        crash.forget();
        if let Some(window) = web_sys::window() {
            let _ = js_sys::Reflect::set(&window, &"__pinholeFaults".into(), &faults);
        }
    }

    /// Sends a request; its outcome goes to the state of the action it is (see [`Asked`]).
    pub fn send(&self, request: Request) {
        self.send_as(self.next_id(), request, None);
    }

    /// Sends a request under `id` (from [`EngineClient::next_id`]); `subject` is the result an
    /// `Explain` is for.
    pub fn send_as(&self, id: RequestId, request: Request, subject: Option<RequestId>) {
        self.ledger
            .update_value(|ledger| ledger.asked(id, &request, subject));
        let asked = Asked::of(&request, subject);
        if asked.page_wide() {
            self.error.set(None);
        }
        match asked {
            Asked::Training => self.training.update(|view| view.asked(id)),
            Asked::Benchmark | Asked::TrainingBenchmark | Asked::TrainingCheck => {
                self.benchmark.update(|view| view.started(asked))
            }
            _ => {}
        }
        let envelope = Envelope { id, request };
        if self.listening.get_value() {
            self.post(&envelope);
        } else {
            self.outbox.update_value(|outbox| outbox.push(envelope));
        }
    }

    fn post(&self, envelope: &Envelope) {
        let value = match serde_wasm_bindgen::to_value(envelope) {
            Ok(value) => value,
            Err(e) => return self.fail(envelope.id, format!("could not encode a request: {e}")),
        };
        let posted = self.worker.with_value(|worker| match worker {
            Some(worker) => worker
                .post_message(&value)
                .map_err(|e| format!("could not reach the engine: {e:?}")),
            None => Err("the engine is not running".into()),
        });
        if let Err(message) = posted {
            self.fail(envelope.id, message);
        }
    }

    /// Request `id` failed on this side (never reached the engine).
    fn fail(&self, id: RequestId, message: String) {
        let failure = pinhole_core::protocol::Failure::new(
            pinhole_core::protocol::FailureKind::Cancelled,
            message,
        );
        self.on_outcome(id, Err(failure));
    }

    pub(super) fn spawn_worker(self) {
        self.listening.set_value(false);
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        // Trunk's loader shim for the `engine` binary of this build, next to the page (works
        // under a sub-path).
        let worker = match Worker::new(&crate::ui::page_url::engine_loader_url()) {
            Ok(worker) => worker,
            Err(e) => {
                self.error
                    .set(Some(format!("the engine worker could not start: {e:?}")));
                return;
            }
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<Event>(event.data()) {
                Ok(Event::Fatal { message }) => self.restart(generation, message),
                Ok(event) => self.on_event(event),
                Err(e) => self
                    .error
                    .set(Some(format!("unreadable engine event: {e}"))),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            self.restart(generation, event.message());
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        self.worker.set_value(Some(worker));
    }

    /// The worker listens: `Start` first, then whatever waited.
    pub(super) fn on_alive(self) {
        self.listening.set_value(true);
        let id = self.next_id();
        let start = self.start.get_value();
        self.ledger
            .update_value(|ledger| ledger.asked(id, &start, None));
        self.post(&Envelope { id, request: start });
        for envelope in self
            .outbox
            .try_update_value(std::mem::take)
            .unwrap_or_default()
        {
            self.post(&envelope);
        }
    }

    /// The engine died: replace it with one on the CPU, keep what the page shows, fail what
    /// was pending, and say why.
    fn restart(self, generation: u64, reason: String) {
        if generation != self.generation.get_value() {
            return;
        }
        let Some(worker) = self.worker.get_value() else {
            return;
        };
        worker.terminate();
        self.worker.set_value(None);
        self.listening.set_value(false);
        let was_gpu = self
            .backend
            .get_untracked()
            .is_none_or(|s| s.kind == BackendKind::WebGpu || s.training == BackendKind::WebGpu);
        let reason = reason.trim().trim_start_matches("Uncaught ").to_string();
        self.outbox.set_value(Vec::new());
        let pending = self
            .ledger
            .try_update_value(Ledger::drain)
            .unwrap_or_default();
        let stopped = || {
            Err(pinhole_core::protocol::Failure::new(
                pinhole_core::protocol::FailureKind::Cancelled,
                crate::ui_state::ENGINE_STOPPED,
            ))
        };
        for (id, asked) in pending {
            if !matches!(asked, Asked::Training | Asked::Start) {
                self.route_outcome(id, asked, "", stopped());
            }
        }
        self.classify.update(ClassifyView::engine_stopped);
        self.live.update(LiveView::engine_stopped);
        let resume = self
            .training
            .try_update(TrainingView::engine_stopped)
            .unwrap_or(false);
        self.resume_saved_run.set_value(resume);
        self.insight.engine_stopped();
        let restarts = self.restarts.get_value() + 1;
        self.restarts.set_value(restarts);
        if restarts > MAX_RESTARTS {
            self.busy.set(None);
            self.error.set(Some(format!(
                "The engine keeps stopping ({}); reload the page to try again.",
                reason.trim_end_matches('.')
            )));
            return;
        }
        let reason = reason.trim_end_matches('.');
        let notice = if was_gpu {
            format!(
                "The WebGPU engine stopped: {reason}. Switched to the CPU (the header's switch goes back)."
            )
        } else {
            format!("The engine stopped: {reason}. It was restarted.")
        };
        // The visitor's network and the shipped preset in use go to the new engine.
        self.start.set_value(Request::Start {
            backend: Some(BackendKind::Cpu),
            notice: Some(notice),
            restore: Box::new(Restore {
                preset: self.model.get_untracked().map(|info| info.preset),
                network: self.kept.get_value(),
            }),
            faults: test_faults(),
            workers: self.workers.get_value(),
        });
        self.backend.set(None);
        self.busy.set(Some("Restarting the engine…".into()));
        self.spawn_worker();
    }
}
