//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use burn::tensor::{Device, Int, Tensor};
use pinhole_compute::data::{CifarRecord, images_to_tensor, labels_to_tensor, load_records_file};

/// `../shared/data/cifar10` beside the repository (CI has it there), or `CIFAR10_DATA`.
pub fn cifar_dir() -> PathBuf {
    std::env::var_os("CIFAR10_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("../shared/data/cifar10")
        })
}

/// The first `n` records of a CIFAR-10 file (e.g. `test_batch.bin`).
pub fn records(file: &str, n: usize) -> Vec<CifarRecord> {
    let path = cifar_dir().join(file);
    let mut records = load_records_file(&path)
        .unwrap_or_else(|e| panic!("the tests need CIFAR-10 at {}: {e}", path.display()));
    records.truncate(n);
    records
}

/// The first `n` test records as a `[n, 3, 32, 32]` tensor on `device`.
pub fn test_images(n: usize, device: &Device) -> Tensor<4> {
    let records = records("test_batch.bin", n);
    images_to_tensor(records.iter().map(|r| &*r.pixels), device)
}

/// The first `n` training records (`data_batch_1.bin`) as images and labels on `device`.
pub fn training_batch(n: usize, device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
    let records = records("data_batch_1.bin", n);
    let images = images_to_tensor(records.iter().map(|r| &*r.pixels), device);
    let labels = labels_to_tensor(records.iter().map(|r| r.label), device);
    (images, labels)
}
