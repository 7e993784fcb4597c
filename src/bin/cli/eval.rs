use std::path::PathBuf;

use clap::Args;
use pinhole::data::{CLASS_NAMES, NUM_CLASSES};
use pinhole::train::{accuracy, confusion_matrix};

use super::{Backend, load_model, records};

#[derive(Args)]
pub struct EvalArgs {
    /// Weights file (see weights/).
    #[arg(long)]
    weights: PathBuf,
    /// A CIFAR-10 `.bin` file, or a folder (its test_batch*.bin files are used).
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    /// Evaluate only the first N records.
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
    /// Print the figures as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvalArgs) -> Result<(), String> {
    let device = args.backend.device()?;
    let model = load_model(&args.weights, &device)?;
    let mut records = records::load(&args.data, records::Split::Test)?;
    if let Some(limit) = args.limit {
        records.truncate(limit);
    }
    let confusion = confusion_matrix(&model, &records, args.batch_size, &device)?;
    let total = records.len();
    let correct: usize = (0..NUM_CLASSES).map(|c| confusion[c][c]).sum();
    let accuracy = accuracy(&confusion);
    if args.json {
        let report = serde_json::json!({
            "weights": args.weights.display().to_string(),
            "data": args.data.display().to_string(),
            "records": total,
            "accuracy": accuracy,
            "classes": CLASS_NAMES,
            "confusion": confusion,
        });
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "{}: {correct}/{total} correct, accuracy {:.2}%",
            args.weights.display(),
            accuracy * 100.0
        );
    }
    Ok(())
}
