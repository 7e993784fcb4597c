//! A training run inside the engine. The runner calls [`TrainingRun::tick`] once per turn of its
//! loop, so requests (Pause, Classify…) get through between optimiser steps. A tick first takes
//! in one more shard if any is pending (training starts on the first one), then runs one step;
//! at an epoch's end it evaluates, saves a checkpoint in IndexedDB and checks early stopping.

use std::collections::VecDeque;

use burn::tensor::Device;

use super::checkpoint_store;
use super::shards::ShardSet;
use super::{now_ms, post, yield_now};
use crate::data::{CifarRecord, ShardEntry, Split, fetch_plan, split_dropped_files};
use crate::model::Classifier;
use crate::protocol::{
    BackendKind, CheckpointSummary, DataSource, EpochPoint, Event, ModelCard, StepPoint,
    TrainSettings, TrainingHistory, TrainingPace, TrainingState,
};
use crate::train::{TrainConfig, Trainer, accuracy, confusion_matrix_async};

/// Test records evaluated per engine turn at an epoch's end.
const EVAL_CHUNK: usize = 250;

pub struct TrainingRun {
    pub trainer: Trainer,
    pub settings: TrainSettings,
    pub state: TrainingState,
    pub history: TrainingHistory,
    /// [`DataSource::describe`].
    source: String,
    /// The manifest URL, when the data can be fetched again to resume.
    manifest_url: Option<String>,
    train: Vec<CifarRecord>,
    test: Vec<CifarRecord>,
    test_wanted: usize,
    shards: Option<ShardSet>,
    pending: VecDeque<ShardEntry>,
    /// Shards in the fetch plan, the first included.
    planned_shards: usize,
    /// The device without autodiff, for evaluation.
    eval_device: Device,
    order: Vec<usize>,
    cursor: usize,
    epoch: EpochTally,
    best_test: Option<f32>,
    epochs_without_gain: usize,
    /// Mean milliseconds per step (for the ETA).
    step_ms: Option<f64>,
    backend: BackendKind,
}

#[derive(Default)]
struct EpochTally {
    loss_sum: f64,
    correct: usize,
    images: usize,
    steps: usize,
    started_ms: f64,
}

