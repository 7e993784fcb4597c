//! Saliency values as colours (the heatmap colour map the UI and the engine share). Decoding and
//! preprocessing images: `pinhole_compute::vision`.

mod colormap;

pub use colormap::{colour, heatmap_rgba};
