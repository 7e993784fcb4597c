//! Any bytes as a shard manifest; a manifest that parses has paths that stay in its folder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinhole_compute::data::{Manifest, check_shard_path, fetch_plan};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(manifest) = Manifest::parse(bytes, "manifest.json") {
        for shard in &manifest.shards {
            assert!(check_shard_path(&shard.file).is_ok());
        }
        let _ = fetch_plan(&manifest, Some(1000), Some(1000));
    }
});
