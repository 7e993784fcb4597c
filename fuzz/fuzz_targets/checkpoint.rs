//! Any bytes as a training checkpoint to resume: a trainer or a typed error, never a panic.
#![no_main]

use burn::tensor::Device;
use libfuzzer_sys::fuzz_target;
use pinhole_compute::train::Trainer;

fuzz_target!(|bytes: &[u8]| {
    let _ = Trainer::resume(bytes, "fuzz.ckpt", 1000, &Device::flex().autodiff());
});
