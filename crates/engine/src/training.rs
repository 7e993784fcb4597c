//! A training run inside the engine. The dispatcher calls [`TrainingRun::tick`] once per turn of
//! its loop, so requests (Pause, Classify…) get through between optimiser steps. A tick first
//! takes in one more shard if any is pending (training starts on the first one), then runs one
//! step; at an epoch's end it evaluates and saves a checkpoint in IndexedDB. The bookkeeping
//! (points, pace, early stopping) is [`RunTracker`]'s, tested natively.

use burn::tensor::Device;

use super::EngineError;
use super::checkpoint_store;
use super::cpu_pool::CpuPool;
use super::training_data::RunData;
use super::worker::{Reporter, finish, now_ms, yield_now};

use pinhole_compute::model::{Classifier, read_ints, read_scalar};
use pinhole_compute::train::{
    RunTracker, StepMeasure, TrainConfig, Trainer, accuracy, confusion_matrix_async,
};
use pinhole_core::protocol::{
    BackendKind, CheckpointSummary, DataSource, ModelCard, Progress, Reply, TrainSettings,
    TrainingState,
};

/// Test records evaluated per engine turn at an epoch's end.
const EVAL_CHUNK: usize = 250;

pub struct TrainingRun {
    /// The `Train` (or `ResumeCheckpoint`) request: the run's progress and, when it ends, its
    /// outcome.
    pub reporter: Reporter,
    pub trainer: Trainer,
    pub settings: TrainSettings,
    pub state: TrainingState,
    tracker: RunTracker,
    /// Whether the outcome was sent (the run ended); the network stays usable after it.
    ended: bool,
    /// [`DataSource::describe`].
    source: String,
    /// The records so far and the shards still to come.
    data: RunData,
    /// The device without autodiff, for evaluation.
    eval_device: Device,
    order: Vec<usize>,
    cursor: usize,
    backend: BackendKind,
}

impl TrainingRun {
    /// Loads the data (at least the first training shard) and builds the trainer, fresh or from
    /// a saved run. `device` is an autodiff device.
    pub async fn start(
        reporter: Reporter,
        source: DataSource,
        settings: TrainSettings,
        saved: Option<(CheckpointSummary, Vec<u8>)>,
        device: &Device,
        backend: BackendKind,
    ) -> Result<TrainingRun, EngineError> {
        // The form's bounds before any download (the record count is checked once it is known).
        TrainConfig::from(&settings).check("the training settings", usize::MAX)?;
        let describe = source.describe();
        let data = RunData::open(source, &settings, reporter).await?;
        let train_total = data.train_total;
        let (trainer, history) = match saved {
            Some((summary, bytes)) => {
                let trainer = Trainer::resume(&bytes, "the saved run", train_total, device)?;
                (trainer, summary.history)
            }
            None => {
                let config = TrainConfig::from(&settings);
                config.check("the training settings", train_total)?;
                let trainer = Trainer::new_streaming(config, &data.train, train_total, device);
                (trainer, Default::default())
            }
        };
        let tracker = RunTracker::new(
            history,
            trainer.total_steps(),
            trainer.steps_per_epoch(),
            settings.batch_size,
            settings.patience,
            now_ms(),
        );
        let run = TrainingRun {
            reporter,
            trainer,
            settings,
            state: TrainingState::Running,
            tracker,
            ended: false,
            source: describe,
            data,
            eval_device: device.clone().inner(),
            order: Vec::new(),
            cursor: 0,
            backend,
        };
        reporter.progress(Progress::TrainingStarted {
            settings: run.settings.clone(),
            source: run.source.clone(),
            backend,
            total_steps: run.trainer.total_steps(),
            steps_per_epoch: run.trainer.steps_per_epoch(),
            train_records: run.trainer.train_records(),
            test_records: run.data.test_wanted,
            history: run.tracker.history.clone(),
        });
        run.post_state(None);
        Ok(run)
    }

    /// The network trained so far, for inference.
    pub fn model(&self) -> Classifier {
        self.trainer.inference_model()
    }

    pub fn epochs_done(&self) -> usize {
        self.tracker.history.epochs.len()
    }

    /// What the About page says about the network trained so far.
    pub fn card(&self) -> ModelCard {
        let s = &self.settings;
        let on_off = |on: bool| if on { "on" } else { "off" }.to_string();
        let mut recipe = vec![
            ("preset".to_string(), s.preset.to_string()),
            ("batch_size".into(), s.batch_size.to_string()),
            ("lr".into(), format!("peak {}", s.lr)),
            ("label_smoothing".into(), s.label_smoothing.to_string()),
            ("flip".into(), on_off(s.flip)),
            ("translate".into(), format!("±{} px", s.translate)),
            ("lookahead".into(), on_off(s.lookahead)),
            ("seed".into(), s.seed.to_string()),
        ];
        if let Some(subset) = s.subset {
            recipe.push(("subset".into(), format!("first {subset} training records")));
        }
        let date = js_sys::Date::new_0().to_iso_string().as_string();
        ModelCard {
            origin: "trained in this tab".into(),
            test_accuracy: self
                .tracker
                .latest_test_accuracy()
                .filter(|a| a.is_finite())
                .map(f64::from),
            test_records: Some(self.data.test.len()),
            data: Some(format!(
                "{} ({} training records)",
                self.source,
                self.data.train.len()
            )),
            recipe,
            epochs: Some(self.epochs_done()),
            date: date.map(|d| d.chars().take(10).collect()),
            trained_on: Some(format!("this browser ({})", self.backend.label())),
            ..ModelCard::default()
        }
    }

    /// A state the visitor asked for (pause, resume) or one the run reached.
    pub fn set_state(&mut self, state: TrainingState, message: Option<String>) {
        self.state = state;
        self.post_state(message);
    }

