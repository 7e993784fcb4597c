//! The engine's request loop and the state it keeps between requests.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use futures::StreamExt;
use futures::channel::mpsc::{TryRecvError, UnboundedReceiver};

use super::backend::{self, INIT_SEED};
use super::checkpoint_store;
use super::fetch::fetch_bytes;
use super::insight::{self, EvaluationRun, RecordSets};
use super::shipped::ShippedIndex;
use super::training::TrainingRun;
use super::{now_ms, post, yield_now};
use crate::data::{IMAGE_BYTES, NUM_CLASSES, images_to_tensor};
use crate::model::{
    Classifier, Preset, SaliencyMethod, load_any_weights, saliency, save_safetensors, save_weights,
    to_device_async, top_k,
};
use crate::protocol::{
    BackendKind, BackendStatus, BenchmarkResult, DEFAULT_MANIFEST, DataSource, Event, Heatmap,
    InsightPage, InspectImage, ModelCard, ModelInfo, Request, TrainingState, WeightsFormat,
};
use crate::vision::{preprocess, preprocess_rgba};

struct Engine {
    device: Device,
    status: BackendStatus,
    /// The WebGPU device once acquired and self-tested; `Err` holds why it is unusable.
    webgpu: Option<Result<Device, String>>,
    shipped: ShippedIndex,
    preset: Preset,
    /// The weights file and its bytes, kept so a backend switch can rebuild the model.
    weights: Option<(String, Vec<u8>)>,
    /// What is known about the weights (the About page).
    card: ModelCard,
    model: Classifier,
    training: Option<TrainingRun>,
    /// Record sets the insight pages read, kept for their next requests.
    sets: RecordSets,
    evaluation: Option<EvaluationRun>,
}

pub async fn run(mut requests: UnboundedReceiver<Request>) {
    // Everything waits for `Start`, which says which backend to try first.
    let mut engine = loop {
        match requests.next().await {
            Some(Request::Start { backend, notice }) => break Engine::start(backend, notice).await,
            Some(other) => post(&Event::Error {
                message: format!("engine not started yet; ignored {other:?}"),
            }),
            None => return,
        }
    };
    loop {
        let training = engine
            .training
            .as_ref()
            .is_some_and(|run| run.state == TrainingState::Running);
        let request = if training || engine.evaluation.is_some() {
            // Between steps: let queued requests (Pause, Classify…) in, then work on.
            yield_now().await;
            match requests.try_recv() {
                Ok(request) => Some(request),
                Err(TryRecvError::Closed) => return,
                Err(TryRecvError::Empty) => None,
            }
        } else {
            match requests.next().await {
                Some(request) => Some(request),
                None => return,
            }
        };
        match (request, engine.training.as_mut()) {
            (Some(request), _) => engine.handle(request).await,
            // An evaluation the visitor waits for goes first; training resumes after it.
            (None, _) if engine.evaluation.is_some() => engine.evaluate_batch().await,
            (None, Some(run)) => run.tick().await,
            (None, None) => {}
        }
    }
}

impl Engine {
    async fn start(requested: Option<BackendKind>, notice: Option<String>) -> Self {
        let cpu = backend::cpu();
        let mut engine = Engine {
            device: cpu.clone(),
            status: BackendStatus {
                kind: BackendKind::Cpu,
                detail: "Burn flex (WebAssembly SIMD)".into(),
                notice: notice.clone(),
                webgpu_available: false,
            },
            webgpu: None,
            shipped: ShippedIndex::default(),
            preset: Preset::Fast,
            weights: None,
            card: ModelCard::default(),
            model: Classifier::new(Preset::Fast, &cpu),
            training: None,
            sets: RecordSets::default(),
            evaluation: None,
        };
        if requested != Some(BackendKind::Cpu) {
            post(&Event::Busy {
                message: "Checking WebGPU…".into(),
            });
            engine.use_backend(BackendKind::WebGpu).await;
        }
        if notice.is_some() {
            // A notice from the UI (e.g. the previous engine crashed) wins over ours.
            engine.status.notice = notice;
        }
        post(&Event::Backend {
            status: engine.status.clone(),
        });
        engine.shipped = match ShippedIndex::fetch().await {
            Ok(index) => index,
            Err(e) => {
                post(&Event::Error {
                    message: format!("Could not read the list of shipped weights: {e}"),
                });
                ShippedIndex::default()
            }
        };
        let preset = engine.shipped.default_preset();
        engine.select_model(preset).await;
        engine.post_saved_run().await;
        engine
    }

