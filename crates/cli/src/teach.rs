//! `pinhole teach`: the Teach page's training from a folder of class folders (the common
//! image-folder layout: `DIR/mug/*.jpg`, `DIR/cat/*.png`, …), with the same code.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use pinhole_compute::model::{Precision, Preset, save_network_as, save_network_safetensors};
use pinhole_compute::teach::{MAX_CLASS_SAMPLES, TeachProgress, TeachSettings, teach};
use pinhole_compute::vision::sample_from_file;
use pinhole_core::protocol::{MAX_IMAGE_FILE_BYTES, too_large};

use super::{Backend, load_model, write_atomically};

#[derive(Args)]
pub struct TeachArgs {
    /// A folder with one folder of images per class; the folder names are the class names.
    #[arg(long)]
    data: PathBuf,
    /// Where to write the network: `.safetensors` or Pinhole's own format (any other name).
    #[arg(long)]
    out: PathBuf,
    /// The CIFAR-10 network whose features the head reads.
    #[arg(long, default_value = "full")]
    backbone: Preset,
    /// Its weights (default: weights/BACKBONE.bin).
    #[arg(long)]
    backbone_weights: Option<PathBuf>,
    #[arg(long, default_value_t = TeachSettings::default().steps)]
    steps: usize,
    /// Share of each class held out to measure accuracy.
    #[arg(long, default_value_t = TeachSettings::default().held_out)]
    held_out: f64,
    /// Train on the image and its mirror only (no shifted crops).
    #[arg(long)]
    no_shifts: bool,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write what was measured as JSON.
    #[arg(long)]
    report: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
}

pub fn run(args: TeachArgs) -> Result<(), String> {
    let settings = TeachSettings {
        backbone: args.backbone,
        steps: args.steps,
        held_out: args.held_out,
        shifts: !args.no_shifts,
        seed: args.seed,
        ..TeachSettings::default()
    };
    settings.check().map_err(|e| e.to_string())?;
    let (classes, samples) = read_folders(&args.data)?;
    let device = args.backend.device()?;
    let weights = args
        .backbone_weights
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("weights/{}.bin", args.backbone)));
    let backbone = load_model(&weights, &device)?;
    if backbone.preset() != args.backbone {
        return Err(format!(
            "{} holds a {} network, not {}",
            weights.display(),
            backbone.preset(),
            args.backbone
        ));
    }
    let clock = Instant::now();
    let now_ms = || clock.elapsed().as_secs_f64() * 1000.0;
    let borrowed: Vec<Vec<&[u8]>> = samples
        .iter()
        .map(|c| c.iter().map(Vec::as_slice).collect())
        .collect();
    let taught = futures::executor::block_on(teach(
        &backbone,
        &classes,
        &borrowed,
        &settings,
        &device,
        now_ms,
        |progress| {
            if let TeachProgress::Point(p) = progress {
                let held = p
                    .held_out_accuracy
                    .map_or(String::new(), |a| format!(", held-out {:.1}%", a * 100.0));
                eprintln!("step {:>5}: loss {:.4}{held}", p.step, p.loss);
            }
        },
    ))
    .map_err(|e| format!("{}: {e}", args.data.display()))?;
    let report = &taught.report;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    for class in &report.classes {
        let accuracy = class
            .accuracy()
            .map_or("not measured".into(), |a| format!("{:.1}%", a * 100.0));
        println!(
            "{:<24} {:>4} trained, {:>3} held out: {accuracy}",
            class.name, class.trained, class.held_out
        );
    }
    if let Some(a) = report.held_out_accuracy() {
        println!("held-out accuracy {:.1}%", a * 100.0);
    }
    println!(
        "features of {} views in {:.0} ms, head in {:.0} ms",
        report.views, report.feature_ms, report.head_ms
    );
    let network = taught.network;
    let bytes = if args.out.extension().is_some_and(|e| e == "safetensors") {
        save_network_safetensors(&network.model, &network.classes)
    } else {
        save_network_as(network.model, &network.classes, Precision::Full)
    }
    .map_err(|e| e.to_string())?;
    write_atomically(&args.out, &bytes)?;
    println!("wrote {}", args.out.display());
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(report).map_err(|e| e.to_string())?;
        write_atomically(path, &json)?;
    }
    Ok(())
}

/// Class names (sorted folder names) and each class's samples (sorted file names). A file that
/// is not a readable image is reported by name and skipped.
/// Class names and, per class, its samples (96×96 RGB each).
type ClassFolders = (Vec<String>, Vec<Vec<Vec<u8>>>);

fn read_folders(data: &Path) -> Result<ClassFolders, String> {
    let entries = |dir: &Path| -> Result<Vec<PathBuf>, String> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        Ok(paths)
    };
    let mut classes = Vec::new();
    let mut samples = Vec::new();
    let mut skipped = 0;
    for folder in entries(data)?.into_iter().filter(|p| p.is_dir()) {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let mut class = Vec::new();
        for file in entries(&folder)?.into_iter().filter(|p| p.is_file()) {
            if class.len() == MAX_CLASS_SAMPLES {
                eprintln!("warning: {name}: only the first {MAX_CLASS_SAMPLES} images are used");
                break;
            }
            let shown = file.display().to_string();
            let sample = std::fs::metadata(&file)
                .map_err(|e| format!("cannot read {shown}: {e}"))
                .and_then(|m| {
                    match too_large(&shown, m.len(), MAX_IMAGE_FILE_BYTES, "an image file") {
                        Some(message) => Err(message),
                        None => {
                            std::fs::read(&file).map_err(|e| format!("cannot read {shown}: {e}"))
                        }
                    }
                })
                .and_then(|bytes| sample_from_file(&bytes, &shown).map_err(|e| e.to_string()));
            match sample {
                Ok(sample) => class.push(sample),
                Err(message) => {
                    eprintln!("skipped: {message}");
                    skipped += 1;
                }
            }
        }
        classes.push(name);
        samples.push(class);
    }
    if classes.is_empty() {
        return Err(format!(
            "{}: no class folders (expected DIR/CLASS/IMAGE files)",
            data.display()
        ));
    }
    if skipped > 0 {
        eprintln!("{skipped} files skipped");
    }
    Ok((classes, samples))
}
