//! Browser glue the page and the engine worker share. Each browser API is wrapped once here.
//!
//! - `open_database` (wasm only): an IndexedDB database with one object store (the engine's training
//!   checkpoints, the page's Teach project).

#[cfg(target_arch = "wasm32")]
mod indexed_db;

#[cfg(target_arch = "wasm32")]
pub use indexed_db::open_database;
