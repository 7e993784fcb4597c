//! The engine: a dedicated Web Worker that owns Burn, the device and the model. It takes
//! `protocol::Envelope`s one at a time and answers each with progress and one outcome.
//!
//! One file per job; `dispatch.rs` hands each request to its owner:
//! - `models/`: devices and backends, the shipped list, the classifier's network and its
//!   card (start, switch, select, import, export, use trained); `auto_backend.rs`: the
//!   automatic choice (CPU at once, WebGPU checked and timed in the background, each job on
//!   the faster);
//! - `inference.rs`: classify, explain (saliency), camera frames;
//! - `training.rs` (a run), `training_data.rs` (its records and shards) and
//!   `training_jobs.rs` (start, pause, resume, stop, saved runs);
//! - `insight/`: record sets, evaluation, data explorer, anatomy;
//! - `benchmark/`: benchmarks, the training check, the layer-gradient check;
//! - `cpu_pool/`: the CPU worker pool (helpers that hold the same network and take batch
//!   work), its bookkeeping in `pool_roster.rs` (native too, unit-tested); `pool_helper.rs`: a
//!   helper's side; `pool_training.rs`: data-parallel training steps;
//! - `worker.rs` (post, clock, yield), `fetch.rs`, `shards.rs`, `checkpoint_store.rs`,
//!   `backend.rs`, `shipped.rs`; `entry.rs` (the worker's start); `error.rs` (typed errors,
//!   native too).
//!
//! Native too: `error.rs` and `pool_roster.rs`, whose rules `cargo test` checks without a
//! browser.

pub mod error;
pub mod pool_roster;

pub use error::EngineError;

// Everything else is the worker itself: browser APIs throughout, so wasm only. The model code it
// runs is `pinhole-compute`'s, tested natively.
cfg_if::cfg_if! {
    if #[cfg(target_arch = "wasm32")] {
        mod auto_backend;
        mod backend;
        mod checkpoint_store;
        mod cpu_pool;
        mod benchmark;
        mod dispatch;
        mod fetch;
        mod inference;
        mod insight;
        mod models;
        mod pool_helper;
        mod pool_training;
        mod shards;
        mod shipped;
        mod teaching;
        mod training;
        mod training_data;
        mod training_jobs;
        mod entry;
        mod worker;

        pub use entry::run_worker;
    }
}
