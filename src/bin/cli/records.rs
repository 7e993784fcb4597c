//! CIFAR-10 records from a `.bin` file or a folder of them.

use std::path::Path;

use pinhole::data::{CifarRecord, load_records_file};

/// Which files of a folder to read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// `data_batch_*.bin`
    Train,
    /// `test_batch*.bin`
    Test,
}

/// A single `.bin` file as it is, or the split's files in a folder.
pub fn load(path: &Path, split: Split) -> Result<Vec<CifarRecord>, String> {
    if path.is_file() {
        return load_records_file(path).map_err(|e| e.to_string());
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let prefix = match split {
        Split::Train => "data_batch",
        Split::Test => "test_batch",
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no {prefix}*.bin files there", path.display()));
    }
    let mut records = Vec::new();
    for file in files {
        records.extend(load_records_file(&file).map_err(|e| e.to_string())?);
    }
    Ok(records)
}
