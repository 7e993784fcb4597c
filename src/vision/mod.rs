//! Arbitrary images → the model's input: decode, honour EXIF orientation, centre-crop to a
//! square, area-average down to 32×32, planar RGB; and saliency values → colours.

mod colormap;
#[cfg(feature = "compute")]
mod preprocess;

pub use colormap::{colour, heatmap_rgba};
#[cfg(feature = "compute")]
pub use preprocess::{ModelInput, VisionError, preprocess, preprocess_image, preprocess_rgba};
