//! Data-parallel training on the CPU pool: one optimiser step whose batch, cut into ghost batches
//! (`train::data_parallel` has the arithmetic and why), is shared by the engine and its helpers.
//! The engine prepares the batch (augmentation draws from the run's generator once), sends each
//! helper the network's state and its run of slices, computes the first run itself, averages
//! every slice's gradients in slice order and steps. A helper that is lost, fails, or held a
//! different state (its digest says) has its slices redone here from the same state, so the step
//! is the same bits whoever computed it, and the same on one worker as on many.

use std::ops::Range;

use super::EngineError;
use super::cpu_pool::CpuPool;
use super::pool_helper::state_digest;
use super::worker::yield_now;
use pinhole_compute::data::{CifarRecord, PlanarImages};
use pinhole_compute::model::Classifier;
use pinhole_compute::train::{
    SliceGradients, Trainer, ghost_slices, network_state, slice_gradients, trained_flags,
    with_network_state,
};
use pinhole_core::protocol::{
    HelperReply, HelperRequest, WireSlice, bytes_f32, f32_bytes, split_batch,
};

/// What a pooled step did.
pub struct PoolStep {
    pub loss: f32,
    pub correct: usize,
    pub lr: f64,
    /// Workers whose slices went into the step (the engine included).
    pub workers: usize,
}

impl CpuPool {
    /// Whether a run of `trainer` trains in ghost batches shared with the helpers: airbench
    /// networks do (baseline's dropout would draw differently in each worker).
    pub fn can_train(&self, trainer: &Trainer) -> bool {
        matches!(trainer.model, Classifier::Airbench(_))
    }

    /// One optimiser step of `trainer` on the records `batch` indexes, its ghost batches
    /// computed by the engine and every live helper.
    pub async fn train_step(
        &self,
        trainer: &mut Trainer,
        batch: &[usize],
        train: &[CifarRecord],
    ) -> Result<PoolStep, EngineError> {
        let prepared = trainer.prepare_batch(batch, train);
        let preset = trainer.config.preset;
        let smoothing = trainer.label_smoothing();
        let device = trainer.device().clone();
        let trained = trained_flags(&trainer.model);
        let state = network_state(&trainer.model).await?;
        let ghosts = ghost_slices(batch.len());
        let helpers = self.helpers_alive();
        // Each worker takes a run of whole slices; the engine the first.
        let runs: Vec<Vec<Range<usize>>> = split_batch(ghosts.len(), helpers.len() + 1)
            .into_iter()
            .map(|run| ghosts[run].to_vec())
            .collect();
        // The state's bytes and their digest only when helpers take a share.
        let (waiting, digest): (Vec<_>, String) = if runs.len() > 1 {
            let state_bytes = f32_bytes(&state);
            let digest = state_digest(&state_bytes);
            let waiting = runs
                .iter()
                .skip(1)
                .zip(&helpers)
                .map(|(run, &helper)| {
                    let records = run[0].start..run[run.len() - 1].end;
                    let images = PlanarImages::from_images(&prepared.images[records.clone()]);
                    let reply = self.send_slice(helper, |job| HelperRequest::TrainSlice {
                        job,
                        preset,
                        state: state_bytes.clone(),
                        trained: trained.clone(),
                        images,
                        labels: prepared.labels[records].to_vec(),
                        slices: run.iter().map(|r| r.len() as u32).collect(),
                        label_smoothing: smoothing,
                    });
                    (run.clone(), reply)
                })
                .collect();
            (waiting, digest)
        } else {
            (Vec::new(), String::new())
        };
        // Let the messages go out before the engine's own slices (see `CpuPool::split`).
        if !waiting.is_empty() {
            yield_now().await;
        }
        // Each local slice starts from the step's state: batch norm's running statistics are
        // shared between the trainer's network and its clones and change with every forward.
        let local = async |range: Range<usize>| -> Result<SliceGradients, EngineError> {
            let model = with_network_state(trainer.model.clone(), &state, &trained, &device)?;
            Ok(slice_gradients(
                &model,
                &prepared.images[range.clone()],
                &prepared.labels[range],
                smoothing,
                &device,
            )
            .await?)
        };
        let mut parts = Vec::with_capacity(ghosts.len());
        for range in &runs[0] {
            parts.push(local(range.clone()).await?);
        }
        let mut workers = 1;
        for (run, reply) in waiting {
            let from_helper = match reply.await {
                Ok(HelperReply::TrainedSlice { slices, .. }) => accept(slices, &digest, &run),
                _ => Err("it stopped before answering".to_string()),
            };
            match from_helper {
                Ok(slices) => {
                    parts.extend(slices);
                    workers += 1;
                }
                Err(why) => {
                    self.report_problem(format!(
                        "a CPU worker's share of a training step was redone by the engine: {why}"
                    ));
                    for range in run {
                        parts.push(local(range).await?);
                    }
                }
            }
        }
        let (loss, correct, lr) = trainer.step_on_slices(&parts)?;
        Ok(PoolStep {
            loss,
            correct,
            lr,
            workers,
        })
    }
}

/// A helper's slices, if they are whole and were computed on the state the engine sent.
fn accept(
    slices: Result<Vec<WireSlice>, String>,
    digest: &str,
    run: &[Range<usize>],
) -> Result<Vec<SliceGradients>, String> {
    let slices = slices?;
    if slices.len() != run.len() {
        return Err(format!(
            "it computed {} slices of {}",
            slices.len(),
            run.len()
        ));
    }
    slices
        .into_iter()
        .zip(run)
        .map(|(slice, range)| {
            if slice.state_digest != digest {
                return Err("it held a different network than the one sent".to_string());
            }
            if slice.records != range.len() {
                return Err(format!(
                    "it computed {} records of {}",
                    slice.records,
                    range.len()
                ));
            }
            let values =
                bytes_f32(&slice.values).ok_or("its gradients were not whole f32 values")?;
            Ok(SliceGradients {
                records: slice.records,
                loss_sum: slice.loss_sum,
                correct: slice.correct,
                values,
            })
        })
        .collect()
}
