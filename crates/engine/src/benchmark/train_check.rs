//! Does training on the active backend match the CPU? The same network, built on the CPU and
//! copied over, takes the same steps on the same records on both; after every step each tensor
//! is compared. It finds which layer goes wrong when a GPU's training diverges. Halfway, the
//! active backend's run is saved to a checkpoint and resumed from it, as the page does on Pause:
//! the resumed momentum must be the saved one, and the later steps must still match the CPU's.

use burn::module::Module;
use burn::tensor::Device;
use safetensors::SafeTensors;

use crate::EngineError;
use crate::worker::{Reporter, yield_now};
use pinhole_compute::data::CifarRecord;
use pinhole_compute::model::{Classifier, Preset, read_scalar, save_safetensors, to_device_async};
use pinhole_compute::train::{TrainConfig, Trainer};
use pinhole_core::protocol::{BackendKind, StepCheck, TensorDiff, TrainingCheck};

/// Largest loss difference, relative to the CPU's loss, that still counts as agreeing.
const LOSS_TOLERANCE: f32 = 2e-2;

pub async fn run(
    preset: Preset,
    batch: usize,
    steps: usize,
    records: &[CifarRecord],
    device: &Device,
    backend: BackendKind,
    reporter: Reporter,
) -> Result<TrainingCheck, EngineError> {
    reporter.step(
        format!(
            "Checking {preset} training on {} against the CPU…",
            backend.label()
        ),
        0,
        0,
    );
    let batch = batch.clamp(1, records.len());
    let mut config = TrainConfig::new(preset);
    config.batch_size = batch;
    config.epochs = steps + 2;
    let cpu = Device::flex().autodiff();
    let mut reference = Trainer::new(config, records, &cpu);
    let start = reference.checkpoint_async().await?;
    let here = device.clone().autodiff();
    let mut other = Trainer::resume(&start, "the CPU's network", records.len(), &here)?;
    let order: Vec<usize> = (0..batch).collect();
    let mut checks = Vec::with_capacity(steps);
    let mut momentum = Vec::new();
    for step in 1..=steps {
        let loss_cpu = read_loss(&mut reference, &order, records).await?;
        let loss = read_loss(&mut other, &order, records).await?;
        let worst = compare(&reference.model, &other.model).await?;
        checks.push(StepCheck {
            step,
            loss_cpu,
            loss,
            worst,
        });
        if step == steps.div_ceil(2) {
            let before = other.velocity_network();
            let saved = other.checkpoint_async().await?;
            other = Trainer::resume(&saved, "the checkpoint saved here", records.len(), &here)?;
            momentum = compare(&before, &other.velocity_network()).await?;
        }
        yield_now().await;
    }
    // Dropout (baseline) draws different masks on each device, so the losses are compared to
    // 2% and the weights only for finiteness.
    let agrees = checks.iter().all(|c| {
        c.loss.is_finite()
            && (c.loss - c.loss_cpu).abs() <= LOSS_TOLERANCE * c.loss_cpu.abs()
            && c.worst.iter().all(|d| d.non_finite == 0)
    }) && momentum.iter().all(|d| d.non_finite == 0);
    Ok(TrainingCheck {
        preset,
        backend,
        batch,
        steps: checks,
        momentum,
        agrees,
    })
}

async fn read_loss(
    trainer: &mut Trainer,
    order: &[usize],
    records: &[CifarRecord],
) -> Result<f32, EngineError> {
    let loss = trainer.train_step(order, records).loss;
    Ok(read_scalar(loss, "the loss").await?)
}

/// Every tensor of `other` against `reference`, worst (relative to its scale) first.
async fn compare(
    reference: &Classifier,
    other: &Classifier,
) -> Result<Vec<TensorDiff>, EngineError> {
    let host = |model: &Classifier| {
        let model = model.valid();
        async move {
            let host = to_device_async(&model, &Device::flex()).await?;
            Ok::<_, EngineError>(save_safetensors(&host)?)
        }
    };
    let (a, b) = (host(reference).await?, host(other).await?);
    let unreadable = |e: safetensors::SafeTensorError| {
        EngineError::Device(format!("the networks could not be compared ({e})"))
    };
    let a = SafeTensors::deserialize(&a).map_err(unreadable)?;
    let b = SafeTensors::deserialize(&b).map_err(unreadable)?;
    let floats = |bytes: &[u8]| -> Vec<f32> {
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let mut diffs = Vec::new();
    for (name, view) in a.tensors() {
        let Ok(theirs) = b.tensor(&name) else {
            continue;
        };
        let (mine, theirs) = (floats(view.data()), floats(theirs.data()));
        diffs.push(diff(name, &mine, &theirs));
    }
    diffs.sort_by(|x, y| badness(y).total_cmp(&badness(x)));
    Ok(diffs)
}

fn diff(name: String, mine: &[f32], theirs: &[f32]) -> TensorDiff {
    let mut diff = TensorDiff {
        name,
        max_abs_diff: 0.0,
        max_abs: 0.0,
        non_finite: 0,
    };
    for (x, y) in mine.iter().zip(theirs) {
        if !y.is_finite() {
            diff.non_finite += 1;
        }
        diff.max_abs = diff.max_abs.max(x.abs());
        diff.max_abs_diff = diff.max_abs_diff.max((x - y).abs());
    }
    diff
}

/// Non-finite values first, then the largest difference relative to the tensor's scale.
fn badness(d: &TensorDiff) -> f32 {
    if d.non_finite > 0 {
        f32::INFINITY
    } else {
        d.max_abs_diff / d.max_abs.max(1e-3)
    }
}
