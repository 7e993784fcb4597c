//! Pinhole's model code over Burn: the networks and presets, the weights formats, the training
//! recipe, Teach, image preprocessing and CIFAR-10 data as tensors. Plain Rust: no browser, no
//! Leptos; the engine worker (wasm) and the `pinhole` CLI run the same code, and it is tested
//! natively.
//!
//! Each module re-exports the Burn-free half of its namesake in `pinhole_core`, so one path
//! (`pinhole_compute::model::Preset`) names everything a caller needs.

pub mod data;
pub mod model;
pub mod teach;
pub mod train;
pub mod vision;

pub use pinhole_core::protocol;
