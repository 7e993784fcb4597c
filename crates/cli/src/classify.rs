use std::path::PathBuf;

use clap::Args;
use pinhole_compute::data::images_to_tensor;
use pinhole_compute::model::top_k_named;
use pinhole_compute::vision::preprocess;

use super::{Backend, load_network};

#[derive(Args)]
pub struct ClassifyArgs {
    /// Weights file (see weights/), or a network of your own classes from `pinhole teach`
    /// or the Teach page (.bin or .safetensors).
    #[arg(long)]
    weights: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
    /// Also print each image's logits (the network as trained, not folded) as a JSON line.
    #[arg(long)]
    logits: bool,
    /// Image files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: ClassifyArgs) -> Result<(), String> {
    let device = args.backend.device()?;
    let network = load_network(&args.weights, &device)?;
    let model = &network.model;
    let mut failures = 0;
    for path in &args.files {
        let name = path.display().to_string();
        let input = std::fs::read(path)
            .map_err(|e| format!("cannot read {name}: {e}"))
            .and_then(|bytes| preprocess(&bytes, &name).map_err(|e| e.to_string()));
        let input = match input {
            Ok(input) => input,
            Err(message) => {
                eprintln!("error: {message}");
                failures += 1;
                continue;
            }
        };
        let logits = model
            .forward(images_to_tensor([&*input.pixels], &device))
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{name}: unexpected logits: {e:?}"))?;
        let top: Vec<String> = top_k_named(&logits, 5, &network.classes)
            .iter()
            .map(|p| format!("{} {:.1}%", p.class_name, p.probability * 100.0))
            .collect();
        println!("{name}: {}", top.join(", "));
        if args.logits {
            println!("{}", serde_json::json!({ "file": name, "logits": logits }));
        }
    }
    match failures {
        0 => Ok(()),
        n => Err(format!(
            "{n} of {} files could not be classified",
            args.files.len()
        )),
    }
}
