//! The engine's request loop: waits for `Start` (requests sent before it wait too, then run in
//! order), then hands each request to the job that owns it and posts its one outcome. Between
//! requests it advances the long jobs: an evaluation first (a visitor waits for it), then
//! training.

use std::collections::VecDeque;

use futures::StreamExt;
use futures::channel::mpsc::{TryRecvError, UnboundedReceiver, UnboundedSender};
use futures::future::{Either, select};

use super::EngineError;
use super::auto_backend::AutoBackend;
use super::backend;
use super::benchmark;
use super::cpu_pool::CpuPool;
use super::inference::Inference;
use super::insight::Insight;
use super::models::{Models, export};
use super::teaching::{make_sample, teach_classes};
use super::training_jobs::{Training, post_saved_run};
use super::worker::{Reporter, finish, queue_out, yield_now};
use pinhole_compute::model::class_names::{cifar_class_names, is_cifar};
use pinhole_compute::model::{load_any_network, to_device_async};
use pinhole_core::protocol::{BackendKind, Envelope, Reply, Request, WeightsFormat};

struct Engine {
    /// Whether the test-only fault requests are allowed (`Start { faults }`).
    faults: bool,
    models: Models,
    training: Training,
    insight: Insight,
    auto: AutoBackend,
    pool: CpuPool,
}

/// `requeue` is where the CPU pool sends back work that a lost helper did not finish.
pub async fn run(mut requests: UnboundedReceiver<Envelope>, requeue: UnboundedSender<Envelope>) {
    let mut early = VecDeque::new();
    let (start_id, backend, notice, restore, faults, workers) = loop {
        match requests.next().await {
            Some(Envelope {
                id,
                request:
                    Request::Start {
                        backend,
                        notice,
                        restore,
                        faults,
                        workers,
                    },
            }) => {
                queue_out();
                break (id, backend, notice, restore, faults, workers);
            }
            Some(other) => early.push_back(other),
            None => return,
        }
    };
    let models = Models::start(backend, notice, restore, Reporter::new(start_id)).await;
    let mut engine = Engine {
        faults,
        auto: AutoBackend::start(&models),
        models,
        training: Training::default(),
        insight: Insight::default(),
        pool: CpuPool::new(workers, requeue),
    };
    post_saved_run().await;
    finish(start_id, Ok(Reply::Done));
    // After "ready": copying the network to the helpers must not delay the first prediction.
    engine.sync_pool().await;
    loop {
        let envelope = if let Some(envelope) = early.pop_front() {
            Some(envelope)
        } else if engine.training.running() || engine.insight.evaluating() || engine.auto.timing() {
            // Between steps: let queued requests (Pause, Classify…) in, then work on.
            yield_now().await;
            engine.auto.poll_probe(&mut engine.models);
            match requests.try_recv() {
                Ok(envelope) => Some(envelope),
                Err(TryRecvError::Closed) => return,
                Err(TryRecvError::Empty) => None,
            }
        } else if let Some(probe) = engine.auto.probe() {
            // Idle while WebGPU is checked in the background: whichever comes first.
            match select(requests.next(), probe).await {
                Either::Left((Some(envelope), _)) => Some(envelope),
                Either::Left((None, _)) => return,
                Either::Right((answer, _)) => {
                    let answer = answer.unwrap_or_else(|_| {
                        Err(EngineError::Device("the WebGPU check stopped".into()))
                    });
                    engine.auto.probed(answer, &mut engine.models);
                    continue;
                }
            }
        } else {
            match requests.next().await {
                Some(envelope) => Some(envelope),
                None => return,
            }
        };
        match envelope {
            Some(Envelope { id, request }) => {
                queue_out();
                if let Some(outcome) = engine.handle(Reporter::new(id), request).await {
                    finish(id, outcome.map_err(Into::into));
                }
                engine.sync_pool().await;
            }
            None if engine.insight.evaluating() => engine.insight.tick().await,
            None if engine.training.running() => engine.training.tick(&engine.pool).await,
            // The backend timing only when nothing else runs: it would slow a run down and be
            // slowed down by it.
            None => engine.auto.tick(&mut engine.models).await,
        }
    }
}

