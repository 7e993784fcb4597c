//! The UI's handle on the engine worker: starts it, sends requests, turns events into signals,
//! and restarts it on the CPU if it dies (a lost GPU device, a bug), saying why.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use std::collections::HashMap;

use super::download::{object_url, revoke, save_file};
use super::insight_state::InsightViews;
use super::training_view::TrainingView;
use crate::model::Prediction;
use crate::protocol::{
    BackendKind, BackendStatus, BenchmarkResult, Event, Heatmap, ModelInfo, OpCheck, Request,
    TrainingBenchmarkResult, TrainingCheck, TrainingState,
};

/// One image the user gave, and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageResult {
    pub id: u64,
    pub name: String,
    /// Object URL of the user's file, for the thumbnail.
    pub thumbnail: Option<String>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Pending,
    Done {
        top: Vec<Prediction>,
        logits: Vec<f32>,
        /// Object URL of the 32×32 PNG the model saw.
        input_url: Option<String>,
        /// The same 32×32 image, planar RGB, for saliency requests.
        pixels: Vec<u8>,
        millis: f64,
    },
    Failed(String),
}

/// A saliency request for an uploaded image and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub enum Explanation {
    Pending,
    Done(Heatmap),
    Failed(String),
}

/// The engine's answer to the latest camera frame.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveFrame {
    pub id: u64,
    pub result: Result<LiveResult, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LiveResult {
    pub top: Vec<Prediction>,
    pub input_rgba: Vec<u8>,
    pub heatmap: Option<Heatmap>,
    pub millis: f64,
}

/// How many times the engine may die before the page stops restarting it.
const MAX_RESTARTS: u32 = 3;

#[derive(Clone, Copy)]
pub struct EngineClient {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    /// What to send when the (re)started worker says it is alive.
    start: StoredValue<Request, LocalStorage>,
    restarts: StoredValue<u32, LocalStorage>,
    next_id: StoredValue<u64, LocalStorage>,
    pub backend: RwSignal<Option<BackendStatus>>,
    pub model: RwSignal<Option<ModelInfo>>,
    pub busy: RwSignal<Option<String>>,
    pub error: RwSignal<Option<String>>,
    pub results: RwSignal<Vec<ImageResult>>,
    pub benchmark: RwSignal<Option<Vec<BenchmarkResult>>>,
    /// Saliency of uploaded images, by result id.
    pub explanations: RwSignal<HashMap<u64, Explanation>>,
    /// The latest camera frame's answer.
    pub live: RwSignal<Option<LiveFrame>>,
    pub training: RwSignal<TrainingView>,
    pub training_benchmark: RwSignal<Option<Vec<TrainingBenchmarkResult>>>,
    pub training_check: RwSignal<Option<(Vec<OpCheck>, Vec<TrainingCheck>)>>,
    /// The evaluate, explore and inside pages' state.
    pub insight: InsightViews,
}

impl EngineClient {
    pub fn start() -> Self {
        let client = EngineClient {
            worker: StoredValue::new_local(None),
            start: StoredValue::new_local(Request::Start {
                backend: requested_backend(),
                notice: None,
            }),
            restarts: StoredValue::new_local(0),
            next_id: StoredValue::new_local(1),
            backend: RwSignal::new(None),
            model: RwSignal::new(None),
            busy: RwSignal::new(Some("Starting the engine…".into())),
            error: RwSignal::new(None),
            results: RwSignal::new(Vec::new()),
            benchmark: RwSignal::new(None),
            explanations: RwSignal::new(HashMap::new()),
            live: RwSignal::new(None),
            training: RwSignal::new(TrainingView::default()),
            training_benchmark: RwSignal::new(None),
            training_check: RwSignal::new(None),
            insight: InsightViews::new(),
        };
        client.spawn_worker();
        client
    }

