//! Shard sets: CIFAR-10 records split into files of whole records, described by a
//! `manifest.json` (format version, dataset, class names, and per shard its file, split, record
//! count and SHA-256). The page streams a shard set from a static host and checks every shard.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Split;
use super::{CLASS_NAMES, CifarRecord, RECORD_BYTES, parse_records};

pub const MANIFEST_VERSION: u32 = 1;
pub const MANIFEST_FILE: &str = "manifest.json";

/// Largest manifest read: a real one is a few KB, and [`MAX_SHARDS`] entries are about 1.5 MB.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;
/// Most shards a manifest may list (CIFAR-10 at 1,000 records a shard is 60).
pub const MAX_SHARDS: usize = 10_000;
/// Most records in one shard: a shard is held whole while it is hashed and parsed, and all of
/// CIFAR-10's 60,000 in one file (184 MB) is the most a tab should hold at once.
pub const MAX_SHARD_RECORDS: usize = 60_000;
/// Most records of all shards together: a run keeps its records in memory, and ten times
/// CIFAR-10 (1.8 GB of pixels) is about what a tab's 4 GiB memory can hold.
pub const MAX_MANIFEST_RECORDS: usize = 600_000;
/// Longest shard path (a real one is `train-000.bin`).
pub const MAX_SHARD_PATH: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format_version: u32,
    pub dataset: String,
    pub class_names: Vec<String>,
    pub shards: Vec<ShardEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// Path relative to the manifest.
    pub file: String,
    pub split: Split,
    pub records: usize,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{name}: not a valid shard manifest ({reason})")]
    Invalid { name: String, reason: String },
    #[error(
        "{name}: manifest format version {found}, but this Pinhole reads version {MANIFEST_VERSION}"
    )]
    Version { name: String, found: u32 },
    #[error("{name}: lists {found} class names; CIFAR-10 has 10")]
    Classes { name: String, found: usize },
    #[error("{name}: shard {file:?} is invalid ({reason})")]
    Entry {
        name: String,
        file: String,
        reason: String,
    },
    #[error("{name}: lists no training shard")]
    NoTraining { name: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error(
        "shard {file}: {len} bytes, but the manifest says {records} records ({expected} bytes); the download is truncated or the file is not this shard"
    )]
    Length {
        file: String,
        len: usize,
        records: usize,
        expected: usize,
    },
    #[error(
        "shard {file}: SHA-256 {actual} does not match the manifest's {expected}; the file is corrupt or was changed"
    )]
    Hash {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("shard {file}: {reason}")]
    Records { file: String, reason: String },
}

impl Manifest {
    /// Parses and checks a manifest; `name` names it in errors (e.g. its URL).
    pub fn parse(bytes: &[u8], name: &str) -> Result<Self, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::Invalid {
                name: name.into(),
                reason: format!(
                    "{} bytes; a manifest is at most {MAX_MANIFEST_BYTES}",
                    bytes.len()
                ),
            });
        }
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Invalid {
                name: name.into(),
                reason: e.to_string(),
            })?;
        manifest.check(name)?;
        Ok(manifest)
    }

    fn check(&self, name: &str) -> Result<(), ManifestError> {
        if self.format_version != MANIFEST_VERSION {
            return Err(ManifestError::Version {
                name: name.into(),
                found: self.format_version,
            });
        }
        if self.class_names.len() != CLASS_NAMES.len() {
            return Err(ManifestError::Classes {
                name: name.into(),
                found: self.class_names.len(),
            });
        }
        let invalid = |reason: String| ManifestError::Invalid {
            name: name.into(),
            reason,
        };
        if self.shards.len() > MAX_SHARDS {
            return Err(invalid(format!(
                "it lists {} shards; at most {MAX_SHARDS} are read",
                self.shards.len()
            )));
        }
        let mut total: usize = 0;
        for shard in &self.shards {
            let entry = |reason: String| ManifestError::Entry {
                name: name.into(),
                file: shard.file.chars().take(MAX_SHARD_PATH).collect(),
                reason,
            };
            if shard.records == 0 || shard.records > MAX_SHARD_RECORDS {
                return Err(entry(format!(
                    "{} records; a shard holds from 1 to {MAX_SHARD_RECORDS}",
                    shard.records
                )));
            }
            total += shard.records;
            if total > MAX_MANIFEST_RECORDS {
                return Err(invalid(format!(
                    "its shards hold over {MAX_MANIFEST_RECORDS} records, more than a tab can keep"
                )));
            }
            if shard.sha256.len() != 64 || !shard.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(entry("sha256 is not 64 hex digits".into()));
            }
            check_shard_path(&shard.file).map_err(|reason| entry(reason.into()))?;
        }
        if !self.shards.iter().any(|s| s.split == Split::Train) {
            return Err(ManifestError::NoTraining { name: name.into() });
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises")
    }

    /// Records of a split, summed over its shards.
    pub fn records(&self, split: Split) -> usize {
        self.shards
            .iter()
            .filter(|s| s.split == split)
            .map(|s| s.records)
            .sum()
    }
}

