use std::path::PathBuf;

use burn::tensor::Device;
use clap::{Args, ValueEnum};
use pinhole_compute::model::{Precision, save_weights_as};

use super::{load_model, write_atomically};

#[derive(Args)]
pub struct ConvertArgs {
    /// Weights file to read (any precision).
    #[arg(long)]
    weights: PathBuf,
    /// Weights file to write.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = StoredPrecision::F16)]
    precision: StoredPrecision,
}

#[derive(Clone, Copy, ValueEnum)]
enum StoredPrecision {
    /// Every tensor f32 (exact).
    F32,
    /// Conv kernels and linear matrices f16, the rest f32 (about half the size).
    F16,
}

pub fn run(args: ConvertArgs) -> Result<(), String> {
    // Read before writing: `--out` may be the input file.
    let before = std::fs::metadata(&args.weights).map_or(0, |m| m.len());
    let model = load_model(&args.weights, &Device::flex())?;
    let precision = match args.precision {
        StoredPrecision::F32 => Precision::Full,
        StoredPrecision::F16 => Precision::Half,
    };
    let bytes = save_weights_as(model, precision).map_err(|e| e.to_string())?;
    write_atomically(&args.out, &bytes)?;
    println!(
        "{}: {} bytes ({} before)",
        args.out.display(),
        bytes.len(),
        before
    );
    Ok(())
}