    pub fn send(&self, request: Request) {
        let value = match serde_wasm_bindgen::to_value(&request) {
            Ok(value) => value,
            Err(e) => {
                return self
                    .error
                    .set(Some(format!("could not encode a request: {e}")));
            }
        };
        self.worker.with_value(|worker| match worker {
            Some(worker) => {
                if let Err(e) = worker.post_message(&value) {
                    self.error
                        .set(Some(format!("could not reach the engine: {e:?}")));
                }
            }
            None => self.error.set(Some("the engine is not running".into())),
        });
    }

    /// A fresh id for a request whose answer must be matched to it.
    pub fn next_id(&self) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    fn spawn_worker(self) {
        // Trunk's loader shim for the `engine` binary, next to the page (works under a sub-path).
        let worker = match Worker::new("./engine_loader.js") {
            Ok(worker) => worker,
            Err(e) => {
                self.error
                    .set(Some(format!("the engine worker could not start: {e:?}")));
                return;
            }
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match serde_wasm_bindgen::from_value::<Event>(event.data()) {
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
            self.restart(event.message());
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        self.worker.set_value(Some(worker));
    }

    /// The engine died: replace it with one on the CPU, keep what the page shows, and say why.
    fn restart(self, reason: String) {
        if let Some(worker) = self.worker.get_value() {
            worker.terminate();
        }
        self.worker.set_value(None);
        let was_gpu = self
            .backend
            .get_untracked()
            .is_none_or(|s| s.kind == BackendKind::WebGpu);
        let reason = reason.trim().trim_start_matches("Uncaught ").to_string();
        self.results.update(|results| {
            for r in results.iter_mut().filter(|r| r.outcome == Outcome::Pending) {
                r.outcome = Outcome::Failed(
                    "The engine stopped before this image was classified; please add it again."
                        .into(),
                );
            }
        });
        self.explanations.update(|map| {
            for state in map.values_mut().filter(|s| **s == Explanation::Pending) {
                *state = Explanation::Failed(
                    "The engine stopped before the map was made; please try again.".into(),
                );
            }
        });
        self.live.set(Some(LiveFrame {
            id: 0,
            result: Err("The engine stopped; restarting it…".into()),
        }));
        self.training.update(|view| {
            if view.state.is_some_and(|s| !matches!(s, TrainingState::Failed)) {
                view.state = Some(TrainingState::Failed);
                view.message = Some(
                    "The engine stopped during training. The last checkpoint is kept: resume it below."
                        .into(),
                );
            }
        });
        self.insight.engine_stopped();
        let restarts = self.restarts.get_value() + 1;
        self.restarts.set_value(restarts);
        if restarts > MAX_RESTARTS {
            self.busy.set(None);
            self.error.set(Some(format!(
                "The engine keeps stopping ({reason}); reload the page to try again."
            )));
            return;
        }
        let notice = if was_gpu {
            format!("The WebGPU engine stopped ({reason}); switched to the CPU.")
        } else {
            format!("The engine stopped ({reason}) and was restarted.")
        };
        self.start.set_value(Request::Start {
            backend: Some(BackendKind::Cpu),
            notice: Some(notice),
        });
        self.backend.set(None);
        self.busy.set(Some("Restarting the engine…".into()));
        self.spawn_worker();
    }

    fn on_event(self, event: Event) {
        let mut training = false;
        self.training.update(|view| training = view.apply(&event));
        if training || self.insight.apply(&event) {
            return;
        }
        match event {
            Event::Alive => self.send(self.start.get_value()),
            Event::Backend { status } => {
                self.backend.set(Some(status));
            }
            Event::Model { info } => {
                self.model.set(Some(info));
                self.busy.set(None);
            }
            Event::Busy { message } => self.busy.set(Some(message)),
            Event::Classified {
                id,
                top,
                logits,
                input_png,
                pixels,
                millis,
                ..
            } => {
                // Removed while it was being classified: nothing shows it, so no URL to make.
                if !self
                    .results
                    .with_untracked(|results| results.iter().any(|r| r.id == id))
                {
                    return;
                }
                let input_url = object_url(&input_png, "image/png");
                self.set_outcome(
                    id,
                    Outcome::Done {
                        top,
                        logits,
                        input_url,
                        pixels,
                        millis,
                    },
                );
            }
            Event::Explained { id, heatmap } => self
                .explanations
                .update(|map| _ = map.insert(id, Explanation::Done(heatmap))),
            Event::ExplainFailed { id, message } => self
                .explanations
                .update(|map| _ = map.insert(id, Explanation::Failed(message))),
            Event::FrameClassified {
                id,
                top,
                input_rgba,
                heatmap,
                millis,
            } => self.live.set(Some(LiveFrame {
                id,
                result: Ok(LiveResult {
                    top,
                    input_rgba,
                    heatmap,
                    millis,
                }),
            })),
            Event::FrameFailed { id, message } => self.live.set(Some(LiveFrame {
                id,
                result: Err(message),
            })),
            Event::ClassifyFailed { id, message, .. } => {
                self.set_outcome(id, Outcome::Failed(message))
            }
            Event::Benchmark { results } => {
                self.busy.set(None);
                self.benchmark.set(Some(results));
            }
            Event::TrainingBenchmark { results } => {
                self.busy.set(None);
                self.training_benchmark.set(Some(results));
            }
            Event::TrainingChecked { ops, checks } => {
                self.busy.set(None);
                self.training_check.set(Some((ops, checks)));
            }
            Event::WeightsExported { file_name, bytes } => {
                save_file(&file_name, &bytes, "application/octet-stream")
            }
            // Handled by `TrainingView::apply` above.
            Event::DataProgress { .. }
            | Event::TrainingStarted { .. }
            | Event::TrainingStep { .. }
            | Event::EpochEnded { .. }
            | Event::TrainingStatus { .. }
            | Event::CheckpointSaved { .. }
            | Event::CheckpointAvailable { .. } => {}
            // Handled by `InsightViews::apply` above.
            Event::InsightProgress { .. }
            | Event::InsightFailed { .. }
            | Event::Evaluated { .. }
            | Event::RecordImages { .. }
            | Event::DataExplored { .. }
            | Event::Augmented { .. }
            | Event::Inspected { .. } => {}
            Event::Error { message } => {
                self.busy.set(None);
                self.error.set(Some(message));
            }
            Event::Fatal { message } => self.restart(message),
        }
    }

    /// Drops the results `remove` picks, with their saliency, and releases their object URLs
    /// (the uploaded file's thumbnail and the 32×32 PNG), which would otherwise live as long
    /// as the page.
    pub fn remove_results(&self, remove: impl Fn(&ImageResult) -> bool) {
        let mut removed = Vec::new();
        self.results.update(|results| {
            results.retain(|r| {
                if remove(r) {
                    removed.push(r.clone());
                    false
                } else {
                    true
                }
            })
        });
        for result in &removed {
            if let Some(url) = &result.thumbnail {
                revoke(url);
            }
            if let Outcome::Done {
                input_url: Some(url),
                ..
            } = &result.outcome
            {
                revoke(url);
            }
        }
        self.explanations.update(|map| {
            for result in &removed {
                map.remove(&result.id);
            }
        });
    }

    fn set_outcome(&self, id: u64, outcome: Outcome) {
        self.results.update(|results| {
            if let Some(result) = results.iter_mut().find(|r| r.id == id) {
                result.outcome = outcome;
            }
        });
    }
}

/// `?backend=cpu` or `?backend=webgpu` in the page URL forces the first backend.
fn requested_backend() -> Option<BackendKind> {
    let search = web_sys::window()?.location().search().ok()?;
    if search.contains("backend=cpu") {
        Some(BackendKind::Cpu)
    } else if search.contains("backend=webgpu") {
        Some(BackendKind::WebGpu)
    } else {
        None
    }
}
