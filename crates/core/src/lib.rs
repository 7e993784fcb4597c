//! Pinhole's Burn-free core: what the UI, the engine and the CLI agree on.
//!
//! - `protocol`: the messages between the page and the engine worker (requests, progress
//!   events, outcomes, typed failures) and the limits every input is bounded by;
//! - `model`: presets, class names, predictions, saliency methods, the weights files' framing;
//! - `data`: CIFAR-10 records in the official binary layout and their statistics;
//! - `train`: augmentations, evaluation metrics, the run tracker, the seeded RNG;
//! - `teach`: a visitor's own classes: settings, the held-out split, the report, the project file;
//! - `vision`: saliency values as colours.
//!
//! Plain Rust and serde only: it builds for the UI's wasm without Burn or web-sys.

pub mod data;
pub mod model;
pub mod protocol;
pub mod teach;
pub mod train;
pub mod vision;
