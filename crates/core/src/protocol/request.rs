//! UI → engine: what the page can ask for. Each request travels in an [`Envelope`] with the id
//! that its progress and its one outcome carry.

use serde::{Deserialize, Serialize};

use super::{
    BackendKind, DataSource, InspectImage, ModelCard, RecordSet, TrainSettings, WeightsFormat,
};
use crate::model::{Preset, SaliencyMethod};
use crate::teach::TeachSettings;

/// Names a request; the engine answers request `id` with exactly one `Event::Outcome { id, .. }`.
pub type RequestId = u64;

/// What a restarted engine takes over from the one that stopped: the classifier's network (the
/// shipped preset, or the visitor's own imported or trained weights).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Restore {
    pub preset: Option<Preset>,
    pub network: Option<KeptNetwork>,
}

/// A network the visitor brought or made (imported, or trained and taken into use), as its
/// weights file: the page keeps a copy, so that an engine that stops (a lost GPU, a bug) does not
/// take it along.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptNetwork {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
    pub card: ModelCard,
}

/// A request and its id, as posted to the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: RequestId,
    pub request: Request,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// First message. `backend: None` picks WebGPU when its self-test passes, else the CPU.
    /// `notice` is carried into the status (e.g. why a previous engine was replaced). Answered
    /// once the model is loaded; requests sent before it wait for it.
    /// `restore` is what a restarted engine takes over from the one that stopped; `faults`
    /// allows the test-only fault requests (the page sets it for `?test-faults`).
    Start {
        backend: Option<BackendKind>,
        notice: Option<String>,
        #[serde(default)]
        restore: Box<Restore>,
        #[serde(default)]
        faults: bool,
        /// CPU workers (the engine included; `None`: one per core).
        #[serde(default)]
        workers: Option<usize>,
    },
    /// Resizes the CPU worker pool (`None`: one worker per core).
    SetWorkers {
        count: Option<usize>,
    },
    /// Test only (`faults`): one CPU helper worker panics.
    CrashWorker,
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
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// A saliency map of a 32×32 image (planar RGB, as in `Reply::Classified::pixels`) for
    /// `class` (default: the top prediction).
    Explain {
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
        class: Option<usize>,
        method: SaliencyMethod,
    },
    /// Classifies one camera frame (interleaved RGBA, as a 2D canvas gives it), optionally with
    /// a saliency map of its top class. The UI keeps at most one frame in flight.
    Frame {
        width: u32,
        height: u32,
        #[serde(with = "serde_bytes")]
        rgba: Vec<u8>,
        saliency: Option<SaliencyMethod>,
    },
    /// Inference latency (batch 1) and throughput (a larger batch) of each preset on the
    /// active backend.
    Benchmark {
        presets: Vec<Preset>,
        batch: usize,
        runs: usize,
    },
    /// Starts a training run (replacing any run in progress) on the active backend. Its
    /// progress carries this request's id; the outcome comes when the run ends.
    Train {
        source: DataSource,
        settings: TrainSettings,
    },
    PauseTraining,
    ResumeTraining,
    StopTraining,
    /// Continues the run saved in the browser (`Event::SavedRun`); like `Train`, answered when
    /// the run ends.
    ResumeCheckpoint,
    DiscardCheckpoint,
    /// Test only (refused unless `Start` allowed faults): destroys the WebGPU device, as a
    /// driver reset or a lost GPU would, so that the recovery can be tested end to end.
    LoseDevice,
    /// The classifier (uploads, webcam, saliency) uses the trained network from now on.
    UseTrainedModel,
    /// A network as a file: the training run's (`trained`) or the classifier's.
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
    /// Training speed: `steps` timed steps (after one warm-up) per preset.
    BenchmarkTraining {
        presets: Vec<Preset>,
        batch: usize,
        steps: usize,
    },
    /// Trains each preset `steps` steps on the CPU and on the active backend from the same
    /// network and records, and compares every tensor after each step.
    CheckTraining {
        presets: Vec<Preset>,
        batch: usize,
        steps: usize,
    },
    /// The classifier over the first `limit` records of a set (all when `None`), with flip TTA
    /// too when `tta`. A new evaluation cancels the one in progress.
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
    /// Class histogram, channel statistics and samples of a set.
    ExploreData {
        set: RecordSet,
    },
    /// A record of a set, mirrored and/or shifted as training augments it.
    Augment {
        set: RecordSet,
        index: usize,
        flip: bool,
        dx: i32,
        dy: i32,
    },
    /// The loaded network layer by layer on an image.
    Inspect {
        image: InspectImage,
    },
    /// An image file as a Teach sample (its centre square at 96×96, `Reply::Sample`).
    MakeSample {
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// Trains a new head for `classes` on the shipped backbone's features of `samples[c]`
    /// (96×96 RGB samples of class `c`), on the active backend (`Reply::Taught`).
    Teach {
        classes: Vec<String>,
        samples: Vec<Vec<serde_bytes::ByteBuf>>,
        settings: TeachSettings,
    },
    /// A weights file (either format, any classes) rewritten in `format`.
    ConvertWeights {
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        format: WeightsFormat,
    },
}

impl Request {
    /// Short words for the request in messages, e.g. "the import of weights".
    pub fn describe(&self) -> &'static str {
        match self {
            Request::Start { .. } => "starting the engine",
            Request::SwitchBackend { .. } => "the backend switch",
            Request::SelectModel { .. } => "loading the model",
            Request::Classify { .. } => "classifying the image",
            Request::Explain { .. } => "the saliency map",
            Request::Frame { .. } => "the camera frame",
            Request::Benchmark { .. } => "the inference benchmark",
            Request::Train { .. } => "the training run",
            Request::PauseTraining => "pausing training",
            Request::ResumeTraining => "resuming training",
            Request::StopTraining => "stopping training",
            Request::ResumeCheckpoint => "resuming the saved run",
            Request::DiscardCheckpoint => "discarding the saved run",
            Request::LoseDevice => "losing the WebGPU device (a test)",
            Request::SetWorkers { .. } => "resizing the CPU worker pool",
            Request::CrashWorker => "crashing a CPU worker (a test)",
            Request::UseTrainedModel => "using the trained network",
            Request::ExportWeights { .. } => "the export",
            Request::ImportWeights { .. } => "the import",
            Request::BenchmarkTraining { .. } => "the training benchmark",
            Request::CheckTraining { .. } => "the training check",
            Request::Evaluate { .. } => "the evaluation",
            Request::CancelEvaluation => "cancelling the evaluation",
            Request::RecordImages { .. } => "the record pictures",
            Request::ExploreData { .. } => "exploring the data",
            Request::Augment { .. } => "the augmentation preview",
            Request::Inspect { .. } => "the layer-by-layer view",
            Request::MakeSample { .. } => "the sample",
            Request::Teach { .. } => "teaching your classes",
            Request::ConvertWeights { .. } => "the export",
        }
    }
}
