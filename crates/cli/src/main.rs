//! The `pinhole` command line: train, eval, card, classify, convert, shard, bench-train.

mod bench;
mod bench_infer;
mod card;
mod classify;
mod convert;
mod eval;
mod shard;
mod teach;
mod train;

use std::path::Path;
use std::process::ExitCode;

use burn::tensor::Device;
use clap::{Parser, Subcommand, ValueEnum};
use pinhole_compute::model::{Classifier, Network, load_any_network, load_any_weights};

#[derive(Parser)]
#[command(
    name = "pinhole",
    version,
    about = "Pinhole's CIFAR-10 CNN (and your own classes) on the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Accuracy, per-class precision/recall/F1 and the confusion matrix on CIFAR-10 records.
    Eval(eval::EvalArgs),
    /// Measure shipped weights with eval's code and write the figures into their model card
    /// (or, with --check, compare them with it).
    Card(card::CardArgs),
    /// Top-5 classes of image files (PNG, JPEG, WebP, GIF, BMP).
    Classify(classify::ClassifyArgs),
    /// Teach your own classes from a folder of class folders (a new head on a CIFAR-10
    /// backbone) and write the network.
    Teach(teach::TeachArgs),
    /// Train a preset on CIFAR-10 and write its weights.
    Train(train::TrainArgs),
    /// Rewrite a weights file at another precision (f16 kernels: about half the size).
    Convert(convert::ConvertArgs),
    /// Split CIFAR-10 into shard files plus manifest.json, for the page to stream.
    Shard(shard::ShardArgs),
    /// Training throughput (images/s) per native backend and preset, as JSON.
    BenchTrain(bench::BenchTrainArgs),
    /// Inference latency and throughput per preset, as trained and folded, as JSON.
    BenchInfer(bench_infer::BenchInferArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (multi-threaded).
    Flex,
    /// Burn's wgpu backend (Vulkan/Metal/DX12; on CPU-only Linux, Mesa's lavapipe).
    Wgpu,
    /// Burn's LibTorch backend on the CPU (built with `--features libtorch`).
    #[cfg(feature = "libtorch")]
    Libtorch,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Wgpu => "wgpu",
            #[cfg(feature = "libtorch")]
            Backend::Libtorch => "libtorch",
        }
    }

    pub fn device(self) -> Result<Device, String> {
        match self {
            Backend::Flex => Ok(Device::flex()),
            Backend::Wgpu => Device::wgpu_options()
                .init()
                .map_err(|e| format!("wgpu backend unavailable: {e}")),
            // Deprecated upstream in favour of the CubeCL backends; used here because it is the
            // fastest CPU trainer measured on this machine (docs/benchmarks.md, "Training throughput, native").
            #[cfg(feature = "libtorch")]
            #[allow(deprecated)]
            Backend::Libtorch => Ok(Device::libtorch()),
        }
    }
}

/// Writes `FILE.partial` then renames it to `path`, so an interrupted write never destroys the
/// previous file (weights, checkpoints, shards, manifests).
/// A benchmark's result lines as one pretty JSON object `{ key: [...] }` on stdout (each line
/// was also printed to stderr as it was measured).
pub fn print_report(key: &str, results: Vec<serde_json::Value>) -> Result<(), String> {
    let report = serde_json::json!({ key: results });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn load_model(path: &Path, device: &Device) -> Result<Classifier, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    load_any_weights(&bytes, &path.display().to_string(), device).map_err(|e| e.to_string())
}

/// A weights file for any classes (CIFAR-10's or a taught network's).
pub fn load_network(path: &Path, device: &Device) -> Result<Network, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    load_any_network(&bytes, &path.display().to_string(), device).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Card(args) => card::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Teach(args) => teach::run(args),
        Command::Train(args) => train::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Shard(args) => shard::run(args),
        Command::BenchTrain(args) => bench::run(args),
        Command::BenchInfer(args) => bench_infer::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
