//! `pinhole bench-infer`: inference latency (batch 1) and throughput (batch 64) of each preset,
//! the network as trained against its folded inference form, on real test records. Prints one
//! JSON object. With `RAYON_NUM_THREADS=1` flex runs on one core, as the page's worker does.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use pinhole::data::images_to_tensor;
use pinhole::model::{Classifier, FoldedClassifier, Preset, read_floats};

use super::{Backend, load_model};

#[derive(Args)]
pub struct BenchInferArgs {
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Timed runs of each (after one untimed warm-up).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    #[arg(long, value_delimiter = ',', default_values_t = [Preset::Fast, Preset::Full])]
    presets: Vec<Preset>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

pub fn run(args: BenchInferArgs) -> Result<(), String> {
    let device = args.backend.device()?;
    let records = pinhole::data::load_records_file(&args.data.join("test_batch.bin"))
        .map_err(|e| e.to_string())?;
    let batch = args.batch_size.clamp(1, records.len());
    let many = images_to_tensor(records[..batch].iter().map(|r| &*r.pixels), &device);
    let single = images_to_tensor([&*records[0].pixels], &device);
    let mut results = Vec::new();
    for &preset in &args.presets {
        let path = PathBuf::from(format!("weights/{preset}.bin"));
        let model = load_model(&path, &device)?;
        let folded = FoldedClassifier::fold(&model, &Backend::Flex.device()?, &device);
        let time = |forward: &dyn Fn(burn::tensor::Tensor<4>) -> burn::tensor::Tensor<2>,
                    images: &burn::tensor::Tensor<4>|
         -> Result<f64, String> {
            forward(images.clone()); // warm-up
            let mut times = Vec::new();
            for _ in 0..args.runs.max(1) {
                let start = Instant::now();
                futures::executor::block_on(read_floats(forward(images.clone()), "logits"))
                    .map_err(|e| e.to_string())?;
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            Ok(times[times.len() / 2])
        };
        let network = |x| Classifier::forward(&model, x);
        let inference = |x| FoldedClassifier::forward(&folded, x);
        for (form, forward) in [
            ("network", &network as &dyn Fn(_) -> _),
            ("folded", &inference as &dyn Fn(_) -> _),
        ] {
            let latency = time(forward, &single)?;
            let batch_ms = time(forward, &many)?;
            let line = serde_json::json!({
                "backend": args.backend.name(),
                "preset": preset.name(),
                "form": form,
                "latency_ms": latency,
                "batch": batch,
                "images_per_second": batch as f64 / (batch_ms / 1000.0),
            });
            eprintln!("{line}");
            results.push(line);
        }
    }
    super::print_report("inference", results)
}
