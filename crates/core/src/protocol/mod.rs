//! The contract between the UI and the engine worker: every request the UI can make
//! (`request.rs`) and every event the engine sends back. Each request travels with an id; the
//! engine answers it with progress and then exactly one outcome carrying that id
//! (`outcome.rs`), and pushes its own state (backend, model, saved run) as it changes.
//! Messages cross `postMessage` as structured clones made by `serde-wasm-bindgen` (byte buffers
//! travel as `Uint8Array`).

mod auto_choice;
mod insight;
mod limits;
mod outcome;
mod pool;
mod request;
mod training;

use serde::{Deserialize, Serialize};

pub use auto_choice::AutoChoice;
pub use insight::{
    Anatomy, DataSummary, Evaluation, InspectImage, LayerView, ModelCard, RecordImage, RecordSet,
};
pub use limits::{
    MAX_DATA_FILE_BYTES, MAX_IMAGE_FILE_BYTES, MAX_WEIGHTS_FILE_BYTES, megabytes, too_large,
};
pub use outcome::{
    BenchmarkResult, Failure, FailureKind, Heatmap, Outcome, Progress, Reply,
    TrainingBenchmarkResult,
};
pub use pool::{
    HelperReply, HelperRequest, MAX_CPU_WORKERS, POOL_MEMORY_SHARE, PoolStatus, SliceProbabilities,
    WireSlice, bytes_f32, f32_bytes, memory_cap, pool_size, split_batch,
};
pub use request::{Envelope, KeptNetwork, Request, RequestId, Restore};
pub use training::{
    CheckpointSummary, DataSource, DroppedFile, EpochPoint, OpCheck, RECIPE_TRANSLATE, StepCheck,
    StepPoint, TensorDiff, TrainSettings, TrainingCheck, TrainingHistory, TrainingPace,
    TrainingState, WeightsFormat,
};

use crate::model::Preset;

/// The shard set `make serve` puts beside the page (relative to it): the default data of the
/// train, evaluate, explore and inside pages, and of the training check.
pub const DEFAULT_MANIFEST: &str = "data/cifar10/manifest.json";

/// Where the model runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Burn's wgpu backend on the browser's WebGPU.
    WebGpu,
    /// Burn's pure-Rust `flex` backend, compiled to WebAssembly (SIMD).
    Cpu,
}

impl BackendKind {
    pub fn label(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "WebGPU",
            BackendKind::Cpu => "CPU (WebAssembly)",
        }
    }
}

/// What the engine is running on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    /// Where the classifier's network runs: uploads, camera frames, saliency, Teach.
    pub kind: BackendKind,
    /// Where training runs and evaluations run (batch work).
    pub training: BackendKind,
    /// e.g. the WebGPU adapter's description, or "flex (WebAssembly SIMD)".
    pub detail: String,
    /// Why the engine is not on the backend the user would expect (shown in the page).
    pub notice: Option<String>,
    /// The automatic choice (no `?backend=` and no manual switch): `None` once the visitor
    /// chose.
    pub auto: Option<AutoChoice>,
}

/// The model the engine holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub preset: Preset,
    pub parameters: usize,
    /// The weights file loaded, or `None` for an untrained (randomly initialised) network.
    pub weights_file: Option<String>,
    /// Presets with shipped weights, to offer in the page.
    pub shipped: Vec<Preset>,
    /// What is known about the weights, test accuracy included (model bar, About page).
    pub card: ModelCard,
    /// Why the network is not the one asked for (e.g. shipped weights that could not load).
    #[serde(default)]
    pub notice: Option<String>,
    /// The names of its classes, one per output: CIFAR-10's, or a visitor's own.
    #[serde(default = "crate::model::class_names::cifar_class_names")]
    pub classes: Vec<String>,
}

impl ModelInfo {
    /// Whether the network classifies CIFAR-10 (not a visitor's own classes).
    pub fn is_cifar(&self) -> bool {
        crate::model::class_names::is_cifar(&self.classes)
    }
}

