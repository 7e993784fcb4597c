//! Training speed in the browser: timed optimiser steps (forward, backward, update and the
//! loss read-back) per preset on the active backend, on synthetic records (speed does not
//! depend on the pixels). On the CPU, airbench steps go through the pool as training does
//! (ghost batches on every worker).

use burn::tensor::Device;

use crate::EngineError;
use crate::cpu_pool::CpuPool;
use crate::worker::{Reporter, now_ms, yield_now};
use pinhole_compute::data::{CifarRecord, IMAGE_BYTES};
use pinhole_compute::model::{Preset, read_scalar};
use pinhole_compute::train::{SplitMix64, TrainConfig, Trainer};
use pinhole_core::protocol::{BackendKind, TrainingBenchmarkResult};

pub async fn run(
    presets: &[Preset],
    batch: usize,
    steps: usize,
    device: &Device,
    backend: BackendKind,
    pool: &CpuPool,
    reporter: Reporter,
) -> Result<Vec<TrainingBenchmarkResult>, EngineError> {
    let records = synthetic_records(batch);
    let all: Vec<usize> = (0..batch).collect();
    let mut results = Vec::new();
    for &preset in presets {
        reporter.step(
            format!("Timing {preset} training steps on {}…", backend.label()),
            0,
            0,
        );
        let mut config = TrainConfig::new(preset);
        config.batch_size = batch;
        // Enough steps that the schedule never ends inside the benchmark.
        config.epochs = steps + 2;
        let mut trainer = Trainer::new(config, &records, &device.clone().autodiff());
        let mut times = Vec::new();
        let pooled = backend == BackendKind::Cpu && pool.can_train(&trainer);
        let mut workers = 1;
        // The first step compiles shaders and sizes buffers: not timed.
        for i in 0..=steps {
            let start = now_ms();
            if pooled {
                workers = pool.train_step(&mut trainer, &all, &records).await?.workers;
            } else {
                read_scalar(trainer.train_step(&all, &records).loss, "the loss").await?;
            }
            if i > 0 {
                times.push(now_ms() - start);
            }
            yield_now().await;
        }
        times.sort_by(f64::total_cmp);
        let step_ms = times[times.len() / 2];
        results.push(TrainingBenchmarkResult {
            preset,
            backend,
            batch,
            step_ms,
            images_per_second: batch as f64 / (step_ms / 1000.0),
            workers,
        });
    }
    Ok(results)
}

/// `count` records of random pixels and labels (a step's speed does not depend on them).
pub fn synthetic_records(count: usize) -> Vec<CifarRecord> {
    let mut rng = SplitMix64(7);
    (0..count)
        .map(|_| CifarRecord {
            label: rng.below(10) as u8,
            pixels: Box::new(std::array::from_fn::<u8, IMAGE_BYTES, _>(|_| {
                rng.below(256) as u8
            })),
        })
        .collect()
}
