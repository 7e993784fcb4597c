//! CIFAR-10 records in the official binary layout (1 label byte + 3,072 planar RGB bytes), the
//! splits, and the statistics the Explore page shows. Sources, shards and tensors:
//! `pinhole_compute::data`.

mod cifar;
mod planar;
mod statistics;

pub use cifar::{
    CLASS_NAMES, CifarRecord, IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES, RECORD_BYTES, RecordError,
    Split, interleave, load_records_file, parse_records,
};
pub use planar::{PlanarImages, PlanarLengthError};
pub use statistics::{channel_statistics, class_counts, samples_per_class};
