//! Largest files the page reads from a visitor's disk, checked by the UI before a byte is read
//! (and by the engine's readers again). Each names why it is that size.

/// An image to classify or explain: a 50-megapixel photo is 10–30 MB as JPEG and up to about
/// 150 MB as an uncompressed PNG; decoding is capped separately (`vision::MAX_IMAGE_PIXELS`).
pub const MAX_IMAGE_FILE_BYTES: u64 = 160 << 20;
/// A weights file: the shipped `full` is 4 MB in f16 and 8 MB in f32, so 64 MB leaves room for
/// larger networks and refuses a wrong file (a video, a dataset) at once.
pub const MAX_WEIGHTS_FILE_BYTES: u64 = 64 << 20;
/// One dropped dataset file: the official `cifar-10-binary.tar.gz` is 163 MB and each
/// `data_batch_*.bin` 30.7 MB.
pub const MAX_DATA_FILE_BYTES: u64 = 256 << 20;

/// A size in words for messages ("163.0 MB").
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Why a file of `size` bytes is refused as a `what` (e.g. "an image"), or `None` if it fits.
pub fn too_large(name: &str, size: u64, limit: u64, what: &str) -> Option<String> {
    (size > limit).then(|| {
        format!(
            "{name}: {} is more than the {} {what} may have here",
            megabytes(size),
            megabytes(limit)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_its_limit_is_named_with_both_sizes() {
        assert_eq!(
            too_large("cat.png", 10, MAX_IMAGE_FILE_BYTES, "an image"),
            None
        );
        let message = too_large("huge.png", 200 << 20, MAX_IMAGE_FILE_BYTES, "an image").unwrap();
        assert_eq!(
            message,
            "huge.png: 209.7 MB is more than the 167.8 MB an image may have here"
        );
    }
}
