//! Weights out of and back into the app: `.safetensors` with the preset and classes in its
//! metadata, Pinhole's own format, asynchronous device copies, and clear errors for bad files.

mod common;

use std::sync::{Mutex, MutexGuard};

use burn::module::Module;
use burn::tensor::{Device, TensorData};
use pinhole_compute::model::{
    Classifier, Preset, WeightsError, load_any_weights, save_safetensors, save_weights,
    to_device_async,
};

fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn logits(model: &Classifier) -> TensorData {
    model
        .forward(common::test_images(4, &Device::flex()))
        .into_data()
}

/// The first batch norm's running mean and variance (the baseline has no batch norm).
fn running_statistics(model: &Classifier) -> Option<(Vec<f32>, Vec<f32>)> {
    let Classifier::Airbench(net) = model else {
        return None;
    };
    let norm = &net.groups[0].norm1;
    let read = |t: burn::tensor::Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap();
    Some((
        read(norm.running_mean.value()),
        read(norm.running_var.value()),
    ))
}

/// A network whose batch-norm statistics have moved away from their defaults, so a format that
/// lost them would change the logits.
fn trained_a_little(preset: Preset) -> Classifier {
    let device = Device::flex().autodiff();
    device.seed(11);
    let fresh = Classifier::new(preset, &device);
    let before = running_statistics(&fresh);
    // Forward passes on an autodiff device are training mode: they update the running
    // statistics (on a plain device they would not).
    let model = fresh.train();
    for _ in 0..2 {
        let _ = model.forward(common::test_images(16, &device));
    }
    let model = model.valid();
    if let (Some((mean0, var0)), Some((mean, var))) = (before, running_statistics(&model)) {
        assert!(mean0.iter().all(|&m| m == 0.0) && var0.iter().all(|&v| v == 1.0));
        assert!(mean.iter().any(|&m| m != 0.0), "the running mean moved");
        assert!(var.iter().any(|&v| v != 1.0), "the running variance moved");
    }
    model
}

#[test]
fn running_statistics_survive_both_formats() {
    let _rng = rng_lock();
    let model = trained_a_little(Preset::Fast);
    let expected = running_statistics(&model).unwrap();
    let safetensors = save_safetensors(&model).unwrap();
    let pinhole = save_weights(model).unwrap();
    for (bytes, name) in [(safetensors, "m.safetensors"), (pinhole, "m.bin")] {
        let loaded = load_any_weights(&bytes, name, &Device::flex()).unwrap();
        assert_eq!(running_statistics(&loaded).unwrap(), expected, "{name}");
    }
}

#[test]
fn safetensors_round_trip_keeps_every_logit() {
    let _rng = rng_lock();
    for preset in [Preset::Fast, Preset::Baseline] {
        let model = trained_a_little(preset);
        let bytes = save_safetensors(&model).unwrap();
        let loaded = load_any_weights(&bytes, "model.safetensors", &Device::flex()).unwrap();
        assert_eq!(loaded.preset(), preset);
        assert_eq!(logits(&loaded), logits(&model), "{preset}");
    }
}

#[test]
fn both_formats_load_through_one_entry_point() {
    let _rng = rng_lock();
    let model = trained_a_little(Preset::Fast);
    let pinhole = save_weights(model.clone()).unwrap();
    let loaded = load_any_weights(&pinhole, "fast.bin", &Device::flex()).unwrap();
    assert_eq!(logits(&loaded), logits(&model));
}

#[test]
fn bad_weights_files_get_typed_errors_naming_the_file() {
    let _rng = rng_lock();
    let device = Device::flex();
    let bytes = save_safetensors(&trained_a_little(Preset::Fast)).unwrap();

    let cut = load_any_weights(&bytes[..bytes.len() / 2], "cut.safetensors", &device);
    assert!(
        matches!(
            cut,
            Err(WeightsError::Mismatch { .. } | WeightsError::Truncated { .. })
        ),
        "{cut:?}"
    );
    assert!(cut.err().unwrap().to_string().contains("cut.safetensors"));

    let garbage = load_any_weights(b"these bytes are not weights at all", "junk.bin", &device);
    assert!(
        matches!(garbage, Err(WeightsError::NotWeights { .. })),
        "{garbage:?}"
    );
    assert!(garbage.err().unwrap().to_string().contains("junk.bin"));

    // A file that says `full` but holds `fast` tensors: the shapes do not fit.
    // Same length, so the header's size is unchanged.
    let (from, to) = (
        &b"\"pinhole.preset\":\"fast\""[..],
        &b"\"pinhole.preset\":\"full\""[..],
    );
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the preset is in the metadata");
    let mut relabelled = bytes.clone();
    relabelled[at..at + to.len()].copy_from_slice(to);
    let relabelled = load_any_weights(&relabelled, "relabelled.safetensors", &device);
    match relabelled {
        Err(WeightsError::Mismatch {
            preset, ref name, ..
        }) => {
            assert_eq!(preset, Preset::Full);
            assert_eq!(name, "relabelled.safetensors");
        }
        other => panic!("expected a preset mismatch, got {other:?}"),
    }
}

#[test]
fn an_async_device_copy_equals_the_original() {
    let _rng = rng_lock();
    let model = trained_a_little(Preset::Fast);
    let copy = futures::executor::block_on(to_device_async(&model, &Device::flex())).unwrap();
    assert_eq!(logits(&copy), logits(&model));
    assert_eq!(copy.num_params(), model.num_params());
}
