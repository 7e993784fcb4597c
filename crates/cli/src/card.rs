//! `pinhole card`: measures a shipped weights file with `eval`'s code and writes the figures into
//! its model card and `weights/index.json`, so a card never carries a hand-copied number; with
//! `--check` it re-measures and compares instead (nothing is written).

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use pinhole_compute::model::Classifier;

use super::eval::{Measured, measure, test_records};
use super::{Backend, load_model, write_atomically};

#[derive(Args)]
pub struct CardArgs {
    /// The weights file the card describes, e.g. weights/full.bin.
    #[arg(long)]
    weights: PathBuf,
    /// Its model card [default: the weights file with the extension .json].
    #[arg(long)]
    card: Option<PathBuf>,
    /// The index of shipped models whose entry for this file gets the accuracy [default:
    /// index.json beside the card, when there is one].
    #[arg(long)]
    index: Option<PathBuf>,
    /// The f32 file the shipped one was converted from (`pinhole convert`): its figures go in
    /// the card's `stored` section.
    #[arg(long)]
    float32: Option<PathBuf>,
    /// CIFAR-10 test records: a `.bin` file, a folder or the official `.tar.gz`.
    #[arg(long, default_value = "../shared/data/cifar10/test_batch.bin")]
    data: PathBuf,
    /// Only the first N test records (shipped cards use all 10,000).
    #[arg(long)]
    limit: Option<usize>,
    /// Re-measure and compare with the card; fails, naming each field, when they differ.
    #[arg(long)]
    check: bool,
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

/// Accuracies are stored to 4 places: one record in 10,000.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// How far a re-measured figure may stray from the card: 3 records in 10,000 for a different
/// summation order on another CPU, far below any real change of weights.
const ACCURACY_SLACK: f64 = 0.0003;

/// One measured figure: where it goes in the card, its value, and how far a check lets it stray.
struct Figure {
    path: &'static [&'static str],
    value: Value,
    slack: f64,
}

impl Figure {
    fn accuracy(path: &'static [&'static str], x: f64) -> Self {
        Figure {
            path,
            value: round4(x).into(),
            slack: ACCURACY_SLACK,
        }
    }

    fn exact(path: &'static [&'static str], value: Value) -> Self {
        Figure {
            path,
            value,
            slack: 0.0,
        }
    }

    fn name(&self) -> String {
        self.path.join(".")
    }

    /// `None` when the card agrees, else what is wrong.
    fn disagreement(&self, card: &Value) -> Option<String> {
        let found = self.path.iter().try_fold(card, |v, key| v.get(key));
        let agrees = match (found, &self.value) {
            (Some(Value::Number(a)), Value::Number(b)) => {
                let (a, b) = (
                    a.as_f64().unwrap_or(f64::NAN),
                    b.as_f64().unwrap_or(f64::NAN),
                );
                (a - b).abs() <= self.slack + 1e-9
            }
            (Some(found), value) => found == value,
            (None, _) => false,
        };
        (!agrees).then(|| match found {
            Some(found) => format!("{} is {found}, measured {}", self.name(), self.value),
            None => format!("{} is missing, measured {}", self.name(), self.value),
        })
    }

    fn write(&self, card: &mut Value) -> Result<(), String> {
        let (last, parents) = self.path.split_last().expect("a figure has a path");
        let mut object = card;
        for key in parents {
            object = object
                .as_object_mut()
                .ok_or("the card is not a JSON object")?
                .entry(*key)
                .or_insert_with(|| Value::Object(Default::default()));
        }
        object
            .as_object_mut()
            .ok_or_else(|| format!("{} is not a JSON object", parents.join(".")))?
            .insert(last.to_string(), self.value.clone());
        Ok(())
    }
}

fn file_size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value serialises");
    text.push('\n');
    write_atomically(path, text.as_bytes())
}

