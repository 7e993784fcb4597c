//! The UI's handle on the engine worker: starts it, sends requests (each with an id, noted in a
//! [`Ledger`] with the action that asked), routes each progress and outcome to that action's
//! state, and restarts the worker on the CPU if it dies (a lost GPU device, a bug), saying why.
//! Requests made before the worker listens wait in an outbox; the engine itself keeps those
//! that arrive before it has started.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::download::{object_url, revoke, save_file};
use super::insight_state::InsightViews;
use super::teach_store;
use crate::protocol::{
    BackendKind, BackendStatus, Envelope, Event, KeptNetwork, ModelInfo, Outcome, PoolStatus,
    Progress, Reply, Request, RequestId, Restore,
};
use crate::ui_state::{
    Asked, BenchmarkView, ClassifyView, ImageResult, Ledger, LiveView, ObjectUrls, Persist,
    TeachView, TrainingView,
};

/// How many times the engine may die before the page stops restarting it.
const MAX_RESTARTS: u32 = 3;

/// The browser's `URL.createObjectURL` / `revokeObjectURL`.
pub struct BrowserUrls;

impl ObjectUrls for BrowserUrls {
    fn create(&mut self, bytes: &[u8], mime: &str) -> Option<String> {
        object_url(bytes, mime)
    }
    fn revoke(&mut self, url: &str) {
        revoke(url)
    }
}

#[derive(Clone, Copy)]
pub struct EngineClient {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    /// Whether the worker said it listens (`Event::Alive`); until then requests wait.
    listening: StoredValue<bool>,
    outbox: StoredValue<Vec<Envelope>>,
    /// What to send first when the (re)started worker says it is alive.
    start: StoredValue<Request>,
    restarts: StoredValue<u32>,
    /// The visitor's own network in use (imported or trained), for a restarted engine.
    kept: StoredValue<Option<KeptNetwork>>,
    /// Whether the restarted engine should resume the saved run once it reports it.
    resume_saved_run: StoredValue<bool>,
    /// Bumped for each worker: a second report of one crash (the panic hook's `Fatal`, then the
    /// worker's error event) names an old worker and is ignored.
    generation: StoredValue<u64>,
    next_id: StoredValue<u64>,
    ledger: StoredValue<Ledger>,
    pub backend: RwSignal<Option<BackendStatus>>,
    pub model: RwSignal<Option<ModelInfo>>,
    /// The page-wide busy line: progress of requests without a place of their own.
    pub busy: RwSignal<Option<String>>,
    /// The page-wide error line: failures of requests without a place of their own.
    pub error: RwSignal<Option<String>>,
    pub classify: RwSignal<ClassifyView>,
    pub live: RwSignal<LiveView>,
    pub benchmark: RwSignal<BenchmarkView>,
    /// The CPU worker pool (Speed page).
    pub pool: RwSignal<Option<PoolStatus>>,
    /// The visitor's pool size (`None`: one worker per core), for a restarted engine too.
    workers: StoredValue<Option<usize>>,
    pub training: RwSignal<TrainingView>,
    /// The evaluate, explore and inside pages' state.
    pub insight: InsightViews,
    /// The Teach project (kept in IndexedDB by `teach_store`).
    pub teach: RwSignal<TeachView>,
    /// Whether the stored project has been read (edits wait for it).
    pub teach_ready: RwSignal<bool>,
    /// What became of the project's storage (refused, persistent or not).
    pub teach_storage: RwSignal<Option<String>>,
}

impl EngineClient {
    pub fn start() -> Self {
        let client = EngineClient {
            worker: StoredValue::new_local(None),
            listening: StoredValue::new(false),
            outbox: StoredValue::new(Vec::new()),
            start: StoredValue::new(Request::Start {
                backend: requested_backend(),
                notice: None,
                restore: Box::default(),
                faults: test_faults(),
                workers: requested_workers(),
            }),
            restarts: StoredValue::new(0),
            kept: StoredValue::new(None),
            resume_saved_run: StoredValue::new(false),
            generation: StoredValue::new(0),
            next_id: StoredValue::new(1),
            ledger: StoredValue::new(Ledger::default()),
            backend: RwSignal::new(None),
            model: RwSignal::new(None),
            busy: RwSignal::new(Some("Starting the engine…".into())),
            error: RwSignal::new(None),
            classify: RwSignal::new(ClassifyView::default()),
            live: RwSignal::new(LiveView::default()),
            benchmark: RwSignal::new(BenchmarkView::default()),
            pool: RwSignal::new(None),
            workers: StoredValue::new(requested_workers()),
            training: RwSignal::new(TrainingView::default()),
            insight: InsightViews::new(),
            teach: RwSignal::new(TeachView::starter()),
            teach_ready: RwSignal::new(false),
            teach_storage: RwSignal::new(None),
        };
        client.open_project();
        client.spawn_worker();
        if test_faults() {
            client.offer_faults();
        }
        client
    }

