//! The inference form of a network (norms and normalisation folded into its convolutions, the
//! one-pass GELU) gives the logits of the network it was folded from, on real CIFAR-10 records;
//! so does its packed CPU form (channels-last, Winograd convolutions, `model::packed`).

mod common;

use burn::module::Param;
use burn::tensor::{Device, Tensor};
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{Classifier, FoldedClassifier, Preset, load_weights, read_floats};

/// How far the folded and packed logits may be from the network's, relative to the logits' scale:
/// f32 rounding in another order (measured 0.9e-6 to 1.9e-6 on the shipped networks; the bound
/// leaves 5× for other CPUs' summation order). docs/benchmarks.md states the same bound.
const BOUND: f32 = 1e-5;

/// Largest |Δ| between two sets of logits over the logits' own largest magnitude.
fn relative_gap(expected: &[f32], got: &[f32]) -> f32 {
    assert_eq!(expected.len(), got.len());
    assert!(expected.iter().chain(got).all(|v| v.is_finite()));
    let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(scale > 1e-3, "the logits are too small to compare: {scale}");
    let gap = expected
        .iter()
        .zip(got)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    gap / scale
}

fn logits(model: &Classifier, device: &Device) -> (Vec<f32>, Vec<f32>) {
    let images = common::test_images(100, device);
    let folded = FoldedClassifier::fold(model, device, device);
    let block = futures::executor::block_on;
    let expected = block(read_floats(model.forward(images.clone()), "unfolded")).unwrap();
    let got = block(read_floats(folded.forward(images.clone()), "folded")).unwrap();
    // The packed form of the same fold, on the same 100 records.
    let packed = folded.pack().expect("an airbench network packs").unwrap();
    let shape = images.dims();
    let pixels = futures::executor::block_on(read_floats(images, "images")).unwrap();
    let packed_logits = packed.logits(&Activations::from_nchw(&pixels, shape));
    let gap = relative_gap(&expected, &packed_logits);
    println!("packed logits within {gap:e} of the network's (relative)");
    assert!(gap <= BOUND, "packed: relative gap {gap:e}");
    (expected, got)
}

/// Baselines have no packed form: Burn runs them.
fn folded_logits(model: &Classifier, device: &Device) -> (Vec<f32>, Vec<f32>) {
    let images = common::test_images(100, device);
    let folded = FoldedClassifier::fold(model, device, device);
    assert!(folded.pack().is_none());
    let block = futures::executor::block_on;
    let expected = block(read_floats(model.forward(images.clone()), "unfolded")).unwrap();
    let got = block(read_floats(folded.forward(images), "folded")).unwrap();
    (expected, got)
}

fn shipped(preset: Preset, device: &Device) -> Classifier {
    let path = format!(
        "{}/weights/{preset}.bin",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    load_weights(&std::fs::read(&path).unwrap(), &path, device).unwrap()
}

#[test]
fn the_shipped_networks_fold_to_the_same_logits() {
    let device = Device::flex();
    for preset in [Preset::Fast, Preset::Full] {
        let (expected, got) = logits(&shipped(preset, &device), &device);
        let gap = relative_gap(&expected, &got);
        println!("{preset}: folded logits within {gap:e} of the network's (relative)");
        assert!(gap <= BOUND, "{preset}: relative gap {gap:e}");
        // The same predictions, record by record.
        let argmax = |l: &[f32]| {
            l.chunks(10)
                .map(|c| (0..10).max_by(|&a, &b| c[a].total_cmp(&c[b])).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(argmax(&expected), argmax(&got));
    }
}

#[test]
fn an_untrained_baseline_folds_to_the_same_logits() {
    let device = Device::flex();
    device.seed(7);
    let model = Classifier::new(Preset::Baseline, &device);
    let (expected, got) = folded_logits(&model, &device);
    let gap = relative_gap(&expected, &got);
    assert!(gap <= BOUND, "baseline: relative gap {gap:e}");
}

#[test]
fn a_norm_with_negative_scales_before_a_max_pool_still_folds_exactly() {
    // Max-pool commutes with a positive scale only: channels whose γ is negative must keep
    // their sign after the pool. Flip γ of every other channel of each group's first norm.
    let device = Device::flex();
    let Classifier::Airbench(mut net) = shipped(Preset::Fast, &device) else {
        unreachable!("fast is an airbench network")
    };
    for group in &mut net.groups {
        let channels = group.norm1.gamma.dims()[0];
        let signs: Vec<f32> = (0..channels)
            .map(|c| if c % 2 == 0 { -1.5 } else { 0.7 })
            .collect();
        let gamma = group.norm1.gamma.val() * Tensor::<1>::from_floats(signs.as_slice(), &device);
        group.norm1.gamma = Param::from_tensor(gamma);
    }
    let model = Classifier::Airbench(net);
    let (expected, got) = logits(&model, &device);
    let gap = relative_gap(&expected, &got);
    assert!(gap <= BOUND, "negative scales: relative gap {gap:e}");
    // Folding the norm before the pool regardless of sign would be wrong: check the test can
    // tell, by comparing against the network with all scales positive.
    let positive = shipped(Preset::Fast, &device);
    let (other, _) = logits(&positive, &device);
    assert!(relative_gap(&other, &got) > 1e-2);
}

#[test]
fn a_folded_network_keeps_a_taught_head() {
    let device = Device::flex();
    let model = shipped(Preset::Full, &device);
    let features = model.num_features();
    device.seed(3);
    let head = Tensor::<2>::random(
        [features, 4],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let model = model.with_head(head);
    let (expected, got) = logits(&model, &device);
    assert_eq!(got.len(), 400);
    let gap = relative_gap(&expected, &got);
    assert!(gap <= BOUND, "taught head: relative gap {gap:e}");
    let folded = FoldedClassifier::fold(&model, &device, &device);
    let images = common::test_images(8, &device);
    let block = futures::executor::block_on;
    let a = block(read_floats(model.features(images.clone()), "features")).unwrap();
    let shape = images.dims();
    let pixels = futures::executor::block_on(read_floats(images.clone(), "images")).unwrap();
    let b = block(read_floats(folded.features(images), "folded features")).unwrap();
    assert!(relative_gap(&a, &b) <= BOUND);
    let packed = folded.pack().unwrap().unwrap();
    assert_eq!(packed.classes(), 4);
    let c = packed.features(&Activations::from_nchw(&pixels, shape));
    assert!(relative_gap(&a, &c) <= BOUND);
}
