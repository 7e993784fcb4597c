use std::path::PathBuf;

use burn::tensor::Device;
use clap::Args;
use pinhole::data::{CLASS_NAMES, NUM_CLASSES, images_to_tensor};
use pinhole::model::Classifier;

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
    let mut records = records::load(&args.data, true)?;
    if let Some(limit) = args.limit {
        records.truncate(limit);
    }
    let mut confusion = [[0usize; NUM_CLASSES]; NUM_CLASSES];
    for chunk in records.chunks(args.batch_size.max(1)) {
        for (record, predicted) in chunk.iter().zip(predict(&model, chunk, &device)?) {
            confusion[record.label as usize][predicted] += 1;
        }
    }
    let total = records.len();
    let correct: usize = (0..NUM_CLASSES).map(|c| confusion[c][c]).sum();
    let accuracy = correct as f64 / total as f64;
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

fn predict(
    model: &Classifier,
    records: &[pinhole::data::CifarRecord],
    device: &Device,
) -> Result<Vec<usize>, String> {
    let images = images_to_tensor(records.iter().map(|r| &*r.pixels), device);
    let predicted = model.forward(images).argmax(1).flatten::<1>(0, 1);
    let data = predicted.into_data();
    data.convert::<i64>()
        .try_to_vec::<i64>()
        .map(|v| v.into_iter().map(|c| c as usize).collect())
        .map_err(|e| format!("unexpected predictions: {e:?}"))
}