impl Engine {
    /// Gives the CPU pool the classifier's network when it changed (or tells it to wait when
    /// the CPU does not classify).
    async fn sync_pool(&mut self) {
        let models = &self.models;
        if self.pool.generation() == Some(models.generation) {
            return;
        }
        if models.status.kind != BackendKind::Cpu {
            return self.pool.idle("WebGPU classifies: the CPU workers wait");
        }
        if models.packed.is_none() {
            return self
                .pool
                .idle("this network runs on Burn's kernels, in the engine alone");
        }
        match export(
            &models.model,
            &models.classes,
            WeightsFormat::Pinhole,
            "model",
        )
        .await
        {
            Ok((name, bytes)) => self.pool.load(models.generation, name, bytes),
            Err(e) => self.pool.idle(&format!(
                "the network could not be copied to the CPU workers: {e}"
            )),
        }
    }

    /// The request's outcome, or `None` when it became a long job (a training run, an
    /// evaluation) that sends its outcome when it ends.
    async fn handle(
        &mut self,
        reporter: Reporter,
        request: Request,
    ) -> Option<Result<Reply, EngineError>> {
        let models = &mut self.models;
        let (device, kind) = (models.device.clone(), models.status.kind);
        // Batch work: training, evaluation and their checks.
        let (batch_device, batch_kind) = (models.training_device.clone(), models.status.training);
        let inference = Inference {
            model: &models.model,
            folded: &models.folded,
            packed: models.packed.as_ref(),
            classes: &models.classes,
            device: &models.device,
        };
        Some(match request {
            Request::Start { .. } => Err(EngineError::InvalidRequest(
                "the engine is already started".into(),
            )),
            Request::LoseDevice if self.faults => backend::lose_device().map(|()| Reply::Done),
            Request::LoseDevice => Err(EngineError::InvalidRequest(
                "fault requests are for tests: open the page with ?test-faults".into(),
            )),
            Request::Classify { name, bytes } => {
                // On the CPU a helper with room takes it (and posts its outcome).
                let (name, bytes) = match kind == BackendKind::Cpu && inference.packed.is_some() {
                    true => match self.pool.classify(reporter.id, name, bytes) {
                        Some(image) => image,
                        None => return None,
                    },
                    false => (name, bytes),
                };
                inference.classify(name, &bytes).await
            }
            Request::SetWorkers { count } => {
                self.pool.resize(count);
                Ok(Reply::Done)
            }
            Request::CrashWorker if self.faults => match self.pool.crash_one() {
                true => Ok(Reply::Done),
                false => Err(EngineError::Unavailable(
                    "no CPU helper worker is running".into(),
                )),
            },
            Request::CrashWorker => Err(EngineError::InvalidRequest(
                "fault requests are for tests: open the page with ?test-faults".into(),
            )),
            Request::Explain {
                pixels,
                class,
                method,
            } => inference.explain(&pixels, class, method).await,
            Request::Frame {
                width,
                height,
                rgba,
                saliency,
            } => inference.frame(width, height, rgba, saliency).await,
            Request::SwitchBackend { backend } => {
                self.auto.end(models).await;
                models.switch(backend).await;
                Ok(Reply::Done)
            }
            Request::SelectModel { preset } => {
                models.select(preset, reporter).await.map(|()| Reply::Done)
            }
            Request::ImportWeights { name, bytes } => {
                models.import(name, bytes).map(|()| Reply::Done)
            }
            Request::UseTrainedModel => match self.training.trained() {
                Ok((model, name, card)) => models
                    .take_trained(model, name, card)
                    .await
                    .map(|()| Reply::Done),
                Err(e) => Err(e),
            },
            Request::ExportWeights { format, trained } => {
                let model = match trained {
                    true => self
                        .training
                        .trained()
                        .map(|(model, ..)| (model, cifar_class_names())),
                    false => Ok((models.model.clone(), models.classes.clone())),
                };
                let what = if trained { "trained" } else { "model" };
                match model {
                    Ok((model, classes)) => export(&model, &classes, format, what)
                        .await
                        .map(|(file_name, bytes)| Reply::WeightsExported { file_name, bytes }),
                    Err(e) => Err(e),
                }
            }
            Request::Train { source, settings } => {
                let started = self
                    .training
                    .start(reporter, source, settings, None, &batch_device, batch_kind)
                    .await;
                return started.err().map(Err);
            }
            Request::ResumeCheckpoint => {
                let started = match self.training.saved_run().await {
                    Ok((source, settings, saved)) => {
                        self.training
                            .start(
                                reporter,
                                source,
                                settings,
                                Some(saved),
                                &batch_device,
                                batch_kind,
                            )
                            .await
                    }
                    Err(e) => Err(e),
                };
                return started.err().map(Err);
            }
            Request::PauseTraining => self.training.pause().await,
            Request::ResumeTraining => self.training.resume(),
            Request::StopTraining => self.training.stop().await,
            Request::DiscardCheckpoint => self.training.discard_saved().await,
            Request::Benchmark {
                presets,
                batch,
                runs,
            } => {
                let pool = &self.pool;
                benchmark::benchmark_inference(&presets, batch, runs, &device, kind, pool, reporter)
                    .await
            }
            Request::BenchmarkTraining {
                presets,
                batch,
                steps,
            } => {
                let pool = &self.pool;
                benchmark::benchmark_training(
                    &presets,
                    batch,
                    steps,
                    &batch_device,
                    batch_kind,
                    pool,
                    reporter,
                )
                .await
            }
            Request::CheckTraining {
                presets,
                batch,
                steps,
            } => {
                let sets = &mut self.insight.sets;
                benchmark::check_training(
                    &presets,
                    batch,
                    steps,
                    &batch_device,
                    batch_kind,
                    sets,
                    reporter,
                )
                .await
            }
            Request::Evaluate { .. } if !is_cifar(&models.classes) => {
                Err(EngineError::Unavailable(format!(
                    "the network in use knows your classes ({}), not CIFAR-10's: switch back to a CIFAR-10 network to evaluate it on CIFAR-10 records",
                    models.classes.join(", ")
                )))
            }
            Request::Evaluate { set, limit, tta } => {
                let name = models.model_name();
                // The classifier's network, where batch work runs (an async read-back when it
                // leaves WebGPU).
                let model = match kind == batch_kind {
                    true => Ok(models.model.clone()),
                    false => to_device_async(&models.model, &batch_device).await,
                };
                // The CPU workers take batches when they hold this very network.
                let pool = (batch_kind == BackendKind::Cpu
                    && self.pool.generation() == Some(models.generation))
                .then(|| (self.pool.clone(), models.generation));
                let started = match model {
                    Ok(model) => {
                        self.insight
                            .evaluate(reporter, set, limit, tta, model, name, batch_device, pool)
                            .await
                    }
                    Err(e) => Err(e.into()),
                };
                return started.err().map(Err);
            }
            Request::CancelEvaluation => match self.insight.cancel("cancelled by the visitor") {
                true => Ok(Reply::Done),
                false => Err(EngineError::Unavailable("no evaluation is running".into())),
            },
            Request::RecordImages { set, indices } => {
                self.insight.record_images(set, &indices, reporter).await
            }
            Request::ExploreData { set } => self.insight.explore(set, reporter).await,
            Request::Augment {
                set,
                index,
                flip,
                dx,
                dy,
            } => {
                self.insight
                    .augment(set, index, flip, (dx, dy), reporter)
                    .await
            }
            Request::Inspect { image } => {
                let model = models.model.clone();
                self.insight.inspect(image, &model, &device, reporter).await
            }
            Request::MakeSample { name, bytes } => make_sample(name, &bytes),
            Request::Teach {
                classes,
                samples,
                settings,
            } => teach_classes(models, &self.pool, classes, samples, settings, reporter).await,
            Request::ConvertWeights {
                name,
                bytes,
                format,
            } => match load_any_network(&bytes, &name, &backend::cpu()) {
                Ok(network) => export(&network.model, &network.classes, format, "model")
                    .await
                    .map(|(file_name, bytes)| Reply::WeightsExported { file_name, bytes }),
                Err(e) => Err(e.into()),
            },
        })
    }
}
