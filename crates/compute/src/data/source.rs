//! Where records come from: a single `.bin` file, a folder of the official files, or the official
//! `cifar-10-binary.tar.gz` (read as a stream, never unpacked to disk).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::{CifarRecord, RECORD_BYTES, RecordError, Split, load_records_file, parse_records};

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
            let (more_train, more_test) = read_tarball_splits(bytes, name)?;
            for (split, records) in [(Split::Train, &more_train), (Split::Test, &more_test)] {
                if records.is_empty() {
                    return Err(SourceError::NoFiles {
                        path: name.into(),
                        prefix: split.prefix(),
                    });
                }
            }
            train.extend(more_train);
            test.extend(more_test);
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

/// Most bytes one record file in an archive may hold: twice the official files' 30,730,000
/// (10,000 records), so a header that claims gigabytes is refused before anything is allocated.
pub const MAX_RECORD_FILE_BYTES: u64 = 2 * 10_000 * RECORD_BYTES as u64;
/// Most bytes an archive may inflate to: the official one inflates to 184 MB, so a small
/// gzip bomb stops here rather than filling the tab's memory.
pub const MAX_INFLATED_BYTES: u64 = 256 * 1024 * 1024;

/// The split's records from a gzip-compressed tar stream (`name` names it in errors). Files are
/// taken in name order, whatever their order in the archive.
pub fn read_tarball(
    reader: impl Read,
    name: &str,
    split: Split,
) -> Result<Vec<CifarRecord>, SourceError> {
    let (train, test) = read_tarball_splits(reader, name)?;
    let records = match split {
        Split::Train => train,
        Split::Test => test,
    };
    if records.is_empty() {
        return Err(SourceError::NoFiles {
            path: name.into(),
            prefix: split.prefix(),
        });
    }
    Ok(records)
}

/// Both splits' records from one pass over a gzip-compressed tar stream: every gzip member is
/// read and its CRC checked (so a corrupted archive is refused, not loaded silently), no entry
/// may claim more than [`MAX_RECORD_FILE_BYTES`] and the whole stream inflates to at most
/// [`MAX_INFLATED_BYTES`].
pub fn read_tarball_splits(
    reader: impl Read,
    name: &str,
) -> Result<(Vec<CifarRecord>, Vec<CifarRecord>), SourceError> {
    let bad = |e: std::io::Error| SourceError::Tarball {
        name: name.into(),
        reason: e.to_string(),
    };
    let inflated = Bounded {
        inner: MultiGzDecoder::new(reader),
        left: MAX_INFLATED_BYTES,
    };
    let mut archive = tar::Archive::new(inflated);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.into_owned();
        let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let split = [Split::Train, Split::Test]
            .into_iter()
            .find(|split| split.holds(&file_name));
        let Some(split) = split.filter(|_| entry.header().entry_type().is_file()) else {
            continue;
        };
        let size = entry.size();
        if size > MAX_RECORD_FILE_BYTES {
            return Err(SourceError::Tarball {
                name: name.into(),
                reason: format!(
                    "{} claims {size} bytes; a record file holds at most {MAX_RECORD_FILE_BYTES}",
                    path.display()
                ),
            });
        }
        // The declared size is bounded above, and reading stops there whatever the stream holds.
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(size)
            .read_to_end(&mut bytes)
            .map_err(bad)?;
        files.push((split, path.display().to_string(), bytes));
    }
    // The tar ends before the gzip footer: read to the end so every member's CRC is checked.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink()).map_err(bad)?;
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (split, member, bytes) in files {
        let records = parse_records(&bytes, &format!("{name}:{member}"))?;
        match split {
            Split::Train => train.extend(records),
            Split::Test => test.extend(records),
        }
    }
    Ok((train, test))
}

/// A reader that fails (rather than ends) once more than `left` bytes have come through it.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!(
                "it inflates to over {MAX_INFLATED_BYTES} bytes, more than CIFAR-10's archive"
            ))
        })?;
        Ok(n)
    }
}