    /// Tells the page whether a saved run can be resumed.
    async fn post_saved_run(&self) {
        match checkpoint_store::load().await {
            Ok(saved) => post(&Event::CheckpointAvailable {
                summary: saved.map(|(summary, _)| summary),
            }),
            Err(message) => post(&Event::Error {
                message: format!("Saved training runs are unavailable: {message}"),
            }),
        }
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::Start { .. } => post(&Event::Error {
                message: "engine already started".into(),
            }),
            Request::SwitchBackend { backend } => {
                self.use_backend(backend).await;
                self.rebuild_model();
                post(&Event::Backend {
                    status: self.status.clone(),
                });
                self.post_model();
            }
            Request::SelectModel { preset } => self.select_model(preset).await,
            Request::Classify { id, name, bytes } => {
                post(&self.classify(id, name, &bytes).await);
            }
            Request::Explain {
                id,
                pixels,
                class,
                method,
            } => post(&match self.explain(&pixels, class, method).await {
                Ok(heatmap) => Event::Explained { id, heatmap },
                Err(message) => Event::ExplainFailed { id, message },
            }),
            Request::Frame {
                id,
                width,
                height,
                rgba,
                saliency,
            } => post(&self.frame(id, width, height, rgba, saliency).await),
            Request::Benchmark {
                presets,
                batch,
                runs,
            } => match self.benchmark(&presets, batch.max(1), runs.max(1)).await {
                Ok(results) => post(&Event::Benchmark { results }),
                Err(message) => post(&Event::Error { message }),
            },
            Request::Train { source, settings } => self.train(source, settings, None).await,
            Request::PauseTraining => {
                if let Some(run) = self.running_mut(&[TrainingState::Running]) {
                    run.set_state(TrainingState::Paused, None);
                    run.save_checkpoint().await;
                }
            }
            Request::ResumeTraining => {
                if let Some(run) = self.running_mut(&[TrainingState::Paused]) {
                    run.set_state(TrainingState::Running, None);
                }
            }
            Request::StopTraining => {
                if let Some(run) =
                    self.running_mut(&[TrainingState::Running, TrainingState::Paused])
                {
                    run.set_state(TrainingState::Stopped, None);
                    run.save_checkpoint().await;
                }
            }
            Request::ResumeCheckpoint => self.resume_saved_run().await,
            Request::DiscardCheckpoint => match checkpoint_store::discard().await {
                Ok(()) => post(&Event::CheckpointAvailable { summary: None }),
                Err(message) => post(&Event::Error { message }),
            },
            Request::UseTrainedModel => {
                if let Err(message) = self.use_trained_model().await {
                    post(&Event::Error { message });
                }
            }
            Request::ExportWeights { format, trained } => {
                match self.export(format, trained).await {
                    Ok((file_name, bytes)) => post(&Event::WeightsExported { file_name, bytes }),
                    Err(message) => post(&Event::Error {
                        message: format!("Export failed: {message}"),
                    }),
                }
            }
            Request::ImportWeights { name, bytes } => self.import(name, bytes),
            Request::BenchmarkTraining {
                presets,
                batch,
                steps,
            } => match super::train_bench::run(
                &presets,
                batch.max(1),
                steps.max(1),
                &self.device,
                self.status.kind,
            )
            .await
            {
                Ok(results) => post(&Event::TrainingBenchmark { results }),
                Err(message) => post(&Event::Error { message }),
            },
            Request::CheckTraining {
                presets,
                batch,
                steps,
            } => match self.check_training(&presets, batch, steps).await {
                Ok((ops, checks)) => post(&Event::TrainingChecked { ops, checks }),
                Err(message) => post(&Event::Error {
                    message: format!("The training check could not run: {message}"),
                }),
            },
            Request::Evaluate { set, limit, tta } => {
                self.evaluation = None;
                match self.sets.get(&set, Some(InsightPage::Evaluate)).await {
                    Ok(loaded) => {
                        self.evaluation = Some(EvaluationRun::new(
                            set,
                            loaded,
                            limit,
                            tta,
                            self.model.clone(),
                            self.model_name(),
                            self.device.clone(),
                        ))
                    }
                    Err(message) => insight_failed(InsightPage::Evaluate, message),
                }
            }
            Request::CancelEvaluation => {
                if self.evaluation.take().is_some() {
                    insight_failed(InsightPage::Evaluate, "Evaluation cancelled.".into());
                }
            }
            Request::RecordImages { set, indices } => {
                let images = match self.sets.get(&set, Some(InsightPage::Evaluate)).await {
                    Ok(loaded) => indices.iter().map(|&i| loaded.image(i)).collect(),
                    Err(message) => Err(message),
                };
                match images {
                    Ok(images) => post(&Event::RecordImages { set, images }),
                    Err(message) => insight_failed(InsightPage::Evaluate, message),
                }
            }
            Request::ExploreData { set } => {
                let summary = match self.sets.get(&set, Some(InsightPage::Explore)).await {
                    Ok(loaded) => insight::summarize(&set, &loaded),
                    Err(message) => Err(message),
                };
                match summary {
                    Ok(summary) => post(&Event::DataExplored {
                        summary: Box::new(summary),
                    }),
                    Err(message) => insight_failed(InsightPage::Explore, message),
                }
            }
            Request::Augment {
                set,
                index,
                flip,
                dx,
                dy,
            } => {
                let png = match self.sets.get(&set, Some(InsightPage::Explore)).await {
                    Ok(loaded) => insight::augment(&loaded, index, flip, dx, dy),
                    Err(message) => Err(message),
                };
                match png {
                    Ok(png) => post(&Event::Augmented {
                        index,
                        flip,
                        dx,
                        dy,
                        png,
                    }),
                    Err(message) => insight_failed(InsightPage::Explore, message),
                }
            }
            Request::Inspect { image } => match self.inspect(image).await {
                Ok(anatomy) => post(&Event::Inspected {
                    anatomy: Box::new(anatomy),
                }),
                Err(message) => insight_failed(InsightPage::Inspect, message),
            },
        }
    }

    /// [`super::train_check`] for each preset, on the default shard set's first training shard.
    async fn check_training(
        &mut self,
        presets: &[Preset],
        batch: usize,
        steps: usize,
    ) -> Result<
        (
            Vec<crate::protocol::OpCheck>,
            Vec<crate::protocol::TrainingCheck>,
        ),
        String,
    > {
        post(&Event::Busy {
            message: format!("Checking layer gradients on {}…", self.status.kind.label()),
        });
        let ops = super::op_check::run(&self.device).await?;
        let set = crate::protocol::RecordSet {
            manifest: DEFAULT_MANIFEST.into(),
            split: crate::data::Split::Train,
        };
        let loaded = self.sets.get(&set, None).await?;
        let mut checks = Vec::new();
        for &preset in presets {
            checks.push(
                super::train_check::run(
                    preset,
                    batch,
                    steps.max(1),
                    &loaded.records,
                    &self.device,
                    self.status.kind,
                )
                .await?,
            );
        }
        Ok((ops, checks))
    }

    /// The next batch of the evaluation in progress.
    async fn evaluate_batch(&mut self) {
        let Some(run) = self.evaluation.as_mut() else {
            return;
        };
        match run.tick().await {
            Ok(None) => {}
            Ok(Some(evaluation)) => {
                self.evaluation = None;
                post(&Event::Evaluated {
                    evaluation: Box::new(evaluation),
                });
            }
            Err(message) => {
                self.evaluation = None;
                insight_failed(InsightPage::Evaluate, message);
            }
        }
    }

    async fn inspect(&mut self, image: InspectImage) -> Result<crate::protocol::Anatomy, String> {
        let (name, pixels) = match image {
            InspectImage::Pixels { name, pixels } => {
                let pixels: Box<[u8; IMAGE_BYTES]> =
                    pixels
                        .into_boxed_slice()
                        .try_into()
                        .map_err(|p: Box<[u8]>| {
                            format!("{name}: {} bytes are not a 32×32 RGB image", p.len())
                        })?;
                (name, pixels)
            }
            InspectImage::Record { set, index } => {
                let loaded = self.sets.get(&set, Some(InsightPage::Inspect)).await?;
                let pixels = Box::new(*loaded.pixels(index)?);
                (format!("record {index} of {}", loaded.files), pixels)
            }
        };
        insight::inspect(&self.model, &self.device, name, &pixels).await
    }

    /// The loaded network in words, e.g. "fast.bin (fast)".
    fn model_name(&self) -> String {
        match &self.weights {
            Some((file, _)) => format!("{file} ({})", self.preset),
            None => format!("untrained {}", self.preset),
        }
    }

    /// The run, if it is in one of `states`.
    fn running_mut(&mut self, states: &[TrainingState]) -> Option<&mut TrainingRun> {
        self.training
            .as_mut()
            .filter(|run| states.contains(&run.state))
    }

    async fn train(
        &mut self,
        source: DataSource,
        settings: crate::protocol::TrainSettings,
        saved: Option<(crate::protocol::CheckpointSummary, Vec<u8>)>,
    ) {
        self.training = None;
        post(&Event::TrainingStatus {
            state: TrainingState::Loading,
            message: None,
        });
        let device = self.device.clone().autodiff();
        match TrainingRun::start(source, settings, saved, &device, self.status.kind).await {
            Ok(run) => self.training = Some(run),
            Err(message) => post(&Event::TrainingStatus {
                state: TrainingState::Failed,
                message: Some(message),
            }),
        }
    }

    async fn resume_saved_run(&mut self) {
        let saved = match checkpoint_store::load().await {
            Ok(Some(saved)) => saved,
            Ok(None) => {
                return post(&Event::Error {
                    message: "There is no saved run to resume.".into(),
                });
            }
            Err(message) => return post(&Event::Error { message }),
        };
        if !saved.0.refetchable {
            return post(&Event::Error {
                message: format!(
                    "The saved run trained on dropped files ({}); drop them again and start a new run.",
                    saved.0.source
                ),
            });
        }
        let source = DataSource::Manifest {
            url: saved.0.source.clone(),
        };
        let settings = saved.0.settings.clone();
        self.train(source, settings, Some(saved)).await;
    }

    /// The classifier takes the network trained so far.
    async fn use_trained_model(&mut self) -> Result<(), String> {
        let run = self
            .training
            .as_ref()
            .filter(|run| run.state.has_model())
            .ok_or("there is no trained network yet")?;
        let model = run.model();
        let epochs = run.history.epochs.len();
        self.preset = run.settings.preset;
        // Kept as bytes too, so a backend switch rebuilds it like shipped weights.
        let host = to_device_async(&model, &backend::cpu()).await?;
        let bytes = save_weights(host.clone()).map_err(|e| e.to_string())?;
        self.weights = Some((format!("trained in this tab ({epochs} epochs)"), bytes));
        self.card = run.card();
        self.model = host.to_device(&self.device);
        self.post_model();
        Ok(())
    }

    /// The trained network (`trained`) or the classifier's, as a file.
    async fn export(
        &self,
        format: WeightsFormat,
        trained: bool,
    ) -> Result<(String, Vec<u8>), String> {
        let model = if trained {
            self.training
                .as_ref()
                .filter(|run| run.state.has_model())
                .ok_or("there is no trained network yet")?
                .model()
        } else {
            self.model.clone()
        };
        let host = to_device_async(&model, &backend::cpu()).await?;
        let preset = host.preset();
        let bytes = match format {
            WeightsFormat::Safetensors => save_safetensors(&host),
            WeightsFormat::Pinhole => save_weights(host),
        }
        .map_err(|e| e.to_string())?;
        let what = if trained { "trained" } else { "model" };
        Ok((
            format!("pinhole-{preset}-{what}.{}", format.extension()),
            bytes,
        ))
    }

    /// A weights file becomes the classifier's network; a bad file leaves the current one.
    fn import(&mut self, name: String, bytes: Vec<u8>) {
        match load_any_weights(&bytes, &name, &backend::cpu()) {
            Ok(model) => {
                self.preset = model.preset();
                self.model = model.to_device(&self.device);
                self.card = ModelCard {
                    origin: format!("imported from {name}"),
                    notes: Some(
                        "An imported file carries no model card: run Evaluate for its accuracy."
                            .into(),
                    ),
                    ..ModelCard::default()
                };
                self.weights = Some((name, bytes));
                self.post_model();
            }
            Err(e) => post(&Event::Error {
                message: format!("{e}. The current model is unchanged."),
            }),
        }
    }

    /// Moves to `kind`, falling back to the CPU (with the reason as the notice) if WebGPU fails.
    async fn use_backend(&mut self, kind: BackendKind) {
        match kind {
            BackendKind::Cpu => {
                self.device = backend::cpu();
                self.status.kind = BackendKind::Cpu;
                self.status.detail = "Burn flex (WebAssembly SIMD)".into();
                self.status.notice = None;
            }
            BackendKind::WebGpu => {
                if self.webgpu.is_none() {
                    self.webgpu = Some(backend::init_webgpu().await);
                }
                match self.webgpu.as_ref().expect("just set") {
                    Ok(device) => {
                        self.device = device.clone();
                        self.status.kind = BackendKind::WebGpu;
                        self.status.detail = backend::webgpu_detail();
                        self.status.notice = None;
                        self.status.webgpu_available = true;
                    }
                    Err(reason) => {
                        self.device = backend::cpu();
                        self.status.kind = BackendKind::Cpu;
                        self.status.notice = Some(format!("Running on the CPU: {reason}."));
                    }
                }
            }
        }
    }

    async fn select_model(&mut self, preset: Preset) {
        self.preset = preset;
        self.weights = None;
        self.card = untrained_card(preset);
        if let Some(shipped) = self.shipped.get(preset).cloned() {
            post(&Event::Busy {
                message: format!("Loading {preset} weights…"),
            });
            let url = format!("weights/{}", shipped.file);
            match fetch_bytes(&url).await {
                Ok(bytes) => {
                    self.weights = Some((shipped.file.clone(), bytes));
                    self.card = ShippedIndex::card(&shipped).await;
                }
                Err(e) => post(&Event::Error {
                    message: format!(
                        "Could not load the {preset} weights ({e}); the model is untrained."
                    ),
                }),
            }
        }
        self.rebuild_model();
        self.post_model();
    }

    /// Builds the network for the current preset and weights on the current device. Weights are
    /// loaded on the CPU and then moved, so that every backend starts from identical numbers.
    fn rebuild_model(&mut self) {
        let cpu = backend::cpu();
        let model = match &self.weights {
            Some((file, bytes)) => match load_any_weights(bytes, file, &cpu) {
                Ok(model) => Some(model),
                Err(e) => {
                    post(&Event::Error {
                        message: format!("{e}; using an untrained {} network.", self.preset),
                    });
                    self.weights = None;
                    self.card = untrained_card(self.preset);
                    None
                }
            },
            None => None,
        };
        let model = model.unwrap_or_else(|| {
            cpu.seed(INIT_SEED);
            Classifier::new(self.preset, &cpu)
        });
        self.model = model.to_device(&self.device);
    }

    fn post_model(&self) {
        post(&Event::Model {
            info: ModelInfo {
                card: self.card.clone(),
                preset: self.preset,
                parameters: self.model.num_params(),
                weights_file: self.weights.as_ref().map(|(file, _)| file.clone()),
                shipped: self.shipped.models.iter().map(|m| m.preset).collect(),
            },
        });
    }

    /// `Classified`, or `ClassifyFailed` with a message naming the file.
    async fn classify(&self, id: u64, name: String, bytes: &[u8]) -> Event {
        let start = now_ms();
        let result = match preprocess(bytes, &name) {
            Ok(input) => self.logits(&name, &input.pixels).await.map(|l| (input, l)),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok((input, logits)) => Event::Classified {
                id,
                name,
                top: top_k(&logits, 5),
                logits,
                input_png: input.to_png(),
                pixels: input.pixels.to_vec(),
                width: input.original_width,
                height: input.original_height,
                millis: now_ms() - start,
            },
            Err(message) => Event::ClassifyFailed { id, name, message },
        }
    }

    /// One image's logits, read back asynchronously (a synchronous read panics on WebGPU).
    async fn logits(&self, name: &str, pixels: &[u8; IMAGE_BYTES]) -> Result<Vec<f32>, String> {
        let images = images_to_tensor([pixels], &self.device);
        self.model
            .forward(images)
            .into_data_async()
            .await
            .map_err(|e| format!("{name}: the model could not run ({e:?})"))?
            .try_to_vec::<f32>()
            .map_err(|e| format!("{name}: unexpected logits ({e:?})"))
    }

    /// A saliency map of a 32×32 planar RGB image; `class` defaults to the top prediction.
    async fn explain(
        &self,
        pixels: &[u8],
        class: Option<usize>,
        method: SaliencyMethod,
    ) -> Result<Heatmap, String> {
        let pixels: &[u8; IMAGE_BYTES] = pixels.try_into().map_err(|_| {
            format!(
                "saliency needs a 32×32 RGB image ({IMAGE_BYTES} bytes), got {} bytes",
                pixels.len()
            )
        })?;
        let class = match class {
            Some(class) if class < NUM_CLASSES => class,
            Some(class) => return Err(format!("there is no class {class} to explain")),
            None => top_k(&self.logits("image", pixels).await?, 1)[0].class_index,
        };
        self.heatmap(pixels, class, method).await
    }

    async fn heatmap(
        &self,
        pixels: &[u8; IMAGE_BYTES],
        class: usize,
        method: SaliencyMethod,
    ) -> Result<Heatmap, String> {
        let start = now_ms();
        let image = images_to_tensor([pixels], &self.device);
        let values = saliency(&self.model, image, class, method)
            .mul_scalar(255.0)
            .into_data_async()
            .await
            .map_err(|e| format!("the {} map could not be computed ({e:?})", method.label()))?
            .try_to_vec::<f32>()
            .map_err(|e| format!("unexpected {} map ({e:?})", method.label()))?;
        Ok(Heatmap {
            class,
            method,
            values: values
                .iter()
                .map(|v| v.round().clamp(0.0, 255.0) as u8)
                .collect(),
            millis: now_ms() - start,
        })
    }

    /// One camera frame: preprocess, classify, and explain the top class when asked.
    async fn frame(
        &self,
        id: u64,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        saliency: Option<SaliencyMethod>,
    ) -> Event {
        let start = now_ms();
        let result = async {
            let input =
                preprocess_rgba(width, height, rgba, "camera frame").map_err(|e| e.to_string())?;
            let top = top_k(&self.logits("camera frame", &input.pixels).await?, 3);
            let heatmap = match saliency {
                Some(method) => Some(
                    self.heatmap(&input.pixels, top[0].class_index, method)
                        .await?,
                ),
                None => None,
            };
            Ok::<_, String>((input, top, heatmap))
        }
        .await;
        match result {
            Ok((input, top, heatmap)) => Event::FrameClassified {
                id,
                top,
                input_rgba: input.to_rgba(),
                heatmap,
                millis: now_ms() - start,
            },
            Err(message) => Event::FrameFailed { id, message },
        }
    }

    async fn benchmark(
        &self,
        presets: &[Preset],
        batch: usize,
        runs: usize,
    ) -> Result<Vec<BenchmarkResult>, String> {
        let mut results = Vec::new();
        for &preset in presets {
            post(&Event::Busy {
                message: format!("Benchmarking {preset} on {}…", self.status.kind.label()),
            });
            let cpu = backend::cpu();
            cpu.seed(INIT_SEED);
            let model = Classifier::new(preset, &cpu).to_device(&self.device);
            let single = Tensor::<4>::random(
                [1, 3, 32, 32],
                Distribution::Uniform(0.0, 1.0),
                &self.device,
            );
            let many = Tensor::<4>::random(
                [batch, 3, 32, 32],
                Distribution::Uniform(0.0, 1.0),
                &self.device,
            );
            // Warm-up compiles shaders and sizes buffers.
            timed_forward(&model, &single).await?;
            timed_forward(&model, &many).await?;
            let mut latencies = Vec::new();
            for _ in 0..runs.max(5) {
                latencies.push(timed_forward(&model, &single).await?);
            }
            latencies.sort_by(f64::total_cmp);
            let mut batch_total = 0.0;
            for _ in 0..runs {
                batch_total += timed_forward(&model, &many).await?;
            }
            results.push(BenchmarkResult {
                preset,
                backend: self.status.kind,
                latency_ms: latencies[latencies.len() / 2],
                batch,
                images_per_second: (batch * runs) as f64 / (batch_total / 1000.0),
            });
        }
        self.post_model();
        Ok(results)
    }
}

/// Milliseconds for one forward pass including the read-back (which waits for the device).
async fn timed_forward(model: &Classifier, images: &Tensor<4>) -> Result<f64, String> {
    let start = now_ms();
    model
        .forward(images.clone())
        .into_data_async()
        .await
        .map_err(|e| format!("benchmark forward failed: {e:?}"))?;
    Ok(now_ms() - start)
}

fn untrained_card(preset: Preset) -> ModelCard {
    ModelCard {
        origin: format!("untrained {preset} network (random initialisation)"),
        notes: Some("No weights are loaded: predictions are guesses until it is trained.".into()),
        ..ModelCard::default()
    }
}

fn insight_failed(page: InsightPage, message: String) {
    post(&Event::InsightFailed { page, message });
}
