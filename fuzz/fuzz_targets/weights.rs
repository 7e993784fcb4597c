//! Any bytes as a weights file (Pinhole's own format or .safetensors): a network or a typed error.
#![no_main]

use burn::tensor::Device;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = pinhole_compute::model::load_any_weights(bytes, "fuzz.bin", &Device::flex());
});
