//! Arbitrary images → the model's input: decode, honour EXIF orientation, centre-crop to a
//! square, area-average down to 32×32, planar RGB; saliency values → colours; feature maps and
//! filters as pictures.

mod colormap;
#[cfg(feature = "compute")]
mod mosaic;
#[cfg(feature = "compute")]
mod preprocess;
#[cfg(feature = "compute")]
mod sample;

pub use colormap::{colour, heatmap_rgba};
#[cfg(feature = "compute")]
pub use mosaic::{Mosaic, feature_mosaic, filter_mosaic, planar_png};
#[cfg(feature = "compute")]
pub use preprocess::{
    ModelInput, VisionError, decode, preprocess, preprocess_image, preprocess_rgba,
};
#[cfg(feature = "compute")]
pub use sample::{
    sample_from_file, sample_from_image, sample_from_rgba, sample_input, sample_views,
};
