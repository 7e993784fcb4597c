//! CIFAR-10 records from a `.bin` file or a folder of them.

use std::path::Path;

use pinhole::data::{CifarRecord, load_records_file};

/// A single `.bin`, or every `*.bin` in a folder whose name says test (`test_batch.bin`), or
/// all of them when `all` is set.
pub fn load(path: &Path, test_only: bool) -> Result<Vec<CifarRecord>, String> {
    if path.is_file() {
        return load_records_file(path).map_err(|e| e.to_string());
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .filter(|p| !test_only || p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("test")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no CIFAR-10 .bin files there", path.display()));
    }
    let mut records = Vec::new();
    for file in files {
        records.extend(load_records_file(&file).map_err(|e| e.to_string())?);
    }
    Ok(records)
}
