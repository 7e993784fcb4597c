//! Any bytes as dropped CIFAR-10 data: a tarball (gzip, tar), a record file, or a shard checked
//! against a manifest entry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinhole_compute::data::{
    ShardEntry, Split, parse_records, sha256_hex, split_dropped_files, verify_shard,
};

fuzz_target!(|bytes: &[u8]| {
    let _ = split_dropped_files(&[("cifar-10-binary.tar.gz", bytes)]);
    let _ = parse_records(bytes, "data_batch_1.bin");
    let entry = ShardEntry {
        file: "train-000.bin".into(),
        split: Split::Train,
        records: bytes.len() / 3073 + 1,
        sha256: sha256_hex(bytes),
    };
    let _ = verify_shard(&entry, bytes);
});
