//! The LibTorch backend (`--features libtorch`, run with `scripts/libtorch.sh`'s environment)
//! trains the same network as flex: from one checkpoint, an epoch of real records takes the same
//! steps on both, within float rounding.
#![cfg(feature = "libtorch")]
#![allow(deprecated)] // burn-tch is deprecated upstream; see `Backend::Libtorch` in the CLI.

mod common;

use burn::tensor::Device;
use pinhole_compute::data::CifarRecord;
use pinhole_compute::model::Preset;
use pinhole_compute::train::{TrainConfig, Trainer};

/// Per-step losses and the test logits after one epoch of `train` resumed from `checkpoint` on
/// `device` (`inference`: the same backend without autodiff).
fn epoch_from(
    checkpoint: &[u8],
    train: &[CifarRecord],
    device: &Device,
    inference: &Device,
) -> (Vec<f32>, Vec<f32>) {
    let mut trainer = Trainer::resume(checkpoint, "start.ckpt", train.len(), device).unwrap();
    let mut losses = Vec::new();
    trainer.epoch(0, train, |step| losses.push(step.loss));
    let logits = trainer
        .inference_model()
        .forward(common::test_images(8, inference))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    (losses, logits)
}

#[test]
fn libtorch_takes_the_same_training_steps_as_flex() {
    let train = common::records("data_batch_1.bin", 256);
    let mut config = TrainConfig::new(Preset::Fast);
    config.epochs = 1;
    config.batch_size = 64;
    config.seed = 5;
    let start = Trainer::new(config, &train, &Device::flex().autodiff())
        .checkpoint()
        .unwrap();

    let (flex_losses, flex_logits) =
        epoch_from(&start, &train, &Device::flex().autodiff(), &Device::flex());
    let (torch_losses, torch_logits) = epoch_from(
        &start,
        &train,
        &Device::libtorch().autodiff(),
        &Device::libtorch(),
    );

    assert_eq!(flex_losses.len(), 4);
    assert_eq!(torch_losses.len(), 4);
    assert_eq!(torch_logits.len(), flex_logits.len());
    for (flex, torch) in flex_losses.iter().zip(&torch_losses) {
        assert!(
            (flex - torch).abs() < 1e-3,
            "losses {flex_losses:?} vs {torch_losses:?}"
        );
    }
    // The steps moved the network: the losses are not all the same.
    assert!(
        (flex_losses[0] - flex_losses[3]).abs() > 1e-3,
        "{flex_losses:?}"
    );
    let largest = flex_logits.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (flex, torch) in flex_logits.iter().zip(&torch_logits) {
        assert!(
            (flex - torch).abs() < 1e-3 * largest.max(1.0),
            "logits {flex_logits:?} vs {torch_logits:?}"
        );
    }
}
