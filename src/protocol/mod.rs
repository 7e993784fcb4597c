//! The contract between the UI and the engine worker: every request the UI can make and every
//! event the engine sends back. Messages cross `postMessage` as structured clones made by
//! `serde-wasm-bindgen` (byte buffers travel as `Uint8Array`).

mod insight;
mod training;

use serde::{Deserialize, Serialize};

pub use insight::{
    Anatomy, DataSummary, Evaluation, InsightPage, InspectImage, LayerView, ModelCard, RecordImage,
    RecordSet,
};
pub use training::{
    CheckpointSummary, DataSource, DroppedFile, EpochPoint, OpCheck, StepCheck, StepPoint,
    TensorDiff, TrainSettings, TrainingCheck, TrainingHistory, TrainingPace, TrainingState,
    WeightsFormat,
};

use crate::model::{Prediction, Preset, SaliencyMethod};

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

/// UI → engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// First message. `backend: None` picks WebGPU when its self-test passes, else the CPU.
    /// `notice` is carried into the status (e.g. why a previous engine was replaced).
    Start {
        backend: Option<BackendKind>,
        notice: Option<String>,
    },
    /// Moves the model to another backend (re-running the WebGPU self-test if needed).
    SwitchBackend {
        backend: BackendKind,
    },
    /// Loads the shipped weights of a preset (or an untrained network when none ship).
    SelectModel {
        preset: Preset,
    },
    /// Decodes, preprocesses and classifies one image file.
    Classify {
        id: u64,
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// A saliency map of a 32×32 image (planar RGB, as in `Classified::pixels`) for `class`
    /// (default: the top prediction).
    Explain {
        id: u64,
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
        class: Option<usize>,
        method: SaliencyMethod,
    },
    /// Classifies one camera frame (interleaved RGBA, as a 2D canvas gives it), optionally with a
    /// saliency map of its top class. The UI keeps at most one frame in flight.
    Frame {
        id: u64,
        width: u32,
        height: u32,
        #[serde(with = "serde_bytes")]
        rgba: Vec<u8>,
        saliency: Option<SaliencyMethod>,
    },
    /// Measures inference latency (batch 1) and throughput (a larger batch) for each preset on
    /// the active backend.
    Benchmark {
        presets: Vec<Preset>,
        batch: usize,
        runs: usize,
    },
    /// Starts a training run (replacing any run in progress) on the active backend.
    Train {
        source: DataSource,
        settings: TrainSettings,
    },
    PauseTraining,
    ResumeTraining,
    StopTraining,
    /// Continues the run saved in the browser (reported by `CheckpointAvailable`).
    ResumeCheckpoint,
    DiscardCheckpoint,
    /// The classifier (uploads, webcam, saliency) uses the trained network from now on.
    UseTrainedModel,
    /// A network as a file (`WeightsExported`): the training run's (`trained`) or the
    /// classifier's.
    ExportWeights {
        format: WeightsFormat,
        trained: bool,
    },
    /// A weights file (either format) becomes the classifier's network.
    ImportWeights {
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// Measures training speed: `steps` timed steps (after one warm-up) per preset.
    BenchmarkTraining {
        presets: Vec<Preset>,
        batch: usize,
        steps: usize,
    },
    /// Trains each preset `steps` steps on the CPU and on the active backend from the same
    /// network and records, and compares every tensor after each step (`TrainingChecked`).
    CheckTraining {
        presets: Vec<Preset>,
        batch: usize,
        steps: usize,
    },
    /// Runs the classifier over the first `limit` records of a set (all when `None`), with flip
    /// TTA too when `tta`; reported by `InsightProgress` and `Evaluated`.
    Evaluate {
        set: RecordSet,
        limit: Option<usize>,
        tta: bool,
    },
    CancelEvaluation,
    /// Pictures of records of a set (e.g. the records of a confusion-matrix cell).
    RecordImages {
        set: RecordSet,
        indices: Vec<usize>,
    },
    /// Class histogram, channel statistics and samples of a set (`DataExplored`).
    ExploreData {
        set: RecordSet,
    },
    /// A record of a set, mirrored and/or shifted as training augments it (`Augmented`).
    Augment {
        set: RecordSet,
        index: usize,
        flip: bool,
        dx: i32,
        dy: i32,
    },
    /// The loaded network layer by layer on an image (`Inspected`).
    Inspect {
        image: InspectImage,
    },
}

/// What the engine is running on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub kind: BackendKind,
    /// e.g. the WebGPU adapter's description, or "flex (WebAssembly SIMD)".
    pub detail: String,
    /// Why the engine is not on the backend the user would expect (shown in the page).
    pub notice: Option<String>,
    /// Whether WebGPU passed its self-test in this engine (so the switch can offer it).
    pub webgpu_available: bool,
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkResult {
    pub preset: Preset,
    pub backend: BackendKind,
    /// Median milliseconds for one image (batch 1).
    pub latency_ms: f64,
    pub batch: usize,
    /// Images per second at `batch`.
    pub images_per_second: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingBenchmarkResult {
    pub preset: Preset,
    pub backend: BackendKind,
    pub batch: usize,
    /// Median milliseconds of one step (forward, backward, update, loss read-back).
    pub step_ms: f64,
    pub images_per_second: f64,
}

/// A saliency map: 32×32, row-major, 0–255 with 255 at the map's maximum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    pub class: usize,
    pub method: SaliencyMethod,
    #[serde(with = "serde_bytes")]
    pub values: Vec<u8>,
    /// Milliseconds the engine spent on the map.
    pub millis: f64,
}

/// Engine → UI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The worker's code has loaded and listens: the UI sends `Start` now (earlier messages
    /// would have been lost).
    Alive,
    /// The engine is (again) ready on a backend.
    Backend {
        status: BackendStatus,
    },
    /// A model is loaded and ready to classify.
    Model {
        info: ModelInfo,
    },
    /// A step of slow work (loading weights, a self-test, a benchmark).
    Busy {
        message: String,
    },
    Classified {
        id: u64,
        name: String,
        top: Vec<Prediction>,
        logits: Vec<f32>,
        /// The 32×32 image the model saw, as a PNG.
        #[serde(with = "serde_bytes")]
        input_png: Vec<u8>,
        /// The same image as planar RGB bytes, to send back with `Explain`.
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
        width: u32,
        height: u32,
        millis: f64,
    },
    ClassifyFailed {
        id: u64,
        name: String,
        message: String,
    },
    Explained {
        id: u64,
        heatmap: Heatmap,
    },
    ExplainFailed {
        id: u64,
        message: String,
    },
    FrameClassified {
        id: u64,
        top: Vec<Prediction>,
        /// The 32×32 input the model saw, interleaved RGBA.
        #[serde(with = "serde_bytes")]
        input_rgba: Vec<u8>,
        heatmap: Option<Heatmap>,
        /// Milliseconds the engine spent on the frame (preprocessing, model, saliency).
        millis: f64,
    },
    FrameFailed {
        id: u64,
        message: String,
    },
    Benchmark {
        results: Vec<BenchmarkResult>,
    },
    /// Shards being fetched (or read from the browser's cache) and checked.
    DataProgress {
        message: String,
        done_bytes: u64,
        total_bytes: u64,
    },
    /// A run began (or resumed, with its history so far).
    TrainingStarted {
        settings: TrainSettings,
        source: String,
        backend: BackendKind,
        total_steps: usize,
        steps_per_epoch: usize,
        train_records: usize,
        test_records: usize,
        history: TrainingHistory,
    },
    TrainingStep {
        point: StepPoint,
        pace: TrainingPace,
    },
    EpochEnded {
        point: EpochPoint,
    },
    /// The run's state changed; `message` says why when it is not the visitor's doing.
    TrainingStatus {
        state: TrainingState,
        message: Option<String>,
    },
    /// The run was saved in the browser.
    CheckpointSaved {
        step: usize,
    },
    /// A saved run the page can offer to resume (`None`: there is none).
    CheckpointAvailable {
        summary: Option<CheckpointSummary>,
    },
    WeightsExported {
        file_name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    TrainingBenchmark {
        results: Vec<TrainingBenchmarkResult>,
    },
    TrainingChecked {
        ops: Vec<OpCheck>,
        checks: Vec<TrainingCheck>,
    },
    /// Slow work of an insight page (loading shards, evaluating batches).
    InsightProgress {
        page: InsightPage,
        message: String,
        done: usize,
        total: usize,
    },
    /// An insight page's request failed; the engine and the model are unchanged.
    InsightFailed {
        page: InsightPage,
        message: String,
    },
    Evaluated {
        evaluation: Box<Evaluation>,
    },
    RecordImages {
        set: RecordSet,
        images: Vec<RecordImage>,
    },
    DataExplored {
        summary: Box<DataSummary>,
    },
    Augmented {
        index: usize,
        flip: bool,
        dx: i32,
        dy: i32,
        #[serde(with = "serde_bytes")]
        png: Vec<u8>,
    },
    Inspected {
        anatomy: Box<Anatomy>,
    },
    /// A request failed; the engine is still usable.
    Error {
        message: String,
    },
    /// The engine hit a bug and is about to stop; the UI restarts it.
    Fatal {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
        value: T,
    ) {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value, "{json}");
    }

    #[test]
    fn requests_round_trip() {
        round_trip(Request::Start {
            backend: Some(BackendKind::WebGpu),
            notice: None,
        });
        round_trip(Request::Classify {
            id: 7,
            name: "cat.png".into(),
            bytes: vec![0, 1, 255],
        });
        round_trip(Request::Explain {
            id: 3,
            pixels: vec![9; 3072],
            class: Some(4),
            method: SaliencyMethod::smooth_grad(),
        });
        round_trip(Request::Frame {
            id: 4,
            width: 2,
            height: 1,
            rgba: vec![1, 2, 3, 255, 4, 5, 6, 255],
            saliency: Some(SaliencyMethod::GradCam),
        });
        round_trip(Request::Benchmark {
            presets: vec![Preset::Fast, Preset::Full],
            batch: 64,
            runs: 5,
        });
    }

    #[test]
    fn events_round_trip() {
        round_trip(Event::Classified {
            id: 1,
            name: "x.jpg".into(),
            top: crate::model::top_k(&[0.0; 10], 5),
            logits: vec![0.5; 10],
            input_png: vec![137, 80],
            pixels: vec![0; 3072],
            width: 640,
            height: 480,
            millis: 3.5,
        });
        round_trip(Event::FrameClassified {
            id: 2,
            top: crate::model::top_k(&[0.0; 10], 3),
            input_rgba: vec![0; 4096],
            heatmap: Some(Heatmap {
                class: 3,
                method: SaliencyMethod::GradCam,
                values: vec![255; 1024],
                millis: 1.5,
            }),
            millis: 7.0,
        });
        round_trip(Event::Backend {
            status: BackendStatus {
                kind: BackendKind::Cpu,
                detail: "flex".into(),
                notice: Some("WebGPU is not available in this browser".into()),
                webgpu_available: false,
            },
        });
    }

    #[test]
    fn wire_format_is_tagged_snake_case() {
        let json = serde_json::to_value(Request::SwitchBackend {
            backend: BackendKind::WebGpu,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "switch_backend", "backend": "webgpu"})
        );
    }
}
