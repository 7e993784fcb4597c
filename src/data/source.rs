//! Where records come from: a single `.bin` file, a folder of the official files, or the official
//! `cifar-10-binary.tar.gz` (read as a stream, never unpacked to disk).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use flate2::read::GzDecoder;

use super::cifar::{CifarRecord, RecordError, Split, load_records_file, parse_records};

impl Split {
    fn prefix(self) -> &'static str {
        match self {
            Split::Train => "data_batch",
            Split::Test => "test_batch",
        }
    }

    /// Whether a file (by its name, without folders) belongs to the split.
    pub fn holds(self, file_name: &str) -> bool {
        file_name.starts_with(self.prefix()) && file_name.ends_with(".bin")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: no {prefix}*.bin files there")]
    NoFiles { path: String, prefix: &'static str },
    #[error("{name}: not a readable tar.gz archive: {reason}")]
    Tarball { name: String, reason: String },
    #[error(
        "{name}: not CIFAR-10 data (expected cifar-10-binary.tar.gz, data_batch_*.bin or test_batch.bin)"
    )]
    UnknownFile { name: String },
}

/// The training and test records in files a visitor dropped into the page: the official
/// tarball and/or `.bin` files, split by name (`data_batch_*` train, `test_batch` tests).
pub fn split_dropped_files(
    files: &[(&str, &[u8])],
) -> Result<(Vec<CifarRecord>, Vec<CifarRecord>), SourceError> {
    let (mut train, mut test) = (Vec::new(), Vec::new());
    let mut bins: Vec<&(&str, &[u8])> = Vec::new();
    for file in files {
        let (name, bytes) = *file;
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            train.extend(read_tarball(bytes, name, Split::Train)?);
            test.extend(read_tarball(bytes, name, Split::Test)?);
        } else if Split::Train.holds(name) || Split::Test.holds(name) {
            bins.push(file);
        } else {
            return Err(SourceError::UnknownFile { name: name.into() });
        }
    }
    // data_batch_1 … 5 in order, whatever order they were dropped in.
    bins.sort_by_key(|(name, _)| *name);
    for (name, bytes) in bins {
        let records = parse_records(bytes, name)?;
        if Split::Test.holds(name) {
            test.extend(records);
        } else {
            train.extend(records);
        }
    }
    Ok((train, test))
}

/// The split's records from a `.bin` file (taken as it is), a folder, or a `.tar.gz`.
pub fn load_split(path: &Path, split: Split) -> Result<Vec<CifarRecord>, SourceError> {
    let name = path.display().to_string();
    let io = |source| SourceError::Io {
        path: name.clone(),
        source,
    };
    if path.is_dir() {
        return load_folder(path, split);
    }
    let mut file = File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let is_gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    if is_gzip {
        file.rewind().map_err(io)?;
        read_tarball(BufReader::new(file), &name, split)
    } else {
        Ok(load_records_file(path)?)
    }
}

fn load_folder(path: &Path, split: Split) -> Result<Vec<CifarRecord>, SourceError> {
    let name = path.display().to_string();
    let entries = std::fs::read_dir(path).map_err(|source| SourceError::Io {
        path: name.clone(),
        source,
    })?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| split.holds(&n.to_string_lossy()))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(SourceError::NoFiles {
            path: name,
            prefix: split.prefix(),
        });
    }
    let mut records = Vec::new();
    for file in files {
        records.extend(load_records_file(&file)?);
    }
    Ok(records)
}

/// The split's records from a gzip-compressed tar stream (`name` names it in errors). Files are
/// taken in name order, whatever their order in the archive.
pub fn read_tarball(
    reader: impl Read,
    name: &str,
    split: Split,
) -> Result<Vec<CifarRecord>, SourceError> {
    let bad = |e: std::io::Error| SourceError::Tarball {
        name: name.into(),
        reason: e.to_string(),
    };
    let mut archive = tar::Archive::new(GzDecoder::new(reader));
    let mut files = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.into_owned();
        let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if !entry.header().entry_type().is_file() || !split.holds(&file_name) {
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes).map_err(bad)?;
        files.push((path.display().to_string(), bytes));
    }
    if files.is_empty() {
        return Err(SourceError::NoFiles {
            path: name.into(),
            prefix: split.prefix(),
        });
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut records = Vec::new();
    for (member, bytes) in files {
        records.extend(parse_records(&bytes, &format!("{name}:{member}"))?);
    }
    Ok(records)
}
