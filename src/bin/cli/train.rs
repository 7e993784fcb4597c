use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pinhole::model::{Preset, save_weights};
use pinhole::train::{TrainConfig, Trainer, accuracy, confusion_matrix};

use super::{Backend, records};

#[derive(Args)]
pub struct TrainArgs {
    #[arg(long, default_value = "fast")]
    preset: Preset,
    /// Folder of the CIFAR-10 .bin files (data_batch_*.bin for training, test_batch.bin to evaluate).
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 0.2)]
    lr: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train on the first N training records only (a quick run).
    #[arg(long)]
    limit: Option<usize>,
    /// Weights file written after every epoch.
    #[arg(long)]
    out: PathBuf,
    /// One JSON line per epoch.
    #[arg(long)]
    log: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

pub fn run(args: TrainArgs) -> Result<(), String> {
    let device = args.backend.device()?.autodiff();
    let mut train = records::load(&args.data, records::Split::Train)?;
    if let Some(limit) = args.limit {
        train.truncate(limit);
    }
    let test = records::load(&args.data, records::Split::Test)?;
    let mut config = TrainConfig::new(args.preset);
    config.epochs = args.epochs;
    config.batch_size = args.batch_size;
    config.lr = args.lr;
    config.seed = args.seed;
    let mut trainer = Trainer::new(config, &train, &device);
    let mut log = match &args.log {
        Some(path) => {
            Some(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let steps_per_epoch = train.len() / args.batch_size;
    let bar = ProgressBar::new((steps_per_epoch * args.epochs) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  ETA {eta}  {msg}")
            .map_err(|e| e.to_string())?,
    );
    for epoch in 0..args.epochs {
        let start = Instant::now();
        let train_loss = trainer.epoch(epoch, &train, |step| {
            bar.inc(1);
            let seconds = start.elapsed().as_secs_f64();
            let done = step.step % steps_per_epoch + 1;
            bar.set_message(format!(
                "epoch {} loss {:.3} lr {:.3} {:.0} img/s",
                epoch + 1,
                step.loss,
                step.lr,
                (done * args.batch_size) as f64 / seconds
            ));
        });
        let seconds = start.elapsed().as_secs_f64();
        let model = trainer.inference_model();
        let test_device = device.clone().inner();
        let confusion = confusion_matrix(
            &model.clone().to_device(&test_device),
            &test,
            500,
            false,
            &test_device,
        )?;
        let test_accuracy = accuracy(&confusion);
        let line = serde_json::json!({
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "test_accuracy": test_accuracy,
            "seconds": seconds,
            "images_per_second": (steps_per_epoch * args.batch_size) as f64 / seconds,
        });
        bar.println(line.to_string());
        if let Some(log) = log.as_mut() {
            writeln!(log, "{line}").map_err(|e| e.to_string())?;
        }
        let bytes = save_weights(model).map_err(|e| e.to_string())?;
        std::fs::write(&args.out, bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    }
    bar.finish();
    Ok(())
}