pub fn run(args: CardArgs) -> Result<(), String> {
    let card_path = args
        .card
        .clone()
        .unwrap_or_else(|| args.weights.with_extension("json"));
    // Read the card first: a missing or broken one fails before minutes of measuring.
    let mut card = read_json(&card_path)?;
    let device = args.backend.device()?;
    // Loaded once, and the file's own header names its preset: a card (or an f32 file) of
    // another preset is refused before minutes of measuring.
    let model = load_model(&args.weights, &device)?;
    let preset = model.preset();
    if let Some(card_preset) = card.get("preset").and_then(Value::as_str)
        && card_preset != preset.name()
    {
        return Err(format!(
            "{} describes a {card_preset} model, but {} holds a {} one",
            card_path.display(),
            args.weights.display(),
            preset.name()
        ));
    }
    let float32 = match &args.float32 {
        Some(path) => {
            let full = load_model(path, &device)?;
            if full.preset() != preset {
                return Err(format!(
                    "{} holds a {} model, {} a {} one",
                    path.display(),
                    full.preset().name(),
                    args.weights.display(),
                    preset.name()
                ));
            }
            Some((path, full))
        }
        None => None,
    };
    let records = test_records(&args.data, args.limit)?;
    let measure_model = |weights: &Path, model: &Classifier| -> Result<Measured, String> {
        eprintln!("measuring {} (with and without TTA)", weights.display());
        measure(model, &records, true, args.batch_size, &device)
    };
    let shipped = measure_model(&args.weights, &model)?;
    let tta = |m: &Measured| m.tta.as_ref().expect("measured with TTA").accuracy;
    let mut figures = vec![
        Figure::accuracy(&["test_accuracy"], shipped.plain.accuracy),
        Figure::accuracy(&["test_accuracy_tta"], tta(&shipped)),
        Figure::exact(&["test_records"], shipped.records.into()),
        Figure {
            path: &["mean_roc_auc"],
            value: shipped.plain.mean_roc_auc.map(round4).into(),
            slack: 0.0002,
        },
        Figure::exact(&["stored", "bytes"], file_size(&args.weights)?.into()),
    ];
    if let Some((float32, full)) = &float32 {
        let full = measure_model(float32, full)?;
        figures.extend([
            Figure::exact(&["stored", "float32_bytes"], file_size(float32)?.into()),
            Figure::accuracy(&["stored", "float32_test_accuracy"], full.plain.accuracy),
            Figure::accuracy(&["stored", "float32_test_accuracy_tta"], tta(&full)),
        ]);
    }

    if args.check {
        let wrong: Vec<String> = figures
            .iter()
            .filter_map(|f| f.disagreement(&card))
            .collect();
        if !wrong.is_empty() {
            return Err(format!(
                "{} disagrees with {}: {}",
                card_path.display(),
                args.weights.display(),
                wrong.join("; ")
            ));
        }
        println!(
            "{}: every figure matches {} ({} records)",
            card_path.display(),
            args.weights.display(),
            shipped.records
        );
        return Ok(());
    }

    let mut command = format!(
        "cargo run --bin pinhole -- card --weights {} --data {}",
        args.weights.display(),
        args.data.display()
    );
    if let Some(limit) = args.limit {
        command += &format!(" --limit {limit}");
    }
    figures.push(Figure::exact(
        &["measured_with"],
        format!(
            "{command} (pinhole eval's figures: accuracy, mean one-vs-rest ROC-AUC, and \
             accuracy with --tta; add --check to re-measure and compare)"
        )
        .into(),
    ));
    for figure in &figures {
        figure.write(&mut card)?;
    }
    write_json(&card_path, &card)?;
    println!(
        "{}: accuracy {:.2}%, {:.2}% with TTA, on {} records",
        card_path.display(),
        shipped.plain.accuracy * 100.0,
        tta(&shipped) * 100.0,
        shipped.records
    );

    let index_path = args.index.clone().or_else(|| {
        let beside = card_path.with_file_name("index.json");
        beside.exists().then_some(beside)
    });
    if let Some(index_path) = index_path {
        update_index(&index_path, &args.weights, round4(shipped.plain.accuracy))?;
    }
    Ok(())
}

/// Sets the accuracy of the index entry whose `file` is this weights file's name.
fn update_index(index_path: &Path, weights: &Path, accuracy: f64) -> Result<(), String> {
    let mut index = read_json(index_path)?;
    let file = weights
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} has no file name", weights.display()))?;
    let entry = index
        .get_mut("models")
        .and_then(Value::as_array_mut)
        .and_then(|models| models.iter_mut().find(|m| m["file"] == file))
        .ok_or_else(|| format!("{} lists no model file {file}", index_path.display()))?;
    entry["test_accuracy"] = accuracy.into();
    write_json(index_path, &index)?;
    println!("{}: {file} at {accuracy}", index_path.display());
    Ok(())
}