impl TrainingRun {
    /// Loads the data (at least the first training shard) and builds the trainer, fresh or from
    /// a saved run. `device` is an autodiff device.
    pub async fn start(
        source: DataSource,
        settings: TrainSettings,
        saved: Option<(CheckpointSummary, Vec<u8>)>,
        device: &Device,
        backend: BackendKind,
    ) -> Result<TrainingRun, String> {
        if settings.batch_size == 0 || settings.epochs == 0 {
            return Err("batch size and epochs must be at least 1".into());
        }
        let describe = source.describe();
        let (mut train, mut test, train_total, test_wanted, shards, mut pending, manifest_url) =
            match source {
                DataSource::Manifest { url } => {
                    progress(format!("Reading {url}…"), 0, 0);
                    let set = ShardSet::open(&url).await?;
                    let manifest = &set.manifest;
                    let test_wanted = settings.test_records(manifest.records(Split::Test));
                    let train_total = settings
                        .subset
                        .unwrap_or(usize::MAX)
                        .min(manifest.records(Split::Train));
                    let pending: VecDeque<ShardEntry> =
                        fetch_plan(manifest, settings.subset, Some(test_wanted)).into();
                    (
                        Vec::new(),
                        Vec::new(),
                        train_total,
                        test_wanted,
                        Some(set),
                        pending,
                        Some(url),
                    )
                }
                DataSource::Files { files } => {
                    progress(format!("Reading {describe}…"), 0, 0);
                    let named: Vec<(&str, &[u8])> = files
                        .iter()
                        .map(|f| (f.name.as_str(), f.bytes.as_slice()))
                        .collect();
                    let (mut train, test) =
                        split_dropped_files(&named).map_err(|e| e.to_string())?;
                    if let Some(n) = settings.subset {
                        train.truncate(n);
                    }
                    let test_wanted = settings.test_records(test.len());
                    let total = train.len();
                    (train, test, total, test_wanted, None, VecDeque::new(), None)
                }
            };
        // The first training shard (the plan puts it first) before the first step.
        let planned_shards = pending.len();
        if let (Some(set), Some(first)) = (&shards, pending.pop_front()) {
            train.extend(load_shard(set, &first, 1, planned_shards).await?);
        }
        train.truncate(train_total);
        test.truncate(test_wanted);
        if train.len() < settings.batch_size {
            return Err(format!(
                "{describe}: {} training records, fewer than one batch of {}",
                train.len(),
                settings.batch_size
            ));
        }
        let (trainer, history) = match saved {
            Some((summary, bytes)) => {
                let trainer = Trainer::resume(&bytes, "the saved run", train_total, device)
                    .map_err(|e| e.to_string())?;
                (trainer, summary.history)
            }
            None => {
                let config = train_config(&settings);
                let trainer = Trainer::new_streaming(config, &train, train_total, device);
                (trainer, TrainingHistory::default())
            }
        };
        let best_test = history
            .epochs
            .iter()
            .map(|e| e.test_accuracy)
            .fold(None, |best: Option<f32>, a| {
                Some(best.map_or(a, |b| b.max(a)))
            });
        let run = TrainingRun {
            epoch: EpochTally {
                started_ms: now_ms(),
                ..EpochTally::default()
            },
            trainer,
            settings,
            state: TrainingState::Running,
            history,
            source: describe,
            manifest_url,
            train,
            test,
            test_wanted,
            shards,
            planned_shards,
            eval_device: device.clone().inner(),
            pending,
            order: Vec::new(),
            cursor: 0,
            best_test,
            epochs_without_gain: 0,
            step_ms: None,
            backend,
        };
        post(&Event::TrainingStarted {
            settings: run.settings.clone(),
            source: run.source.clone(),
            backend,
            total_steps: run.trainer.total_steps(),
            steps_per_epoch: run.trainer.steps_per_epoch(),
            train_records: run.trainer.train_records(),
            test_records: run.test_wanted,
            history: run.history.clone(),
        });
        post_state(TrainingState::Running, None);
        Ok(run)
    }