    /// `window.__pinholeFaults.loseDevice()` and `.crashWorker()` for the end-to-end tests (`?test-faults` only).
    fn offer_faults(self) {
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

    /// Reads the stored Teach project; a head that was in use is put back into use.
    fn open_project(self) {
        leptos::task::spawn_local(async move {
            match teach_store::load().await {
                Ok(Some((view, missing))) => {
                    if let Some(head) = view.head.as_ref().filter(|_| view.in_use) {
                        self.send(Request::ImportWeights {
                            name: head.file_name.clone(),
                            bytes: head.weights.to_vec(),
                        });
                    }
                    self.teach.set(view);
                    if missing > 0 {
                        self.teach_storage.set(Some(format!(
                            "{missing} samples of your project could not be read back from this browser's storage."
                        )));
                    }
                }
                Ok(None) => {}
                Err(e) => self.teach_storage.set(Some(format!(
                    "Your project cannot be kept in this browser: {e}. Export it to keep it."
                ))),
            }
            self.teach_ready.set(true);
        });
    }

    /// Changes the Teach project and stores what changed.
    pub fn teach_change(self, change: impl FnOnce(&mut TeachView) -> Vec<Persist>) {
        let mut persist = Vec::new();
        self.teach.update(|view| persist = change(view));
        self.teach.with_untracked(|view| {
            teach_store::persist(view, persist, move |e| self.teach_storage.set(Some(e)))
        });
    }

    /// The classifier's class names (CIFAR-10's until the model says otherwise).
    pub fn class_names(&self) -> Vec<String> {
        self.model
            .with(|m| m.as_ref().map(|m| m.classes.clone()))
            .unwrap_or_else(crate::model::class_names::cifar_class_names)
    }

    /// The name of class `index` of the classifier, or "class N" past its end.
    pub fn class_name(&self, index: usize) -> String {
        self.class_names()
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("class {index}"))
    }

    /// A fresh id, for an action that shows its pending state before it can send (e.g. an
    /// upload whose bytes are still being read).
    pub fn next_id(&self) -> RequestId {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
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
        let failure =
            crate::protocol::Failure::new(crate::protocol::FailureKind::Cancelled, message);
        self.on_outcome(id, Err(failure));
    }

