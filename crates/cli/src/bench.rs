//! `pinhole bench-train`: training throughput (images/s) of each native backend and preset, so
//! the long run can pick the fastest. Prints one JSON object.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use pinhole_compute::data::{Split, load_split};
use pinhole_compute::model::Preset;
use pinhole_compute::train::{TrainConfig, Trainer};

use super::Backend;

#[derive(Args)]
pub struct BenchTrainArgs {
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Timed steps per backend and preset (after one untimed warm-up step).
    #[arg(long, default_value_t = 5)]
    steps: usize,
    #[arg(long, value_delimiter = ',', default_values_t = [Preset::Fast, Preset::Full, Preset::Baseline])]
    presets: Vec<Preset>,
    /// Default: every backend this binary was built with.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Backend::value_variants().to_vec())]
    backends: Vec<Backend>,
}

pub fn run(args: BenchTrainArgs) -> Result<(), String> {
    let mut train = load_split(&args.data, Split::Train).map_err(|e| e.to_string())?;
    train.truncate(args.batch_size * (args.steps + 1));
    let mut results = Vec::new();
    for &backend in &args.backends {
        let device = match backend.device() {
            Ok(device) => device.autodiff(),
            Err(message) => {
                results.push(serde_json::json!({ "backend": backend.name(), "error": message }));
                continue;
            }
        };
        for &preset in &args.presets {
            let mut config = TrainConfig::new(preset);
            config.batch_size = args.batch_size;
            config.epochs = 1;
            let mut trainer = Trainer::new(config, &train, &device);
            let mut started = None;
            trainer.epoch(0, &train, |step| {
                // The first step compiles kernels and allocates: not timed.
                if step.step == 0 {
                    started = Some(Instant::now());
                }
            });
            let seconds = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
            let images = (args.steps * args.batch_size) as f64;
            let line = serde_json::json!({
                "backend": backend.name(),
                "preset": preset.name(),
                "batch_size": args.batch_size,
                "steps": args.steps,
                "images_per_second": images / seconds,
                "ms_per_step": 1000.0 * seconds / args.steps as f64,
            });
            eprintln!("{line}");
            results.push(line);
        }
    }
    super::print_report("train_throughput", results)
}