/// Shards are fetched from the manifest's folder and below, never from another origin or folder:
/// so a path is plain `/`-separated names of letters, digits, `.`, `_` and `-`, and no name is
/// `.`, `..` or starts with a dot. That leaves nothing a URL parser could read as a scheme, host,
/// absolute path, escape or climb (`//host`, `\\host`, `/abs`, `data:`, `%2e%2e`).
pub fn check_shard_path(file: &str) -> Result<(), &'static str> {
    if file.is_empty() || file.len() > MAX_SHARD_PATH {
        return Err("the path must have 1 to 200 characters");
    }
    let plain = file.split('/').all(|name| {
        !name.is_empty()
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    if plain {
        Ok(())
    } else {
        Err(
            "the path must be names of letters, digits, '.', '_' and '-' under the manifest's folder",
        )
    }
}

/// The URL of a shard whose path passed [`check_shard_path`]: the manifest's folder (everything
/// up to its last `/`, or the page's own folder for a bare file name) followed by the path.
pub fn shard_url(manifest_url: &str, file: &str) -> String {
    let folder = manifest_url.rfind('/').map_or("", |i| &manifest_url[..=i]);
    format!("{folder}{file}")
}

/// The shards a run needs, in the order to fetch them: the first training shard (so training can
/// start), then enough test shards for `test_records`, then enough further training shards for
/// `train_records` (`None`: all of a split).
pub fn fetch_plan(
    manifest: &Manifest,
    train_records: Option<usize>,
    test_records: Option<usize>,
) -> Vec<ShardEntry> {
    let take = |split: Split, wanted: Option<usize>| {
        let mut have = 0;
        manifest
            .shards
            .iter()
            .filter(move |s| s.split == split)
            .take_while(move |s| {
                let more = wanted.is_none_or(|n| have < n);
                have += s.records;
                more
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut train = take(Split::Train, train_records).into_iter();
    let mut plan: Vec<ShardEntry> = train.next().into_iter().collect();
    plan.extend(take(Split::Test, test_records));
    plan.extend(train);
    plan
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a downloaded shard against its entry (length, then hash) and parses its records.
pub fn verify_shard(entry: &ShardEntry, bytes: &[u8]) -> Result<Vec<CifarRecord>, ShardError> {
    // Saturating: a count no manifest check bounded must not wrap on 32-bit wasm.
    let expected = entry.records.saturating_mul(RECORD_BYTES);
    if bytes.len() != expected {
        return Err(ShardError::Length {
            file: entry.file.clone(),
            len: bytes.len(),
            records: entry.records,
            expected,
        });
    }
    let actual = sha256_hex(bytes);
    if !actual.eq_ignore_ascii_case(&entry.sha256) {
        return Err(ShardError::Hash {
            file: entry.file.clone(),
            expected: entry.sha256.clone(),
            actual,
        });
    }
    parse_records(bytes, &entry.file).map_err(|e| ShardError::Records {
        file: entry.file.clone(),
        reason: e.to_string(),
    })
}

/// Records back to the official binary layout.
pub fn records_to_bytes(records: &[CifarRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * RECORD_BYTES);
    for record in records {
        out.push(record.label);
        out.extend_from_slice(&record.pixels[..]);
    }
    out
}

/// Splits each split's records into shards of at most `per_shard` records, in order.
/// Returns the manifest and the files (name, bytes) it lists.
pub fn make_shards(
    splits: &[(Split, &[CifarRecord])],
    per_shard: usize,
) -> (Manifest, Vec<(String, Vec<u8>)>) {
    let per_shard = per_shard.max(1);
    let mut shards = Vec::new();
    let mut files = Vec::new();
    for &(split, records) in splits {
        let prefix = match split {
            Split::Train => "train",
            Split::Test => "test",
        };
        for (i, chunk) in records.chunks(per_shard).enumerate() {
            let file = format!("{prefix}-{i:03}.bin");
            let bytes = records_to_bytes(chunk);
            shards.push(ShardEntry {
                file: file.clone(),
                split,
                records: chunk.len(),
                sha256: sha256_hex(&bytes),
            });
            files.push((file, bytes));
        }
    }
    let manifest = Manifest {
        format_version: MANIFEST_VERSION,
        dataset: "CIFAR-10".into(),
        class_names: CLASS_NAMES.iter().map(|c| c.to_string()).collect(),
        shards,
    };
    (manifest, files)
}
