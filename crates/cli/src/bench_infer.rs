//! `pinhole bench-infer`: inference latency (batch 1) and throughput (batch 64) of each preset,
//! the network as trained against its folded inference form and the folded form packed for the
//! CPU (what the page's CPU engine runs), on real test records. Prints one JSON object. With
//! `RAYON_NUM_THREADS=1` flex runs on one core, as the page's worker does (the packed kernels
//! always run on one).

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Tensor;
use clap::Args;
use pinhole_compute::data::{IMAGE_SIDE, images_to_tensor};
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{Classifier, FoldedClassifier, Preset, read_floats};

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
    let records = pinhole_compute::data::load_records_file(&args.data.join("test_batch.bin"))
        .map_err(|e| e.to_string())?;
    let batch = args.batch_size.clamp(1, records.len());
    let many = images_to_tensor(records[..batch].iter().map(|r| &*r.pixels), &device);
    let single = images_to_tensor([&*records[0].pixels], &device);
    let mut results = Vec::new();
    for &preset in &args.presets {
        let path = PathBuf::from(format!("weights/{preset}.bin"));
        let model = load_model(&path, &device)?;
        let folded = FoldedClassifier::fold(&model, &Backend::Flex.device()?, &device);
        let cpu = Backend::Flex.device()?;
        let packed = FoldedClassifier::fold(&model, &cpu, &cpu)
            .pack()
            .transpose()
            .map_err(|e| e.to_string())?;
        let burn_forward = |model: &dyn Fn(Tensor<4>) -> Tensor<2>, images: usize| {
            let images = if images == 1 { &single } else { &many };
            futures::executor::block_on(read_floats(model(images.clone()), "logits"))
                .map(drop)
                .map_err(|e| e.to_string())
        };
        let network = |n| burn_forward(&|x| Classifier::forward(&model, x), n);
        let inference = |n| burn_forward(&|x| FoldedClassifier::forward(&folded, x), n);
        let packed_forward = |n: usize| {
            let packed = packed
                .as_ref()
                .ok_or_else(|| "no packed form".to_string())?;
            let pixels = records[..n].iter().map(|r| &r.pixels[..]);
            let images = Activations::from_planar_rgb(pixels, IMAGE_SIDE);
            std::hint::black_box(packed.logits(&images));
            Ok(())
        };
        let mut forms = vec![
            ("network", &network as &dyn Fn(usize) -> Result<(), String>),
            ("folded", &inference),
        ];
        if packed.is_some() {
            forms.push(("packed", &packed_forward));
        }
        // Round-robin over the forms, run by run, so that a slower or busier moment of a shared
        // machine falls on every form alike: their ratios hold within one run.
        let mut times = vec![(Vec::new(), Vec::new()); forms.len()];
        for (_, forward) in &forms {
            forward(1)?; // warm-up
            forward(batch)?;
        }
        for _ in 0..args.runs.max(1) {
            for ((_, forward), (single_ms, batch_ms)) in forms.iter().zip(&mut times) {
                for (images, into) in [(1, &mut *single_ms), (batch, &mut *batch_ms)] {
                    let start = Instant::now();
                    forward(images)?;
                    into.push(start.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        for ((form, _), (single_ms, batch_ms)) in forms.iter().zip(times) {
            let batch_ms = median(batch_ms);
            let line = serde_json::json!({
                "backend": args.backend.name(),
                "preset": preset.name(),
                "form": form,
                "latency_ms": median(single_ms),
                "batch": batch,
                "images_per_second": batch as f64 / (batch_ms / 1000.0),
            });
            eprintln!("{line}");
            results.push(line);
        }
    }
    super::print_report("inference", results)
}
