//! What the page shows, as plain reducers over the engine's events: no Leptos, no Burn, no
//! browser, so they are tested natively. The UI keeps each in a signal and calls `apply`.
//!
//! - `ledger.rs`: which action asked each pending request, so an outcome finds its owner;
//! - `classify_view.rs`: uploaded images, their results and saliency maps;
//! - `live_view.rs`: the webcam's frame in flight, its rate and latest result;
//! - `live_announcer.rs`: the webcam's top class for screen readers, throttled;
//! - `benchmark_view.rs`: the Speed page's three results;
//! - `training_view.rs`: the training run as the page draws it;
//! - `teach_view.rs`: the Teach page's project and the teaching in progress;
//! - `layer_groups.rs`: the Inside page's layer table in sections.

mod benchmark_view;
mod classify_view;
mod layer_groups;
mod ledger;
mod live_announcer;
mod live_view;
mod teach_view;
mod training_view;

pub use benchmark_view::BenchmarkView;
pub use classify_view::{
    ClassifyView, Explanation, ImageResult, ImageStatus, ObjectUrls, predictions_csv,
};
pub use layer_groups::{LayerGroup, layer_groups};
pub use ledger::{Asked, Ledger};
pub use live_announcer::LiveAnnouncer;
pub use live_view::{LiveResult, LiveView};
pub use teach_view::{Persist, StoredClass, StoredHead, StoredMeta, TeachView};
pub use training_view::{RunInfo, TrainingView};

/// The message a request that the engine never answered gets when the engine stops.
pub const ENGINE_STOPPED: &str = "The engine stopped before this finished; please try again.";