    /// The network trained so far, for inference.
    pub fn model(&self) -> Classifier {
        self.trainer.inference_model()
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
            ("translate".into(), on_off(s.translate)),
            ("lookahead".into(), on_off(s.ema)),
        ];
        if let Some(subset) = s.subset {
            recipe.push(("subset".into(), format!("first {subset} training records")));
        }
        let date = js_sys::Date::new_0().to_iso_string().as_string();
        ModelCard {
            origin: "trained in this tab".into(),
            test_accuracy: self
                .latest_test_accuracy()
                .filter(|a| a.is_finite())
                .map(f64::from),
            test_records: Some(self.test.len()),
            data: Some(format!(
                "{} ({} training records)",
                self.source,
                self.train.len()
            )),
            recipe,
            epochs: Some(self.history.epochs.len()),
            date: date.map(|d| d.chars().take(10).collect()),
            trained_on: Some(format!("this browser ({})", self.backend.label())),
            ..ModelCard::default()
        }
    }

    pub fn latest_test_accuracy(&self) -> Option<f32> {
        self.history.epochs.last().map(|e| e.test_accuracy)
    }

    pub fn set_state(&mut self, state: TrainingState, message: Option<String>) {
        self.state = state;
        post_state(state, message);
    }

    /// One turn: a pending shard, then one optimiser step (and an epoch's end if it is one).
    pub async fn tick(&mut self) {
        if let Some(entry) = self.pending.pop_front() {
            let set = self
                .shards
                .as_ref()
                .expect("pending shards come from a shard set");
            let total = self.planned_shards;
            let done = total - self.pending.len();
            match load_shard(set, &entry, done, total).await {
                Ok(records) => match entry.split {
                    Split::Train => {
                        let room = self.trainer.train_records() - self.train.len();
                        self.train.extend(records.into_iter().take(room));
                    }
                    Split::Test => {
                        let room = self.test_wanted - self.test.len();
                        self.test.extend(records.into_iter().take(room));
                    }
                },
                Err(message) => {
                    // Keep everything trained so far: pause with the reason; resuming goes on
                    // without this shard.
                    self.save_checkpoint().await;
                    self.set_state(
                        TrainingState::Paused,
                        Some(format!(
                            "{message}. Training is paused and keeps what it learned; Resume continues without this shard."
                        )),
                    );
                    return;
                }
            }
            if self.pending.is_empty() {
                progress("All shards loaded".into(), 0, 0);
            }
        }
        if let Err(message) = self.step().await {
            self.save_checkpoint().await;
            self.set_state(TrainingState::Paused, Some(message));
        }
    }

    async fn step(&mut self) -> Result<(), String> {
        let batch_size = self.settings.batch_size;
        let steps_per_epoch = self.trainer.steps_per_epoch().max(1);
        if self.trainer.step.is_multiple_of(steps_per_epoch) && self.epoch.steps == 0 {
            self.cursor = self.order.len();
        }
        if self.cursor + batch_size > self.order.len() {
            // A new epoch, or the records that arrived since the last shuffle.
            self.order = self.trainer.epoch_order(self.train.len());
            self.cursor = 0;
        }
        let batch = self.order[self.cursor..self.cursor + batch_size].to_vec();
        self.cursor += batch_size;
        let start = now_ms();
        let tensors = self.trainer.train_step(&batch, &self.train);
        let loss = tensors
            .loss
            .into_data_async()
            .await
            .map_err(|e| format!("the loss could not be read back ({e:?})"))?
            .try_to_vec::<f32>()
            .map_err(|e| format!("unexpected loss ({e:?})"))?[0];
        let correct = tensors
            .correct
            .into_data_async()
            .await
            .map_err(|e| format!("the accuracy could not be read back ({e:?})"))?
            .convert::<i64>()
            .try_to_vec::<i64>()
            .map_err(|e| format!("unexpected accuracy ({e:?})"))?[0];
        if !loss.is_finite() {
            return Err(format!(
                "the loss became {loss} at step {}: lower the learning rate, or (on WebGPU, where \
                 the fast and full networks are known to diverge on some adapters) switch to the CPU",
                self.trainer.step
            ));
        }
        let millis = now_ms() - start;
        let mean = self.step_ms.map_or(millis, |m| 0.9 * m + 0.1 * millis);
        self.step_ms = Some(mean);

        let step = self.trainer.step;
        let epoch = (step - 1) / steps_per_epoch;
        let point = StepPoint {
            step,
            epoch: epoch + 1,
            loss,
            train_accuracy: correct as f32 / batch_size as f32,
        };
        self.history.steps.push(point.clone());
        self.epoch.loss_sum += loss as f64;
        self.epoch.correct += correct as usize;
        self.epoch.images += batch_size;
        self.epoch.steps += 1;
        let total = self.trainer.total_steps();
        post(&Event::TrainingStep {
            point,
            pace: TrainingPace {
                step,
                total_steps: total,
                images_per_second: batch_size as f64 / (mean / 1000.0),
                step_ms: millis,
                eta_seconds: (total - step) as f64 * mean / 1000.0,
                lr: tensors.lr,
            },
        });
        if step.is_multiple_of(steps_per_epoch) || step == total {
            self.end_epoch(epoch + 1).await?;
        }
        Ok(())
    }

    async fn end_epoch(&mut self, epoch: usize) -> Result<(), String> {
        let test_accuracy = self.evaluate().await?;
        let tally = std::mem::take(&mut self.epoch);
        let point = EpochPoint {
            epoch,
            train_loss: (tally.loss_sum / tally.steps.max(1) as f64) as f32,
            train_accuracy: tally.correct as f32 / tally.images.max(1) as f32,
            test_accuracy,
            seconds: (now_ms() - tally.started_ms) / 1000.0,
        };
        self.epoch.started_ms = now_ms();
        self.history.epochs.push(point.clone());
        post(&Event::EpochEnded { point });
        self.save_checkpoint().await;
        if self.best_test.is_none_or(|best| test_accuracy > best) {
            self.best_test = Some(test_accuracy);
            self.epochs_without_gain = 0;
        } else {
            self.epochs_without_gain += 1;
        }
        if self.trainer.step >= self.trainer.total_steps() {
            self.set_state(TrainingState::Finished, None);
        } else if let Some(patience) = self.settings.patience
            && self.epochs_without_gain >= patience.max(1)
        {
            self.set_state(
                TrainingState::EarlyStopped,
                Some(format!(
                    "test accuracy has not improved for {} epochs (best {:.1}%)",
                    self.epochs_without_gain,
                    100.0 * self.best_test.unwrap_or(0.0)
                )),
            );
        }
        Ok(())
    }

    /// Test accuracy of the network as it is now, a chunk per engine turn.
    async fn evaluate(&self) -> Result<f32, String> {
        if self.test.is_empty() {
            return Ok(f32::NAN);
        }
        let model = self.trainer.inference_model();
        let device = &self.eval_device;
        let mut confusion = [[0usize; 10]; 10];
        for (i, chunk) in self.test.chunks(EVAL_CHUNK).enumerate() {
            progress(
                format!(
                    "Testing: {} of {} records…",
                    i * EVAL_CHUNK,
                    self.test.len()
                ),
                0,
                0,
            );
            let part = confusion_matrix_async(&model, chunk, EVAL_CHUNK, false, device).await?;
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
            refetchable: self.manifest_url.is_some(),
            step: self.trainer.step,
            total_steps: self.trainer.total_steps(),
            history: self.history.clone(),
            saved_at: js_sys::Date::now(),
        };
        let saved = match self.trainer.checkpoint_async().await {
            Ok(bytes) => checkpoint_store::save(&summary, &bytes).await,
            Err(e) => Err(e.to_string()),
        };
        match saved {
            Ok(()) => post(&Event::CheckpointSaved {
                step: self.trainer.step,
            }),
            Err(message) => post(&Event::Error {
                message: format!("Checkpoint not saved: {message}"),
            }),
        }
    }
}

