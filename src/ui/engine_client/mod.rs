//! The UI's handle on the engine worker: starts it, sends requests (each with an id, noted in a
//! [`Ledger`] with the action that asked), routes each progress and outcome to that action's
//! state, and restarts the worker on the CPU if it dies (a lost GPU device, a bug), saying why.
//! Requests made before the worker listens wait in an outbox; the engine itself keeps those
//! that arrive before it has started.
//!
//! `mod.rs`: the client's state, one signal per page; `link.rs`: the worker link (spawn, send,
//! outbox, restart); `routing.rs`: each event, progress and outcome to the state that asked.

mod link;
mod routing;

use crate::ui::page_url::{
    WORKERS_KEY, requested_backend, requested_workers, storage_call, test_faults,
};

use leptos::prelude::*;
use web_sys::Worker;

use crate::ui::download::{object_url, revoke};
use crate::ui::insight_state::InsightViews;
use crate::ui::teach_store;
use crate::ui_state::{
    BenchmarkView, ClassifyView, ImageResult, Ledger, LiveView, ObjectUrls, Persist, TeachView,
    TrainingView,
};
use pinhole_core::protocol::{
    BackendStatus, Envelope, KeptNetwork, ModelInfo, PoolStatus, Request, RequestId,
};

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

    /// Reads the stored Teach project; a head that was in use is put back into use.
    fn open_project(self) {
        leptos::task::spawn_local(async move {
            match teach_store::load().await {
                Ok(Some((view, missing))) => {
                    if let Some(head) = view.project.head.as_ref().filter(|_| view.project.in_use) {
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
            .unwrap_or_else(pinhole_core::model::class_names::cifar_class_names)
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
