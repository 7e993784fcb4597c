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
use super::cpu_pool::CpuPool;
use super::insight::RecordSets;
use super::models::export;
use super::pool_helper::planar_logits;
use super::worker::{Reporter, now_ms};
use pinhole_compute::data::Split;
use pinhole_compute::data::{IMAGE_BYTES, PlanarImages};
use pinhole_compute::model::class_names::cifar_class_names;
use pinhole_compute::model::{Classifier, FoldedClassifier, Preset, read_floats};
use pinhole_core::protocol::{
    BackendKind, BenchmarkResult, DEFAULT_MANIFEST, RecordSet, Reply, WeightsFormat,
};

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
/// not depend on the weights). On the CPU the batch splits across the worker pool, as batch
/// work does; batch 1 stays in the engine.
pub async fn benchmark_inference(
    presets: &[Preset],
    batch: usize,
    runs: usize,
    device: &Device,
    kind: BackendKind,
    pool: &CpuPool,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    let (batch, runs) = checked(batch, runs)?;
    let mut results = Vec::new();
    for (i, &preset) in presets.iter().enumerate() {
        reporter.step(format!("Benchmarking {preset} on {}…", kind.label()), 0, 0);
        let cpu = backend::cpu();
        cpu.seed(INIT_SEED);
        let host = Classifier::new(preset, &cpu);
        // What inference runs: the folded form, packed on the CPU.
        let folded = FoldedClassifier::fold(&host, &cpu, &cpu);
        let packed = match (kind, folded.pack()) {
            (BackendKind::Cpu, Some(packed)) => Some(packed?),
            _ => None,
        };
        let result = match &packed {
            Some(packed) => {
                let generation = BENCHMARK_GENERATIONS + i as u64;
                let (name, weights) = export(
                    &host,
                    &cifar_class_names(),
                    WeightsFormat::Pinhole,
                    "benchmark",
                )
                .await?;
                pool.load(generation, name, weights);
                reporter.step(format!("Copying {preset} to the CPU workers…"), 0, 0);
                pool.settled(generation).await;
                reporter.step(format!("Benchmarking {preset} on {}…", kind.label()), 0, 0);
                let (single, many) = (noise_images(1), noise_images(batch));
                let (latency_ms, total_ms) = timed_runs(
                    runs,
                    || async {
                        planar_logits(packed, &single);
                        Ok(())
                    },
                    || async {
                        pool.logits(packed, generation, &many).await;
                        Ok(())
                    },
                )
                .await?;
                (latency_ms, total_ms, pool.ready())
            }
            None => {
                let model = folded.to_device(device);
                let uniform = Distribution::Uniform(0.0, 1.0);
                let single = Tensor::<4>::random([1, 3, 32, 32], uniform, device);
                let many = Tensor::<4>::random([batch, 3, 32, 32], uniform, device);
                let forward = |images: &Tensor<4>| {
                    let logits = model.forward(images.clone());
                    async move {
                        read_floats(logits, "the benchmark's logits").await?;
                        Ok(())
                    }
                };
                let (latency_ms, total_ms) =
                    timed_runs(runs, || forward(&single), || forward(&many)).await?;
                (latency_ms, total_ms, 1)
            }
        };
        let (latency_ms, total_ms, workers) = result;
        results.push(BenchmarkResult {
            preset,
            backend: kind,
            latency_ms,
            batch,
            images_per_second: (batch * runs) as f64 / (total_ms / 1000.0),
            workers,
        });
    }
    Ok(Reply::Benchmark { results })
}

/// Network generations the benchmark's networks take in the CPU pool (beyond any model's), so
/// that the pool gets the classifier's network back afterwards. Below 2^53: messages to the
/// helpers carry them as JavaScript numbers.
const BENCHMARK_GENERATIONS: u64 = 1 << 50;

/// After a warm-up of each (shader compiles, buffer sizes): the median milliseconds of
/// `max(runs, 5)` single-image passes, and the total of `runs` batch passes. Each pass includes
/// its read-back, which waits for the device.
async fn timed_runs<S, SF, B, BF>(
    runs: usize,
    single: S,
    many: B,
) -> Result<(f64, f64), EngineError>
where
    S: Fn() -> SF,
    SF: Future<Output = Result<(), EngineError>>,
    B: Fn() -> BF,
    BF: Future<Output = Result<(), EngineError>>,
{
    single().await?;
    many().await?;
    let mut latencies = Vec::new();
    for _ in 0..runs.max(5) {
        let start = now_ms();
        single().await?;
        latencies.push(now_ms() - start);
    }
    latencies.sort_by(f64::total_cmp);
    let start = now_ms();
    for _ in 0..runs {
        many().await?;
    }
    Ok((latencies[latencies.len() / 2], now_ms() - start))
}

/// `count` 32×32 planar RGB images of noise (a fixed sequence: speed does not depend on it).
fn noise_images(count: usize) -> PlanarImages {
    let mut state = 0x9E37_79B9_u32;
    let bytes = (0..count * IMAGE_BYTES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    PlanarImages::new(bytes).expect("whole images")
}

/// Training steps per second of each preset.
pub async fn benchmark_training(
    presets: &[Preset],
    batch: usize,
    steps: usize,
    device: &Device,
    kind: BackendKind,
    pool: &CpuPool,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    let (batch, steps) = checked(batch, steps)?;
    let results = train_bench::run(presets, batch, steps, device, kind, pool, reporter).await?;
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
