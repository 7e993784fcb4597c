//! Engine → UI about one request: progress while it works, then exactly one outcome, a
//! [`Reply`] or a [`Failure`].

use serde::{Deserialize, Serialize};

use super::{
    Anatomy, BackendKind, DataSummary, EpochPoint, Evaluation, OpCheck, RecordImage, RecordSet,
    StepPoint, TrainSettings, TrainingCheck, TrainingHistory, TrainingPace, TrainingState,
};
use crate::model::{Prediction, Preset, SaliencyMethod};
use crate::teach::{TeachPoint, TeachReport};

/// How a request ended.
pub type Outcome = Result<Reply, Failure>;

/// Why a request failed; the engine and its model are still usable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// For the page: names the input and what was wrong.
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The file, pixels, settings or record index given cannot be used.
    InvalidInput,
    /// The request needs something that is not there (a trained network, a saved run, a run to
    /// pause).
    Unavailable,
    /// Cancelled, replaced by a newer request of its kind, or lost with a stopped engine.
    Cancelled,
    /// A fetch failed (network, HTTP status, a shard that does not match its manifest).
    Data,
    /// The browser's storage (IndexedDB, Cache Storage) refused.
    Storage,
    /// The device could not run the model or read its result back.
    Device,
}

/// What a finished request produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Done; what changed is in the state events (`Backend`, `Model`, `SavedRun`).
    Done,
    Classified {
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
    Explained {
        heatmap: Heatmap,
    },
    FrameClassified {
        top: Vec<Prediction>,
        /// The 32×32 input the model saw, interleaved RGBA.
        #[serde(with = "serde_bytes")]
        input_rgba: Vec<u8>,
        heatmap: Option<Heatmap>,
        /// Milliseconds the engine spent on the frame (preprocessing, model, saliency).
        millis: f64,
    },
    Benchmark {
        results: Vec<BenchmarkResult>,
    },
    TrainingBenchmark {
        results: Vec<TrainingBenchmarkResult>,
    },
    TrainingChecked {
        ops: Vec<OpCheck>,
        checks: Vec<TrainingCheck>,
    },
    /// A training run ended (finished, stopped, stopped early, or replaced by a new run).
    TrainingEnded {
        state: TrainingState,
        message: Option<String>,
    },
    WeightsExported {
        file_name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
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
    /// A Teach sample: 96×96 interleaved RGB.
    Sample {
        name: String,
        #[serde(with = "serde_bytes")]
        rgb: Vec<u8>,
    },
    /// A head taught: the network as a Pinhole weights file (class names in its header) and
    /// what was measured.
    Taught {
        file_name: String,
        #[serde(with = "serde_bytes")]
        weights: Vec<u8>,
        report: Box<TeachReport>,
    },
}

/// Work in progress on a request, before its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// A step of slow work (a self-test, loading weights or shards, evaluating batches);
    /// `total` is 0 when unknown.
    Step {
        message: String,
        done: usize,
        total: usize,
    },
    /// Shards being fetched (or read from the browser's cache) and checked.
    Data {
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
    /// Saving the run failed; training goes on in memory.
    CheckpointFailed {
        message: String,
    },
    /// A point of a head being taught.
    TeachPoint {
        point: TeachPoint,
    },
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
    /// Workers the batch was split across (the CPU pool; 1 on WebGPU).
    #[serde(default = "one")]
    pub workers: usize,
}

fn one() -> usize {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingBenchmarkResult {
    pub preset: Preset,
    pub backend: BackendKind,
    pub batch: usize,
    /// Median milliseconds of one step (forward, backward, update, loss read-back).
    pub step_ms: f64,
    pub images_per_second: f64,
    /// Workers whose ghost batches went into the last step (1 off the CPU pool).
    #[serde(default = "super::training::one_worker")]
    pub workers: usize,
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
