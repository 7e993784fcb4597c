//! Record sets the insight pages read from shard sets, kept for their next requests.

use std::collections::HashMap;
use std::rc::Rc;

use crate::EngineError;
use crate::shards::ShardSet;
use crate::worker::Reporter;
use pinhole_compute::data::{CifarRecord, IMAGE_BYTES, Split};
use pinhole_compute::vision::planar_png;
use pinhole_core::protocol::{RecordImage, RecordSet};

/// Records read from a set's shards.
pub struct LoadedSet {
    /// The shard files, e.g. "test-000.bin, test-001.bin".
    pub files: String,
    pub records: Vec<CifarRecord>,
}

impl LoadedSet {
    fn record(&self, index: usize) -> Result<&CifarRecord, EngineError> {
        self.records.get(index).ok_or_else(|| {
            EngineError::InvalidRequest(format!(
                "there is no record {index} in {} ({} records)",
                self.files,
                self.records.len()
            ))
        })
    }

    pub fn image(&self, index: usize) -> Result<RecordImage, EngineError> {
        let record = self.record(index)?;
        Ok(RecordImage {
            index,
            label: record.label,
            png: planar_png(&record.pixels),
        })
    }

    pub fn pixels(&self, index: usize) -> Result<&[u8; IMAGE_BYTES], EngineError> {
        Ok(&self.record(index)?.pixels)
    }
}

/// Record sets already read, by manifest and split.
#[derive(Default)]
pub struct RecordSets {
    sets: HashMap<RecordSet, Rc<LoadedSet>>,
}

impl RecordSets {
    /// The set's records: a manifest's test shards, or its first training shard (one shard is
    /// plenty to look at, and the whole training split would be five times the memory).
    /// Progress goes to the request that needs them.
    pub async fn get(
        &mut self,
        set: &RecordSet,
        reporter: Reporter,
    ) -> Result<Rc<LoadedSet>, EngineError> {
        if let Some(loaded) = self.sets.get(set) {
            return Ok(loaded.clone());
        }
        let shards = ShardSet::open(&set.manifest).await?;
        let of_split = shards
            .manifest
            .shards
            .iter()
            .filter(|s| s.split == set.split);
        let entries: Vec<_> = match set.split {
            Split::Test => of_split.cloned().collect(),
            Split::Train => of_split.take(1).cloned().collect(),
        };
        if entries.is_empty() {
            return Err(EngineError::InvalidRequest(format!(
                "{} lists no {} shard",
                set.manifest,
                split_name(set.split)
            )));
        }
        let mut records = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let message = format!("Reading {} ({} of {})…", entry.file, i + 1, entries.len());
            reporter.step(message, i, entries.len());
            records.extend(shards.load(entry).await?.0);
        }
        let files = entries
            .iter()
            .map(|e| e.file.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let loaded = Rc::new(LoadedSet { files, records });
        self.sets.insert(set.clone(), loaded.clone());
        Ok(loaded)
    }
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Train => "training",
        Split::Test => "test",
    }
}
