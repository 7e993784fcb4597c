use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pinhole_compute::data::{Split, load_split};
use pinhole_compute::model::{Preset, save_weights};
use pinhole_compute::train::{TrainConfig, Trainer, accuracy, confusion_matrix};
use pinhole_core::protocol::{RECIPE_TRANSLATE, TrainSettings};

use super::{Backend, write_atomically};

#[derive(Args)]
pub struct TrainArgs {
    #[arg(long, default_value = "fast")]
    preset: Preset,
    /// Folder of the CIFAR-10 .bin files or the official `cifar-10-binary.tar.gz`
    /// (data_batch_*.bin for training, test_batch.bin to evaluate).
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// Peak learning rate (the default suits batch 256; scale it with the batch size).
    #[arg(long, default_value_t = pinhole_compute::train::LR)]
    lr: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Nesterov momentum.
    #[arg(long, default_value_t = pinhole_compute::train::MOMENTUM)]
    momentum: f64,
    /// Weight decay (L2, added to the gradient before the momentum).
    #[arg(long, default_value_t = pinhole_compute::train::WEIGHT_DECAY)]
    weight_decay: f32,
    /// Learning-rate multiplier of the batch-norm biases.
    #[arg(long, default_value_t = pinhole_compute::train::BIAS_SCALER)]
    bias_scaler: f64,
    #[arg(long, default_value_t = 0.2)]
    label_smoothing: f32,
    /// No random horizontal flips.
    #[arg(long)]
    no_flip: bool,
    /// Largest random translation in pixels (0: none).
    #[arg(long, default_value_t = RECIPE_TRANSLATE)]
    translate: usize,
    /// Random init instead of identity init for the first channels of each conv.
    #[arg(long)]
    no_dirac: bool,
    /// Train the batch norms' scale (γ) as well as their shift.
    #[arg(long, action = clap::ArgAction::Set, default_value_t = false)]
    batch_norm_scale: bool,
    /// Plain SGD weights instead of Lookahead/EMA.
    #[arg(long)]
    no_lookahead: bool,
    /// Checkpoint written after every epoch (default: OUT with `.ckpt` appended).
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Continue the run saved in the checkpoint (its settings override the flags above).
    #[arg(long)]
    resume: bool,
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

impl TrainArgs {
    /// The flags the page's training form also has, in its vocabulary.
    fn settings(&self) -> TrainSettings {
        TrainSettings {
            preset: self.preset,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            label_smoothing: self.label_smoothing,
            flip: !self.no_flip,
            translate: self.translate,
            lookahead: !self.no_lookahead,
            seed: self.seed,
            subset: self.limit,
            patience: None,
        }
    }
}

pub fn run(args: TrainArgs) -> Result<(), String> {
    let device = args.backend.device()?.autodiff();
    let mut train = load_split(&args.data, Split::Train).map_err(|e| e.to_string())?;
    if let Some(limit) = args.limit {
        train.truncate(limit);
    }
    let test = load_split(&args.data, Split::Test).map_err(|e| e.to_string())?;
    let checkpoint = args.checkpoint.clone().unwrap_or_else(|| {
        let mut name = args.out.clone().into_os_string();
        name.push(".ckpt");
        PathBuf::from(name)
    });
    let mut trainer = if args.resume {
        let bytes = std::fs::read(&checkpoint)
            .map_err(|e| format!("cannot read {}: {e}", checkpoint.display()))?;
        Trainer::resume(
            &bytes,
            &checkpoint.display().to_string(),
            train.len(),
            &device,
        )
        .map_err(|e| e.to_string())?
    } else {
        // The page's settings, converted as the page converts them; then the expert knobs only
        // the CLI has.
        let mut config = TrainConfig::from(&args.settings());
        config.momentum = args.momentum;
        config.weight_decay = args.weight_decay;
        config.bias_scaler = args.bias_scaler;
        config.dirac = !args.no_dirac;
        config.batch_norm_scale = args.batch_norm_scale;
        config
            .check("the command line", train.len())
            .map_err(|e| e.to_string())?;
        Trainer::new(config, &train, &device)
    };
    let config = trainer.config.clone();
    let steps_per_epoch = train.len() / config.batch_size;
    let first_epoch = trainer.step / steps_per_epoch.max(1);
    let mut log = match &args.log {
        // A resumed run appends to its log.
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(args.resume)
                .write(true)
                .truncate(!args.resume)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        None => None,
    };
    let bar = ProgressBar::new((steps_per_epoch * config.epochs) as u64);
    bar.set_position(trainer.step as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  ETA {eta}  {msg}")
            .map_err(|e| e.to_string())?,
    );
    for epoch in first_epoch..config.epochs {
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
                (done * config.batch_size) as f64 / seconds
            ));
        });
        let seconds = start.elapsed().as_secs_f64();
        let model = trainer.inference_model();
        let test_device = device.clone().inner();
        let confusion =
            confusion_matrix(&model, &test, 500, false, &test_device).map_err(|e| e.to_string())?;
        let test_accuracy = accuracy(&confusion);
        let line = serde_json::json!({
            "epoch": epoch + 1,
            "train_loss": train_loss,
            "test_accuracy": test_accuracy,
            "seconds": seconds,
            "images_per_second": (steps_per_epoch * config.batch_size) as f64 / seconds,
        });
        bar.println(line.to_string());
        if let Some(log) = log.as_mut() {
            writeln!(log, "{line}").map_err(|e| e.to_string())?;
        }
        let bytes = save_weights(model).map_err(|e| e.to_string())?;
        write_atomically(&args.out, &bytes)?;
        let bytes = trainer.checkpoint().map_err(|e| e.to_string())?;
        write_atomically(&checkpoint, &bytes)?;
    }
    bar.finish();
    Ok(())
}