/// The run's settings as the trainer's configuration.
fn train_config(settings: &TrainSettings) -> TrainConfig {
    let mut config = TrainConfig::new(settings.preset);
    config.epochs = settings.epochs;
    config.batch_size = settings.batch_size;
    config.lr = settings.lr;
    config.label_smoothing = settings.label_smoothing;
    config.flip = settings.flip;
    config.translate = if settings.translate { 2 } else { 0 };
    config.lookahead = settings.ema;
    config
}

async fn load_shard(
    set: &ShardSet,
    entry: &ShardEntry,
    number: usize,
    of: usize,
) -> Result<Vec<CifarRecord>, String> {
    let bytes = (entry.records * crate::data::RECORD_BYTES) as u64;
    progress(
        format!("Loading shard {number} of {of} ({})…", entry.file),
        0,
        bytes,
    );
    let (records, cached) = set.load(entry).await?;
    let how = if cached {
        "from the browser's cache"
    } else {
        "downloaded"
    };
    progress(
        format!("Shard {number} of {of} {how} and checked"),
        bytes,
        bytes,
    );
    Ok(records)
}

fn progress(message: String, done_bytes: u64, total_bytes: u64) {
    post(&Event::DataProgress {
        message,
        done_bytes,
        total_bytes,
    });
}

fn post_state(state: TrainingState, message: Option<String>) {
    post(&Event::TrainingStatus { state, message });
}
