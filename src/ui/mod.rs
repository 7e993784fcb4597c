//! The Leptos UI: components only. It never runs model code: it sends `protocol::Request`s to
//! the engine worker and renders the `protocol::Event`s that come back, through the plain
//! reducers of `ui_state`.

mod about;
mod app;
mod backend_bar;
mod bars;
mod benchmark;
mod camera;
mod chart;
mod classify;
mod download;
mod engine_client;
mod evaluate;
mod explain;
mod explore;
mod heatmap;
mod inside;
mod insight_state;
mod json;
mod model_bar;
mod offline;
mod page_url;
mod router;
mod teach;
mod teach_camera;
mod teach_class;
mod teach_store;
mod train;
mod train_settings;
mod webcam;

pub use app::App;
pub use engine_client::EngineClient;
