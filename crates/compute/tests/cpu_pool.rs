//! A CPU pool helper computes what the engine computes: it loads the network from the engine's
//! exported weights file (Pinhole's format), folds and packs it itself, and its shares of a
//! batch, joined in order, are the whole batch's logits bit for bit (so a batch gives the same
//! figures on 1, 2 or more workers).

mod common;

use burn::tensor::{Device, Distribution, Tensor};
use pinhole_compute::data::{IMAGE_BYTES, IMAGE_SIDE};
use pinhole_compute::model::class_names::cifar_class_names;
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{
    Classifier, FoldedClassifier, PackedAirbench, Precision, Preset, load_any_network,
    load_weights, save_network_as,
};
use pinhole_compute::train::{class_probabilities, image_probabilities_async};
use pinhole_core::protocol::split_batch;

fn packed(model: &Classifier, device: &Device) -> PackedAirbench {
    let folded = FoldedClassifier::fold(model, device, device);
    folded.pack().expect("an airbench network packs").unwrap()
}

fn logits(network: &PackedAirbench, images: &[u8]) -> Vec<f32> {
    network.logits(&Activations::from_planar_rgb(
        images.chunks_exact(IMAGE_BYTES),
        IMAGE_SIDE,
    ))
}

#[test]
fn a_helpers_copy_of_the_network_gives_the_engines_logits_bit_for_bit() {
    let device = Device::flex();
    let records = common::records("test_batch.bin", 100);
    let images: Vec<u8> = records
        .iter()
        .flat_map(|r| r.pixels.iter().copied())
        .collect();
    for preset in [Preset::Fast, Preset::Full] {
        let path = format!(
            "{}/weights/{preset}.bin",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
        );
        let model = load_weights(&std::fs::read(&path).unwrap(), &path, &device).unwrap();
        let engine = packed(&model, &device);
        // What the pool sends a helper, and what the helper makes of it.
        let file = save_network_as(model.clone(), &cifar_class_names(), Precision::Full).unwrap();
        let copy = load_any_network(&file, "copy.bin", &device).unwrap();
        assert_eq!(copy.classes, cifar_class_names());
        let helper = packed(&copy.model, &device);

        let whole = logits(&engine, &images);
        assert_eq!(whole.len(), 100 * 10);
        for workers in [2, 3, 4, 7] {
            let mut joined = Vec::new();
            for (i, range) in split_batch(100, workers).into_iter().enumerate() {
                let slice = &images[range.start * IMAGE_BYTES..range.end * IMAGE_BYTES];
                // The engine takes the first slice, helpers the rest.
                joined.extend(logits(if i == 0 { &engine } else { &helper }, slice));
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&joined), bits(&whole), "{preset} on {workers} workers");
        }
    }
}

/// Teach on the CPU pool: the helpers hold the classifier's network, which may be a head taught
/// on the backbone; its features are the backbone's bit for bit, and split across workers
/// they join to the whole batch's. Another network's features are refused.
#[test]
fn a_head_taught_on_the_backbone_keeps_its_features_and_they_split_bit_for_bit() {
    let device = Device::flex();
    let records = common::records("test_batch.bin", 60);
    let images: Vec<u8> = records
        .iter()
        .flat_map(|r| r.pixels.iter().copied())
        .collect();
    let path = format!(
        "{}/weights/full.bin",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let backbone = load_weights(&std::fs::read(&path).unwrap(), &path, &device).unwrap();
    let engine = packed(&backbone, &device);
    // The taught network as the page keeps it and a helper loads it.
    device.seed(5);
    let head = Tensor::<2>::random(
        [backbone.num_features(), 3],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let names: Vec<String> = ["mug", "pen", "cat"].map(String::from).to_vec();
    let file = save_network_as(backbone.clone().with_head(head), &names, Precision::Full).unwrap();
    let helper = packed(
        &load_any_network(&file, "taught.bin", &device)
            .unwrap()
            .model,
        &device,
    );
    assert_eq!(helper.classes(), 3);
    assert!(helper.same_features_as(&engine));

    let features = |network: &PackedAirbench, images: &[u8]| {
        network.features(&Activations::from_planar_rgb(
            images.chunks_exact(IMAGE_BYTES),
            IMAGE_SIDE,
        ))
    };
    let whole = features(&engine, &images);
    assert_eq!(whole.len(), 60 * engine.feature_width());
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for workers in [2, 3] {
        let mut joined = Vec::new();
        for (i, range) in split_batch(60, workers).into_iter().enumerate() {
            let slice = &images[range.start * IMAGE_BYTES..range.end * IMAGE_BYTES];
            joined.extend(features(if i == 0 { &engine } else { &helper }, slice));
        }
        assert_eq!(bits(&joined), bits(&whole), "features on {workers} workers");
    }

    let path = format!(
        "{}/weights/fast.bin",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let other = load_weights(&std::fs::read(&path).unwrap(), &path, &device).unwrap();
    assert!(!packed(&other, &device).same_features_as(&engine));
}

#[test]
fn a_helpers_copy_gives_the_engines_evaluation_probabilities_bit_for_bit() {
    // An evaluation hands each worker whole batches of 50 (evaluation.rs): the helper's batch,
    // computed from bare images by its copy, must be the engine's batch of the same records.
    let device = Device::flex();
    let records = common::records("test_batch.bin", 50);
    let path = format!(
        "{}/weights/fast.bin",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    let model = load_weights(&std::fs::read(&path).unwrap(), &path, &device).unwrap();
    let file = save_network_as(model.clone(), &cifar_class_names(), Precision::Full).unwrap();
    let copy = load_any_network(&file, "copy.bin", &device).unwrap().model;
    let bits = |rows: &[[f32; 10]]| {
        rows.iter()
            .flatten()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>()
    };
    for tta in [false, true] {
        let engine = class_probabilities(&model, &records, 50, tta, &device).unwrap();
        let mut helper_plain = Vec::new();
        let mut helper_tta = Vec::new();
        for batch in records.chunks(50) {
            let part = futures::executor::block_on(image_probabilities_async(
                &copy,
                batch.iter().map(|r| &*r.pixels),
                tta,
                &device,
            ))
            .unwrap();
            helper_plain.extend(part.plain);
            helper_tta.extend(part.tta.unwrap_or_default());
        }
        assert_eq!(bits(&helper_plain), bits(&engine.plain), "plain, tta {tta}");
        assert_eq!(
            bits(&helper_tta),
            bits(&engine.tta.unwrap_or_default()),
            "TTA"
        );
    }
}
