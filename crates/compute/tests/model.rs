//! The network on real CIFAR-10 records: shapes, sizes, and that training lowers the loss.

mod common;

use std::sync::{Mutex, MutexGuard};

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, SgdConfig, momentum::MomentumConfig};
use burn::tensor::Device;
use pinhole_compute::model::{
    Classifier, Precision, Preset, load_weights, save_weights, save_weights_as,
};

/// Burn's seed is global: tests that draw random numbers run one at a time so that a seeded
/// initialisation is not interleaved with another test's draws.
fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn every_preset_maps_a_batch_to_ten_logits() {
    let _rng = rng_lock();
    let device = Device::flex();
    let images = common::test_images(3, &device);
    for preset in Preset::ALL {
        let model = Classifier::new(preset, &device);
        assert_eq!(model.preset(), preset);
        let logits = model.forward(images.clone());
        assert_eq!(logits.dims(), [3, 10], "{preset}");
        let values = logits.into_data().try_to_vec::<f32>().unwrap();
        assert!(values.iter().all(|v| v.is_finite()), "{preset}: {values:?}");
    }
}

#[test]
fn parameter_counts_match_the_design_table_within_five_percent() {
    let _rng = rng_lock();
    let device = Device::flex();
    for (preset, design) in [
        (Preset::Fast, 570_000.0),
        (Preset::Full, 2_000_000.0),
        (Preset::Baseline, 160_000.0),
    ] {
        let params = Classifier::new(preset, &device).num_params() as f64;
        let off = (params - design).abs() / design;
        assert!(
            off < 0.05,
            "{preset}: {params} parameters, design says ≈{design}"
        );
    }
}

#[test]
fn a_few_sgd_steps_on_real_records_lower_the_loss() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    device.seed(7);
    let (images, labels) = common::training_batch(96, &device);
    let loss_fn = CrossEntropyLossConfig::new().init(&device);

    // The plain CNN (no batch-norm) learns more slowly: a higher rate and more steps.
    for (preset, lr, steps) in [(Preset::Fast, 0.05, 8), (Preset::Baseline, 0.1, 24)] {
        let mut model = Classifier::new(preset, &device);
        let mut optim = SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_nesterov(true)
                    .with_dampening(0.0),
            ))
            .init();
        let mut losses = Vec::new();
        for _ in 0..steps {
            let loss = loss_fn.forward(model.forward(images.clone()), labels.clone());
            losses.push(loss.clone().into_scalar::<f32>());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let (first, last) = (losses[0], *losses.last().unwrap());
        assert!(
            last < 0.9 * first,
            "{preset}: loss went {first} → {last} ({losses:?})"
        );
    }
}

#[test]
fn weights_round_trip_and_reject_wrong_files() {
    let _rng = rng_lock();
    let device = Device::flex();
    let images = common::test_images(2, &device);
    let model = Classifier::new(Preset::Baseline, &device);
    let before = model.forward(images.clone()).into_data();
    let bytes = save_weights(model).unwrap();

    let loaded = load_weights(&bytes, "baseline.bin", &device).unwrap();
    assert_eq!(loaded.preset(), Preset::Baseline);
    loaded
        .forward(images)
        .into_data()
        .assert_approx_eq::<f32>(&before, burn::tensor::Tolerance::absolute(1e-6));

    let err = load_weights(b"not weights at all", "junk.bin", &device).unwrap_err();
    assert!(err.to_string().contains("junk.bin"), "{err}");
    let err = load_weights(&bytes[..bytes.len() / 2], "half.bin", &device).unwrap_err();
    assert!(err.to_string().contains("half.bin"), "{err}");
}

