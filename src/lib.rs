//! Pinhole: a CNN lab in one static web page.
//!
//! `model`, `data`, `train` and `vision` are plain Rust over Burn and build natively; `engine`
//! (the Web Worker that owns Burn) and `ui` (Leptos) exist only in the browser build. Feature
//! `compute` brings Burn; the UI is built without it, so the compiler keeps Burn out of the UI.

pub mod data;
pub mod model;
pub mod protocol;
pub mod teach;
pub mod train;
pub mod ui_state;
pub mod vision;

/// The engine worker; only its typed errors build natively (and are tested there).
#[cfg(feature = "compute")]
pub mod engine;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod ui;
