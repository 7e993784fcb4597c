//! Arbitrary images → the model's input: decode, honour EXIF orientation, centre-crop to a
//! square, area-average down to 32×32, planar RGB.

mod preprocess;

pub use preprocess::{ModelInput, VisionError, preprocess, preprocess_image};
