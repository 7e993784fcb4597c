use std::path::{Path, PathBuf};

use burn::tensor::Device;
use clap::Args;
use pinhole_compute::data::{CLASS_NAMES, CifarRecord, Split, load_split};
use pinhole_compute::model::Classifier;
use pinhole_compute::train::{EvalReport, class_probabilities};

use super::{Backend, load_model};

#[derive(Args)]
pub struct EvalArgs {
    /// Weights file (see weights/).
    #[arg(long)]
    weights: PathBuf,
    /// A CIFAR-10 `.bin` file (any records), a folder or the official `.tar.gz` (their
    /// test_batch*.bin files are used).
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    /// Test-time augmentation: average the logits over mirrored and 1 px shifted copies.
    #[arg(long)]
    tta: bool,
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

/// The figures of one model on CIFAR-10 test records: without TTA, and with it when asked
/// (TTA's views include the plain one, so one pass gives both).
pub struct Measured {
    pub records: usize,
    pub plain: EvalReport,
    pub tta: Option<EvalReport>,
}

/// The test split of `data`, cut to its first `limit` records.
pub fn test_records(data: &Path, limit: Option<usize>) -> Result<Vec<CifarRecord>, String> {
    let mut records = load_split(data, Split::Test).map_err(|e| e.to_string())?;
    if let Some(limit) = limit {
        records.truncate(limit);
    }
    Ok(records)
}

pub fn measure(
    model: &Classifier,
    records: &[CifarRecord],
    tta: bool,
    batch_size: usize,
    device: &Device,
) -> Result<Measured, String> {
    let probabilities =
        class_probabilities(model, records, batch_size, tta, device).map_err(|e| e.to_string())?;
    let labels: Vec<u8> = records.iter().map(|r| r.label).collect();
    Ok(Measured {
        records: records.len(),
        plain: EvalReport::from_probabilities(&labels, &probabilities.plain),
        tta: probabilities
            .tta
            .map(|tta| EvalReport::from_probabilities(&labels, &tta)),
    })
}

pub fn run(args: EvalArgs) -> Result<(), String> {
    let device = args.backend.device()?;
    let model = load_model(&args.weights, &device)?;
    let records = test_records(&args.data, args.limit)?;
    let measured = measure(&model, &records, args.tta, args.batch_size, &device)?;
    let report = measured.tta.as_ref().unwrap_or(&measured.plain);
    let (accuracy, classes, confusion) = (report.accuracy, &report.per_class, &report.confusion);
    let accuracy_without_tta = measured.tta.is_some().then_some(measured.plain.accuracy);
    let records = measured.records;
    if args.json {
        let mut json = serde_json::json!({
            "weights": args.weights.display().to_string(),
            "data": args.data.display().to_string(),
            "records": records,
            "tta": if args.tta { "flip+translate" } else { "none" },
            "accuracy": accuracy,
            "classes": CLASS_NAMES,
            "per_class": classes,
            "roc_auc": report.roc_auc,
            "mean_roc_auc": report.mean_roc_auc,
            "confusion": confusion,
        });
        if let Some(plain) = accuracy_without_tta {
            json["accuracy_without_tta"] = plain.into();
        }
        println!("{}", serde_json::to_string_pretty(&json).unwrap());
        return Ok(());
    }
    println!(
        "{}: accuracy {:.2}% on {} records{}",
        args.weights.display(),
        accuracy * 100.0,
        records,
        accuracy_without_tta.map_or(String::new(), |plain| format!(
            " (flip + translate TTA; {:.2}% without)",
            plain * 100.0
        ))
    );
    println!(
        "\n{:<11} {:>9} {:>7} {:>6} {:>7} {:>7}",
        "class", "precision", "recall", "F1", "ROC-AUC", "support"
    );
    for ((name, m), auc) in CLASS_NAMES.iter().zip(classes).zip(&report.roc_auc) {
        let auc = auc.map_or("-".into(), |a| format!("{a:.4}"));
        println!(
            "{name:<11} {:>9.3} {:>7.3} {:>6.3} {auc:>7} {:>7}",
            m.precision, m.recall, m.f1, m.support
        );
    }
    println!("\nconfusion (rows: true class, columns: predicted)");
    for (name, row) in CLASS_NAMES.iter().zip(confusion) {
        let cells: Vec<String> = row.iter().map(|n| format!("{n:>5}")).collect();
        println!("{name:<11}{}", cells.join(""));
    }
    Ok(())
}