/// Engine → UI.
///
/// The messages' enums are externally tagged (serde's default, `{"variant": {..}}`), not
/// `tag = "type"`: an internally tagged enum is buffered into serde's `Content` before it is read,
/// which copies every byte payload once more and made the UI's decoders 100 KB larger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The worker's code has loaded and listens: the UI posts `Start` now (earlier messages
    /// would have been lost).
    Alive,
    /// The backend now in use (after `Start`, a switch, or a fallback to the CPU).
    Backend { status: BackendStatus },
    /// The classifier's network now (after `Start`, a model choice, an import, a trained network
    /// taken into use, a backend switch).
    Model { info: ModelInfo },
    /// The visitor's own network in use (imported, or trained and taken into use), for the page
    /// to keep; `None` when the classifier's network is a shipped or untrained one.
    Network { kept: Option<KeptNetwork> },
    /// The run saved in the browser that the page can offer to resume (`None`: there is none);
    /// `problem` says why saved runs cannot be read, if they cannot.
    SavedRun {
        summary: Option<CheckpointSummary>,
        problem: Option<String>,
    },
    /// Work in progress on request `id`.
    Progress { id: RequestId, progress: Progress },
    /// How request `id` ended: sent exactly once per request.
    Outcome { id: RequestId, outcome: Outcome },
    /// The CPU worker pool changed (started, a network loaded, a worker lost, resized).
    Pool { status: PoolStatus },
    /// The engine hit a bug and is about to stop; the UI restarts it and fails what was pending.
    Fatal { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SaliencyMethod;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
        value: T,
    ) {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value, "{json}");
    }

    #[test]
    fn requests_round_trip_in_their_envelope() {
        let requests = [
            Request::Start {
                restore: Box::default(),
                faults: false,
                backend: Some(BackendKind::WebGpu),
                notice: None,
                workers: Some(2),
            },
            Request::SetWorkers { count: None },
            Request::Classify {
                name: "cat.png".into(),
                bytes: vec![0, 1, 255],
            },
            Request::Explain {
                pixels: vec![9; 3072],
                class: Some(4),
                method: SaliencyMethod::smooth_grad(),
            },
            Request::Frame {
                width: 2,
                height: 1,
                rgba: vec![1, 2, 3, 255, 4, 5, 6, 255],
                saliency: Some(SaliencyMethod::GradCam),
            },
            Request::Benchmark {
                presets: vec![Preset::Fast, Preset::Full],
                batch: 64,
                runs: 5,
            },
            Request::Train {
                source: DataSource::Manifest {
                    url: DEFAULT_MANIFEST.into(),
                },
                settings: TrainSettings::default(),
            },
            Request::PauseTraining,
        ];
        for (id, request) in requests.into_iter().enumerate() {
            round_trip(Envelope {
                id: id as u64 + 1,
                request,
            });
        }
    }

    #[test]
    fn events_round_trip() {
        round_trip(Event::Outcome {
            id: 1,
            outcome: Ok(Reply::Classified {
                name: "x.jpg".into(),
                top: crate::model::top_k(&[0.0; 10], 5),
                logits: vec![0.5; 10],
                input_png: vec![137, 80],
                pixels: vec![0; 3072],
                width: 640,
                height: 480,
                millis: 3.5,
            }),
        });
        round_trip(Event::Outcome {
            id: 2,
            outcome: Ok(Reply::FrameClassified {
                top: crate::model::top_k(&[0.0; 10], 3),
                input_rgba: vec![0; 4096],
                heatmap: Some(Heatmap {
                    class: 3,
                    method: SaliencyMethod::GradCam,
                    values: vec![255; 1024],
                    millis: 1.5,
                }),
                millis: 7.0,
            }),
        });
        round_trip(Event::Outcome {
            id: 3,
            outcome: Err(Failure::new(
                FailureKind::InvalidInput,
                "junk.png: not an image in a supported format",
            )),
        });
        round_trip(Event::Progress {
            id: 4,
            progress: Progress::Step {
                message: "Evaluated 50 of 100 records".into(),
                done: 50,
                total: 100,
            },
        });
        round_trip(Event::Backend {
            status: BackendStatus {
                kind: BackendKind::Cpu,
                training: BackendKind::WebGpu,
                detail: "flex".into(),
                notice: Some("WebGPU is not available in this browser".into()),
                auto: Some(AutoChoice {
                    pending: false,
                    inference_ms: Some([3.5, 20.25]),
                    training_ms: Some([900.0, 120.5]),
                    webgpu_problem: None,
                }),
            },
        });
    }

    #[test]
    fn wire_format_is_externally_tagged_snake_case_with_the_id_outside() {
        let json = serde_json::to_value(Envelope {
            id: 9,
            request: Request::SwitchBackend {
                backend: BackendKind::WebGpu,
            },
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": 9, "request": {"switch_backend": {"backend": "webgpu"}}})
        );
        let failed = serde_json::to_value(Event::Outcome {
            id: 9,
            outcome: Err(Failure::new(FailureKind::Unavailable, "no run")),
        })
        .unwrap();
        assert_eq!(
            failed,
            serde_json::json!({"outcome": {"id": 9,
                "outcome": {"Err": {"kind": "unavailable", "message": "no run"}}}})
        );
    }
}
