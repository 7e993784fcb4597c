//! CIFAR-10 data: records in the official binary layout, where they come from (file, folder,
//! tarball, shard set) and batches of them as tensors.
//!
//! This is the Burn half; the Burn-free half (`pinhole_core::data`) is re-exported here, so
//! `pinhole_compute::data` names the whole of it.

mod batch;
mod shard;
mod source;

pub use batch::{images_to_tensor, labels_to_tensor};
pub use pinhole_core::data::*;
pub use shard::{
    MANIFEST_FILE, MANIFEST_VERSION, MAX_MANIFEST_BYTES, MAX_MANIFEST_RECORDS, MAX_SHARD_PATH,
    MAX_SHARD_RECORDS, MAX_SHARDS, Manifest, ManifestError, ShardEntry, ShardError,
    check_shard_path, fetch_plan, make_shards, records_to_bytes, sha256_hex, shard_url,
    verify_shard,
};
pub use source::{
    MAX_INFLATED_BYTES, MAX_RECORD_FILE_BYTES, SourceError, load_split, read_tarball,
    read_tarball_splits, split_dropped_files,
};