    /// Ends the run in `state` and sends its outcome (once); the network stays usable.
    pub fn end(&mut self, state: TrainingState, message: Option<String>) {
        self.set_state(state, message.clone());
        if !std::mem::replace(&mut self.ended, true) {
            finish(
                self.reporter.id,
                Ok(Reply::TrainingEnded { state, message }),
            );
        }
    }

    /// Replaced by a new run: its outcome says so.
    pub fn cancel(&mut self, why: &str) {
        if !std::mem::replace(&mut self.ended, true) {
            let error = EngineError::Cancelled(format!("The training run ended: {why}."));
            finish(self.reporter.id, Err(error.into()));
        }
    }

    fn post_state(&self, message: Option<String>) {
        self.reporter.progress(Progress::TrainingStatus {
            state: self.state,
            message,
        });
    }

    /// One turn: a pending shard, then one optimiser step (and an epoch's end if it is one).
    pub async fn tick(&mut self, pool: &CpuPool) {
        let room = self.trainer.train_records();
        if let Some(Err(error)) = self.data.next_shard(room, self.reporter).await {
            // Keep everything trained so far: pause with the reason; resuming goes on without
            // this shard.
            self.save_checkpoint().await;
            let message = format!(
                "{error}. Training is paused and keeps what it learned; Resume continues without this shard."
            );
            self.set_state(TrainingState::Paused, Some(message));
            return;
        }
        if let Err(error) = self.step(pool).await {
            self.save_checkpoint().await;
            self.set_state(TrainingState::Paused, Some(error.to_string()));
        }
    }

    async fn step(&mut self, pool: &CpuPool) -> Result<(), EngineError> {
        let batch_size = self.settings.batch_size;
        if self.tracker.at_epoch_start(self.trainer.step) {
            self.cursor = self.order.len();
        }
        if self.cursor + batch_size > self.order.len() {
            // A new epoch, or the records that arrived since the last shuffle.
            self.order = self.trainer.epoch_order(self.data.train.len());
            self.cursor = 0;
        }
        let batch = self.order[self.cursor..self.cursor + batch_size].to_vec();
        self.cursor += batch_size;
        let start = now_ms();
        // On the CPU: ghost batches, shared by every worker of the pool (data-parallel).
        let pooled = self.backend == BackendKind::Cpu && pool.can_train(&self.trainer);
        let (loss, correct, lr, workers) = if pooled {
            let step = pool
                .train_step(&mut self.trainer, &batch, &self.data.train)
                .await?;
            (step.loss, step.correct, step.lr, step.workers)
        } else {
            let tensors = self.trainer.train_step(&batch, &self.data.train);
            let loss = read_scalar(tensors.loss, "the loss").await?;
            let correct = read_ints(tensors.correct, "the accuracy").await?;
            let correct = correct.first().copied().unwrap_or(0).max(0) as usize;
            (loss, correct, tensors.lr, 1)
        };
        let measure = StepMeasure {
            step: self.trainer.step,
            loss,
            correct,
            lr,
            millis: now_ms() - start,
            workers,
        };
        let reporter = self.reporter;
        let ended = self
            .tracker
            .record_step(measure, &mut |p| reporter.progress(p))?;
        if let Some(epoch) = ended {
            let test_accuracy = self.evaluate().await?;
            let verdict = self.tracker.end_epoch(
                epoch,
                self.trainer.step,
                test_accuracy,
                now_ms(),
                &mut |p| reporter.progress(p),
            );
            self.save_checkpoint().await;
            if let Some((state, message)) = verdict.end_state() {
                self.end(state, message);
            }
        }
        Ok(())
    }

    /// Test accuracy of the network as it is now, a chunk per engine turn.
    async fn evaluate(&self) -> Result<f32, EngineError> {
        let test = &self.data.test;
        if test.is_empty() {
            return Ok(f32::NAN);
        }
        let model = self.trainer.inference_model();
        let mut confusion = [[0usize; 10]; 10];
        for (i, chunk) in test.chunks(EVAL_CHUNK).enumerate() {
            let message = format!("Testing: {} of {} records…", i * EVAL_CHUNK, test.len());
            self.data_progress(message);
            let part =
                confusion_matrix_async(&model, chunk, EVAL_CHUNK, false, &self.eval_device).await?;
            for (row, part_row) in confusion.iter_mut().zip(part) {
                for (cell, n) in row.iter_mut().zip(part_row) {
                    *cell += n;
                }
            }
            yield_now().await;
        }
        Ok(accuracy(&confusion) as f32)
    }

    /// Saves the run in IndexedDB; a failure is reported but does not stop training.
    pub async fn save_checkpoint(&self) {
        let summary = CheckpointSummary {
            settings: self.settings.clone(),
            source: self.source.clone(),
            refetchable: self.data.manifest_url.is_some(),
            step: self.trainer.step,
            total_steps: self.trainer.total_steps(),
            history: self.tracker.history.clone(),
            saved_at: js_sys::Date::now(),
        };
        let saved = match self.trainer.checkpoint_async().await {
            Ok(bytes) => checkpoint_store::save(&summary, &bytes).await,
            Err(e) => Err(e.into()),
        };
        self.reporter.progress(match saved {
            Ok(()) => Progress::CheckpointSaved {
                step: self.trainer.step,
            },
            Err(error) => Progress::CheckpointFailed {
                message: format!("Checkpoint not saved: {error}"),
            },
        });
    }

    fn data_progress(&self, message: String) {
        self.reporter.progress(Progress::Data {
            message,
            done_bytes: 0,
            total_bytes: 0,
        });
    }
}
