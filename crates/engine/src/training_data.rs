//! A training run's records: opened from a shard set (the first training shard before the
//! first step, the rest one per turn while training) or from dropped files.

use std::collections::VecDeque;

use super::EngineError;
use super::shards::ShardSet;
use super::worker::Reporter;
use pinhole_compute::data::{
    CifarRecord, RECORD_BYTES, ShardEntry, Split, fetch_plan, split_dropped_files,
};
use pinhole_core::protocol::{DataSource, Progress, TrainSettings};

pub struct RunData {
    pub train: Vec<CifarRecord>,
    pub test: Vec<CifarRecord>,
    /// Training records the run will have once every shard is in.
    pub train_total: usize,
    pub test_wanted: usize,
    shards: Option<ShardSet>,
    pending: VecDeque<ShardEntry>,
    /// Shards in the fetch plan, the first included.
    planned_shards: usize,
    /// The manifest URL, when the data can be fetched again to resume.
    pub manifest_url: Option<String>,
}

impl RunData {
    /// The source's records, at least a batch of them (the first training shard of a shard set).
    pub async fn open(
        source: DataSource,
        settings: &TrainSettings,
        reporter: Reporter,
    ) -> Result<Self, EngineError> {
        let describe = source.describe();
        let note = |message: String| {
            reporter.progress(Progress::Data {
                message,
                done_bytes: 0,
                total_bytes: 0,
            })
        };
        let mut data = match source {
            DataSource::Manifest { url } => {
                note(format!("Reading {url}…"));
                let set = ShardSet::open(&url).await?;
                let manifest = &set.manifest;
                let test_wanted = settings.test_records(manifest.records(Split::Test));
                let train_total = settings
                    .subset
                    .unwrap_or(usize::MAX)
                    .min(manifest.records(Split::Train));
                let pending: VecDeque<ShardEntry> =
                    fetch_plan(manifest, settings.subset, Some(test_wanted)).into();
                RunData {
                    train: Vec::new(),
                    test: Vec::new(),
                    train_total,
                    test_wanted,
                    planned_shards: pending.len(),
                    pending,
                    shards: Some(set),
                    manifest_url: Some(url),
                }
            }
            DataSource::Files { files } => {
                note(format!("Reading {describe}…"));
                let named: Vec<(&str, &[u8])> = files
                    .iter()
                    .map(|f| (f.name.as_str(), f.bytes.as_slice()))
                    .collect();
                let (mut train, test) = split_dropped_files(&named)?;
                if let Some(n) = settings.subset {
                    train.truncate(n);
                }
                RunData {
                    train_total: train.len(),
                    test_wanted: settings.test_records(test.len()),
                    train,
                    test,
                    shards: None,
                    pending: VecDeque::new(),
                    planned_shards: 0,
                    manifest_url: None,
                }
            }
        };
        // The first training shard (the plan puts it first) before the first step.
        if let (Some(set), Some(first)) = (&data.shards, data.pending.pop_front()) {
            let records = load_shard(set, &first, 1, data.planned_shards, reporter).await?;
            data.train.extend(records);
        }
        data.train.truncate(data.train_total);
        data.test.truncate(data.test_wanted);
        if data.train.len() < settings.batch_size {
            return Err(EngineError::InvalidRequest(format!(
                "{describe}: {} training records, fewer than one batch of {}",
                data.train.len(),
                settings.batch_size
            )));
        }
        Ok(data)
    }

    /// Takes in the next pending shard, if any (`None` when all are in); at most `train_room`
    /// training records in all.
    pub async fn next_shard(
        &mut self,
        train_room: usize,
        reporter: Reporter,
    ) -> Option<Result<(), EngineError>> {
        let entry = self.pending.pop_front()?;
        let set = self.shards.as_ref()?;
        let done = self.planned_shards - self.pending.len();
        let records = match load_shard(set, &entry, done, self.planned_shards, reporter).await {
            Ok(records) => records,
            Err(error) => return Some(Err(error)),
        };
        let (into, wanted) = match entry.split {
            Split::Train => (&mut self.train, train_room),
            Split::Test => (&mut self.test, self.test_wanted),
        };
        let room = wanted.saturating_sub(into.len());
        into.extend(records.into_iter().take(room));
        if self.pending.is_empty() {
            reporter.progress(Progress::Data {
                message: "All shards loaded".into(),
                done_bytes: 0,
                total_bytes: 0,
            });
        }
        Some(Ok(()))
    }
}

async fn load_shard(
    set: &ShardSet,
    entry: &ShardEntry,
    number: usize,
    of: usize,
    reporter: Reporter,
) -> Result<Vec<CifarRecord>, EngineError> {
    let bytes = entry.records.saturating_mul(RECORD_BYTES) as u64;
    let progress = |message: String, done_bytes: u64| {
        reporter.progress(Progress::Data {
            message,
            done_bytes,
            total_bytes: bytes,
        })
    };
    progress(
        format!("Loading shard {number} of {of} ({})…", entry.file),
        0,
    );
    let (records, cached) = set.load(entry).await?;
    let how = if cached {
        "from the browser's cache"
    } else {
        "downloaded"
    };
    progress(format!("Shard {number} of {of} {how} and checked"), bytes);
    Ok(records)
}
