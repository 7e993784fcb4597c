//! CIFAR-10 data: records in the official binary layout, where they come from (file, folder,
//! tarball, shard set) and batches of them as tensors.

#[cfg(feature = "compute")]
mod batch;
mod cifar;
#[cfg(feature = "compute")]
mod shard;
#[cfg(feature = "compute")]
mod source;
mod statistics;

#[cfg(feature = "compute")]
pub use batch::{images_to_tensor, labels_to_tensor};
pub use cifar::{
    CLASS_NAMES, CifarRecord, IMAGE_BYTES, IMAGE_SIDE, NUM_CLASSES, RECORD_BYTES, RecordError,
    Split, interleave, load_records_file, parse_records,
};
#[cfg(feature = "compute")]
pub use shard::{
    MANIFEST_FILE, MANIFEST_VERSION, MAX_MANIFEST_BYTES, MAX_MANIFEST_RECORDS, MAX_SHARD_PATH,
    MAX_SHARD_RECORDS, MAX_SHARDS, Manifest, ManifestError, ShardEntry, ShardError,
    check_shard_path, fetch_plan, make_shards, records_to_bytes, sha256_hex, shard_url,
    verify_shard,
};
#[cfg(feature = "compute")]
pub use source::{
    MAX_INFLATED_BYTES, MAX_RECORD_FILE_BYTES, SourceError, load_split, read_tarball,
    read_tarball_splits, split_dropped_files,
};
pub use statistics::{channel_statistics, class_counts, samples_per_class};