#[test]
fn a_half_precision_file_is_half_the_size_and_classifies_real_records_alike() {
    let _rng = rng_lock();
    let device = Device::flex();
    let bytes = std::fs::read(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/weights/fast.bin"
    ))
    .unwrap();
    // The shipped file is already f16: one SGD step on real records moves its weights off the
    // f16 grid, as a network trained in f32 (in the tab, or by `pinhole train`) is.
    let training = device.clone().autodiff();
    let model = load_weights(&bytes, "weights/fast.bin", &training).unwrap();
    let (images, labels) = common::training_batch(64, &training);
    let loss = CrossEntropyLossConfig::new()
        .init(&training)
        .forward(model.forward(images), labels);
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let model = SgdConfig::new().init().step(0.01, model, grads).valid();

    let full = save_weights_as(model.clone(), Precision::Full).unwrap();
    let half = save_weights_as(model, Precision::Half).unwrap();
    assert!(
        half.len() * 100 < full.len() * 55,
        "f16 file {} bytes, f32 {}",
        half.len(),
        full.len()
    );

    let images = common::test_images(200, &device);
    let logits = |bytes: &[u8]| {
        let model = load_weights(bytes, "fast.bin", &device).unwrap();
        let logits = model.forward(images.clone());
        let classes = logits
            .clone()
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .unwrap();
        (logits.into_data().try_to_vec::<f32>().unwrap(), classes)
    };
    let (exact, exact_classes) = logits(&full);
    let (halved, halved_classes) = logits(&half);
    let largest_change = exact
        .iter()
        .zip(&halved)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    let same = exact_classes
        .iter()
        .zip(&halved_classes)
        .filter(|(a, b)| a == b)
        .count();
    assert!(largest_change < 0.02, "a logit moved by {largest_change}");
    assert!(same >= 198, "{same} of 200 predictions unchanged");
    assert!(largest_change > 0.0, "the f16 file is not rounded at all");
}

#[test]
fn seeded_initialisation_is_reproducible() {
    let _rng = rng_lock();
    // The engine relies on this: an untrained model must be the same network on every backend.
    let device = Device::flex();
    let images = common::test_images(2, &device);
    let logits = |seed| {
        device.seed(seed);
        Classifier::new(Preset::Fast, &device)
            .forward(images.clone())
            .into_data()
    };
    let (a, b, c) = (logits(5), logits(5), logits(6));
    a.assert_approx_eq::<f32>(&b, burn::tensor::Tolerance::absolute(0.0));
    assert_ne!(a, c);
}

// The "Inside the CNN" view: the layer-by-layer trace ends in the model's own logits and its
// parameter counts add up to the model's.

#[test]
fn the_trace_ends_in_the_logits_and_counts_every_parameter() {
    let _rng = rng_lock();
    let device = Device::flex();
    let images = common::test_images(2, &device);
    for preset in Preset::ALL {
        let model = Classifier::new(preset, &device);
        let layers = model.trace(images.clone());
        let total: usize = layers.iter().map(|l| l.parameters).sum();
        assert_eq!(
            total,
            model.num_params(),
            "{preset}: the table misses a layer"
        );
        let last = layers.last().unwrap();
        assert_eq!(last.shape, vec![10], "{preset}");
        let traced = last
            .output
            .clone()
            .flatten::<2>(1, 3)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let logits = model
            .forward(images.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (a, b) in traced.iter().zip(&logits) {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{preset}: {a} vs {b}"
            );
        }
        assert_eq!(
            layers[0].shape,
            vec![3, 32, 32],
            "{preset}: the input comes first"
        );
    }
}

#[test]
fn the_shipped_fast_network_has_the_designed_shapes() {
    let _rng = rng_lock();
    let bytes = std::fs::read(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/weights/fast.bin"
    ))
    .unwrap();
    let device = Device::flex();
    let model = load_weights(&bytes, "weights/fast.bin", &device).unwrap();
    let layers = model.trace(common::test_images(1, &device));
    let shape = |name: &str| {
        layers
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no layer {name}"))
            .shape
            .clone()
    };
    // 32 → 31 (2×2 valid) → pooled 15 → 7 → 3 → head pool 1.
    assert_eq!(shape("whitening conv"), vec![24, 31, 31]);
    assert_eq!(shape("group 1 · max-pool"), vec![64, 15, 15]);
    assert_eq!(shape("group 2 · conv 2"), vec![128, 7, 7]);
    assert_eq!(shape("group 3 · GELU"), vec![128, 3, 3]);
    assert_eq!(shape("head max-pool"), vec![128, 1, 1]);
    let first = model.first_layer();
    assert_eq!(first.weights.dims(), [24, 3, 2, 2]);
}
