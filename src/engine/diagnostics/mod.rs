//! The Speed page's work: the inference and training benchmarks, and the training check (every
//! layer's gradients and a few training steps against the CPU).

mod op_check;
mod train_bench;

pub use train_bench::synthetic_records;
mod train_check;

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};

use super::EngineError;
use super::backend::{self, INIT_SEED};
use super::insight::RecordSets;
use super::worker::{Reporter, now_ms};
use crate::data::Split;
use crate::model::packed::Activations;
use crate::model::{Classifier, FoldedClassifier, PackedAirbench, Preset, read_floats};
use crate::protocol::{BackendKind, BenchmarkResult, DEFAULT_MANIFEST, RecordSet, Reply};

/// Largest batch a benchmark or check may ask for: a batch of 512 images of `full` already
/// needs about 1 GB of activations for a training step.
pub const MAX_BENCHMARK_BATCH: usize = 512;
/// Most timed runs or steps per preset: enough for a stable median.
pub const MAX_BENCHMARK_RUNS: usize = 100;

fn checked(batch: usize, runs: usize) -> Result<(usize, usize), EngineError> {
    if !(1..=MAX_BENCHMARK_BATCH).contains(&batch) || !(1..=MAX_BENCHMARK_RUNS).contains(&runs) {
        return Err(EngineError::InvalidRequest(format!(
            "a benchmark takes a batch of 1–{MAX_BENCHMARK_BATCH} and 1–{MAX_BENCHMARK_RUNS} runs or steps, not {batch} and {runs}"
        )));
    }
    Ok((batch, runs))
}

/// Inference latency (batch 1) and throughput (`batch`) of each preset, untrained (speed does
/// not depend on the weights).
pub async fn benchmark(
    presets: &[Preset],
    batch: usize,
    runs: usize,
    device: &Device,
    kind: BackendKind,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    let (batch, runs) = checked(batch, runs)?;
    let mut results = Vec::new();
    for &preset in presets {
        reporter.step(format!("Benchmarking {preset} on {}…", kind.label()), 0, 0);
        let cpu = backend::cpu();
        cpu.seed(INIT_SEED);
        // What inference runs: the folded form, packed on the CPU.
        let folded = FoldedClassifier::fold(&Classifier::new(preset, &cpu), &cpu, &cpu);
        let packed = match (kind, folded.pack()) {
            (BackendKind::Cpu, Some(packed)) => Some(packed?),
            _ => None,
        };
        let model = match &packed {
            Some(packed) => Forward::Packed(packed),
            None => Forward::Burn(Box::new(folded.to_device(device))),
        };
        let uniform = Distribution::Uniform(0.0, 1.0);
        let single = Tensor::<4>::random([1, 3, 32, 32], uniform, device);
        let many = Tensor::<4>::random([batch, 3, 32, 32], uniform, device);
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
            backend: kind,
            latency_ms: latencies[latencies.len() / 2],
            batch,
            images_per_second: (batch * runs) as f64 / (batch_total / 1000.0),
        });
    }
    Ok(Reply::Benchmark { results })
}

/// The inference network a benchmark times.
enum Forward<'a> {
    Packed(&'a PackedAirbench),
    Burn(Box<FoldedClassifier>),
}

/// Milliseconds for one forward pass including the read-back (which waits for the device); for
/// the packed network, from Burn's NCHW tensor (the input's read and layout change included).
async fn timed_forward(model: &Forward<'_>, images: &Tensor<4>) -> Result<f64, EngineError> {
    let start = now_ms();
    match model {
        Forward::Packed(packed) => {
            let shape = images.dims();
            let values = read_floats(images.clone(), "the benchmark's images").await?;
            std::hint::black_box(packed.logits(&Activations::from_nchw(&values, shape)));
        }
        Forward::Burn(folded) => {
            read_floats(folded.forward(images.clone()), "the benchmark's logits").await?;
        }
    }
    Ok(now_ms() - start)
}

/// Training steps per second of each preset.
pub async fn benchmark_training(
    presets: &[Preset],
    batch: usize,
    steps: usize,
    device: &Device,
    kind: BackendKind,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    let (batch, steps) = checked(batch, steps)?;
    let results = train_bench::run(presets, batch, steps, device, kind, reporter).await?;
    Ok(Reply::TrainingBenchmark { results })
}

/// [`op_check`], then [`train_check`] for each preset on the default shard set's first
/// training shard.
pub async fn check_training(
    presets: &[Preset],
    batch: usize,
    steps: usize,
    device: &Device,
    kind: BackendKind,
    sets: &mut RecordSets,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    let (batch, steps) = checked(batch, steps)?;
    reporter.step(
        format!("Checking layer gradients on {}…", kind.label()),
        0,
        0,
    );
    let ops = op_check::run(device).await?;
    let set = RecordSet {
        manifest: DEFAULT_MANIFEST.into(),
        split: Split::Train,
    };
    let loaded = sets.get(&set, reporter).await?;
    let mut checks = Vec::new();
    for &preset in presets {
        let check = train_check::run(
            preset,
            batch,
            steps,
            &loaded.records,
            device,
            kind,
            reporter,
        )
        .await?;
        checks.push(check);
    }
    Ok(Reply::TrainingChecked { ops, checks })
}
