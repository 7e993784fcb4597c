//! Pinhole: a CNN lab in one static web page.
//!
//! `model`, `data` and `vision` are plain Rust over Burn and build natively; `engine` (the Web
//! Worker that owns Burn) and `ui` (Leptos) exist only in the browser build.

pub mod data;
pub mod model;
pub mod protocol;
pub mod vision;

#[cfg(target_arch = "wasm32")]
pub mod engine;
#[cfg(target_arch = "wasm32")]
pub mod ui;
