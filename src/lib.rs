//! The Pinhole web app: the Leptos UI (`ui`, wasm only) and what its pages show as plain
//! reducers over the engine's events (`ui_state`, tested natively). It depends on
//! `pinhole-core` alone: the UI's wasm never links Burn (`cargo tree -p pinhole-ui`).

pub mod ui_state;

// The page itself: browser APIs throughout.
#[cfg(target_arch = "wasm32")]
pub mod ui;