    fn spawn_worker(self) {
        self.listening.set_value(false);
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        // Trunk's loader shim for the `engine` binary of this build, next to the page (works
        // under a sub-path).
        let worker = match Worker::new(&super::offline::engine_loader_url()) {
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
    fn on_alive(self) {
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
            Err(crate::protocol::Failure::new(
                crate::protocol::FailureKind::Cancelled,
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

    fn on_event(self, event: Event) {
        match event {
            Event::Alive => self.on_alive(),
            Event::Backend { status } => self.backend.set(Some(status)),
            Event::Model { info } => self.model.set(Some(info)),
            Event::Network { kept } => self.kept.set_value(kept),
            Event::SavedRun { summary, problem } => {
                let resume = summary.is_some() && self.resume_saved_run.get_value();
                self.resume_saved_run.set_value(false);
                self.training
                    .update(|view| view.saved_run(summary, problem));
                // A run the stopped engine was training continues from its checkpoint.
                if resume {
                    self.send(Request::ResumeCheckpoint);
                }
            }
            Event::Progress { id, progress } => self.on_progress(id, progress),
            Event::Outcome { id, outcome } => self.on_outcome(id, outcome),
            // Handled with the worker's generation in `spawn_worker`.
            Event::Pool { status } => self.pool.set(Some(status)),
            Event::Fatal { .. } => {}
        }
    }

    fn on_progress(self, id: RequestId, progress: Progress) {
        let Some(asked) = self.ledger.with_value(|ledger| ledger.get(id)) else {
            return;
        };
        if asked == Asked::Training {
            self.training.update(|view| _ = view.apply(id, &progress));
            return;
        }
        if asked == Asked::Teach {
            self.teach
                .update(|view| view.teaching_progress(id, &progress));
            return;
        }
        if let Progress::Step {
            message,
            done,
            total,
        } = progress
            && !self.insight.progress(asked, &message, done, total)
        {
            self.busy.set(Some(message));
        }
    }

    fn on_outcome(self, id: RequestId, outcome: Outcome) {
        let Some((asked, what)) = self.ledger.try_update_value(|l| l.answered(id)).flatten() else {
            return;
        };
        self.route_outcome(id, asked, what, outcome);
    }

    /// Hands the outcome of request `id` to the action that asked.
    fn route_outcome(self, id: RequestId, asked: Asked, what: &str, outcome: Outcome) {
        if asked.page_wide() {
            self.busy.set(None);
        }
        match asked {
            Asked::Classify => self
                .classify
                .update(|view| view.apply(id, outcome, &mut BrowserUrls)),
            Asked::Explain { result } => self
                .classify
                .update(|view| view.apply_explanation(result, outcome)),
            Asked::Frame => {
                let now = now_ms();
                self.live.update(|view| _ = view.apply(id, outcome, now));
            }
            Asked::Benchmark | Asked::TrainingBenchmark | Asked::TrainingCheck => {
                self.benchmark.update(|view| _ = view.apply(asked, outcome))
            }
            Asked::Training => self.training.update(|view| view.apply_outcome(id, outcome)),
            Asked::Evaluate
            | Asked::RecordImages
            | Asked::Explore
            | Asked::Augment
            | Asked::Inspect => self.insight.outcome(asked, outcome),
            Asked::Sample => self.teach_change(|view| view.sample_answered(id, outcome)),
            Asked::Teach => self.teach_change(|view| view.teaching_answered(id, outcome)),
            Asked::Export => match outcome {
                Ok(Reply::WeightsExported { file_name, bytes }) => {
                    save_file(&file_name, &bytes, "application/octet-stream")
                }
                Ok(_) => {}
                Err(failure) => self.error.set(Some(format!("Export failed: {failure}"))),
            },
            Asked::Start => {
                self.busy.set(None);
                if let Err(failure) = outcome {
                    self.error.set(Some(failure.message));
                }
            }
            Asked::TrainingControl | Asked::ModelChange | Asked::CancelEvaluation => {
                if let Err(failure) = outcome {
                    let mut what = what.to_string();
                    if let Some(first) = what.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    self.error.set(Some(format!("{what} failed: {failure}")));
                }
            }
        }
    }

    /// Drops the results `remove` picks, with their saliency, and releases their object URLs
    /// (the uploaded file's thumbnail and the 32×32 PNG), which would otherwise live as long
    /// as the page.
    pub fn remove_results(&self, remove: impl Fn(&ImageResult) -> bool) {
        self.classify
            .update(|view| view.remove(remove, &mut BrowserUrls));
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// `?test-faults` in the page URL allows the test-only fault requests, and offers them to a
/// test as `window.__pinholeFaults.loseDevice()`.
fn test_faults() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|search| search.contains("test-faults"))
}

const WORKERS_KEY: &str = "pinhole-cpu-workers";

/// The CPU pool's size: `?workers=N` in the page URL, else the visitor's last choice (kept in
/// `localStorage`), else `None` (one worker per core).
fn requested_workers() -> Option<usize> {
    let window = web_sys::window()?;
    let search = window.location().search().ok().unwrap_or_default();
    let from_url = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("workers="))
        .and_then(|n| n.parse().ok());
    from_url.or_else(|| {
        storage_call("getItem", &[WORKERS_KEY.into()])?
            .as_string()?
            .parse()
            .ok()
    })
}

/// `localStorage.<method>(args…)`, through `Reflect` (web-sys's `Storage` would rebuild every
/// crate that uses web-sys); `None` where storage is refused.
fn storage_call(method: &str, args: &[wasm_bindgen::JsValue]) -> Option<wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let storage = js_sys::Reflect::get(&window, &"localStorage".into()).ok()?;
    if storage.is_null() || storage.is_undefined() {
        return None;
    }
    let function: js_sys::Function = js_sys::Reflect::get(&storage, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    function
        .apply(&storage, &args.iter().collect::<js_sys::Array>())
        .ok()
}

impl EngineClient {
    /// Resizes the CPU worker pool (`None`: one per core) and remembers the choice.
    pub fn set_workers(self, count: Option<usize>) {
        self.workers.set_value(count);
        let _ = match count {
            Some(n) => storage_call("setItem", &[WORKERS_KEY.into(), n.to_string().into()]),
            None => storage_call("removeItem", &[WORKERS_KEY.into()]),
        };
        self.send(Request::SetWorkers { count });
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
