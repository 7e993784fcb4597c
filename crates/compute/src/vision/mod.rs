//! Arbitrary images → the model's input: decode, honour EXIF orientation, centre-crop to a
//! square, area-average down to 32×32, planar RGB; saliency values → colours; feature maps and
//! filters as pictures.
//!
//! This is the Burn half; the Burn-free half (`pinhole_core::vision`) is re-exported here, so
//! `pinhole_compute::vision` names the whole of it.

mod large_jpeg;
mod mosaic;
mod preprocess;
mod sample;

pub use mosaic::{Mosaic, feature_mosaic, filter_mosaic, planar_png};
pub use pinhole_core::vision::*;
pub use preprocess::{
    ModelInput, VisionError, decode, preprocess, preprocess_image, preprocess_rgba,
};
pub use sample::{
    sample_from_file, sample_from_image, sample_from_rgba, sample_input, sample_views,
};
