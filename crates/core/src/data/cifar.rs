//! The CIFAR-10 binary record: one label byte, then 1,024 red, 1,024 green and 1,024 blue bytes.

use std::path::Path;

/// Side of a CIFAR-10 image in pixels.
pub const IMAGE_SIDE: usize = 32;
/// Pixel bytes of one record (planar RGB).
pub const IMAGE_BYTES: usize = 3 * IMAGE_SIDE * IMAGE_SIDE;
/// Bytes of one record: the label byte and the pixels.
pub const RECORD_BYTES: usize = 1 + IMAGE_BYTES;
/// Number of classes.
pub const NUM_CLASSES: usize = 10;
/// Class names in label order (`batches.meta.txt`).
pub const CLASS_NAMES: [&str; NUM_CLASSES] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// Which of the official files to read (and, in a shard manifest, which split a shard holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// `data_batch_*.bin`
    Train,
    /// `test_batch*.bin`
    Test,
}

impl Split {
    /// The official files' name prefix: `data_batch` or `test_batch`.
    pub fn prefix(self) -> &'static str {
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

/// One labelled 32×32 image, pixels planar RGB as in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CifarRecord {
    pub label: u8,
    pub pixels: Box<[u8; IMAGE_BYTES]>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "{source_name}: {len} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 records (truncated or not CIFAR-10 binary)"
    )]
    Truncated { source_name: String, len: usize },
    #[error("{source_name}: record {index} has label {label}, but CIFAR-10 labels are 0-9")]
    BadLabel {
        source_name: String,
        index: usize,
        label: u8,
    },
    #[error("{source_name}: holds no records")]
    Empty { source_name: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Parses a buffer of whole records; `source_name` names the input in errors.
pub fn parse_records(bytes: &[u8], source_name: &str) -> Result<Vec<CifarRecord>, RecordError> {
    if bytes.is_empty() {
        return Err(RecordError::Empty {
            source_name: source_name.into(),
        });
    }
    if !bytes.len().is_multiple_of(RECORD_BYTES) {
        return Err(RecordError::Truncated {
            source_name: source_name.into(),
            len: bytes.len(),
        });
    }
    bytes
        .chunks_exact(RECORD_BYTES)
        .enumerate()
        .map(|(index, chunk)| {
            let label = chunk[0];
            if label as usize >= NUM_CLASSES {
                return Err(RecordError::BadLabel {
                    source_name: source_name.into(),
                    index,
                    label,
                });
            }
            let mut pixels = Box::new([0u8; IMAGE_BYTES]);
            pixels.copy_from_slice(&chunk[1..]);
            Ok(CifarRecord { label, pixels })
        })
        .collect()
}

/// Reads every record of one `.bin` file.
pub fn load_records_file(path: &Path) -> Result<Vec<CifarRecord>, RecordError> {
    let bytes = std::fs::read(path).map_err(|source| RecordError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_records(&bytes, &path.display().to_string())
}

impl CifarRecord {
    /// Interleaved RGB bytes (row-major, 3 per pixel), as image encoders want them.
    pub fn to_rgb_interleaved(&self) -> Vec<u8> {
        interleave(&self.pixels, None)
    }
}

/// Planar RGB (as in the file) → row-major interleaved pixels, with `alpha` as a fourth byte
/// per pixel when given (RGBA, as a canvas wants it).
pub fn interleave(planar: &[u8; IMAGE_BYTES], alpha: Option<u8>) -> Vec<u8> {
    let plane = IMAGE_SIDE * IMAGE_SIDE;
    let mut out = Vec::with_capacity(plane * if alpha.is_some() { 4 } else { 3 });
    for i in 0..plane {
        out.extend_from_slice(&[planar[i], planar[plane + i], planar[2 * plane + i]]);
        out.extend(alpha);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_bytes(label: u8, fill: u8) -> Vec<u8> {
        let mut bytes = vec![label];
        bytes.extend(std::iter::repeat_n(fill, IMAGE_BYTES));
        bytes
    }

    #[test]
    fn parses_whole_records_in_order() {
        let mut bytes = record_bytes(3, 7);
        bytes.extend(record_bytes(9, 200));
        let records = parse_records(&bytes, "two.bin").unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].label, 3);
        assert_eq!(records[1].label, 9);
        assert!(records[1].pixels.iter().all(|&p| p == 200));
    }

    #[test]
    fn truncated_buffer_is_a_typed_error_naming_the_input() {
        let mut bytes = record_bytes(1, 0);
        bytes.pop();
        let err = parse_records(&bytes, "cut.bin").unwrap_err();
        assert!(matches!(err, RecordError::Truncated { len: 3072, .. }));
        assert!(err.to_string().contains("cut.bin"));
    }

    #[test]
    fn label_out_of_range_is_rejected() {
        let err = parse_records(&record_bytes(10, 0), "bad.bin").unwrap_err();
        assert!(matches!(err, RecordError::BadLabel { label: 10, .. }));
    }

    #[test]
    fn interleaves_planes() {
        let mut bytes = vec![0u8];
        bytes.extend(std::iter::repeat_n(10, 1024));
        bytes.extend(std::iter::repeat_n(20, 1024));
        bytes.extend(std::iter::repeat_n(30, 1024));
        let record = &parse_records(&bytes, "x").unwrap()[0];
        assert_eq!(&record.to_rgb_interleaved()[..6], &[10, 20, 30, 10, 20, 30]);
    }
}
