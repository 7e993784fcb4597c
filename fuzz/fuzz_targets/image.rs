//! Any bytes through the page's and the CLI's image path: a model input or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(input) = pinhole_compute::vision::preprocess(bytes, "fuzz.png") {
        assert_eq!(input.pixels.len(), pinhole_compute::data::IMAGE_BYTES);
    }
});
