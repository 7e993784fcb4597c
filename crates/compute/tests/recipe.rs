//! The recipe's named pieces (Dirac init, label smoothing, bias group, Lookahead, TTA) and
//! checkpoint/resume, on real CIFAR-10 records.

mod common;
#[path = "recipe/data_parallel.rs"]
mod data_parallel;

use std::sync::{Mutex, MutexGuard};

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData, Tolerance};
use pinhole_compute::data::{images_to_tensor, labels_to_tensor};
use pinhole_compute::model::{Classifier, Preset};
use pinhole_compute::train::{
    Lookahead, NesterovSgd, TrainConfig, Trainer, batch_norm_bias_ids, dirac_init, flip_horizontal,
    lookahead_decay, scale_gradients, translate_reflect,
};

/// Burn's seed is global; tests that initialise networks run one at a time.
fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn dirac_init_passes_the_first_channels_through() {
    let _rng = rng_lock();
    let device = Device::flex();
    let mut conv = Conv2dConfig::new([5, 8], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(&device);
    let id = conv.weight.id;
    dirac_init(&mut conv);
    assert_eq!(conv.weight.id, id, "the parameter keeps its id");
    let input = Tensor::<4>::random([2, 5, 6, 6], Distribution::Normal(0.0, 1.0), &device);
    let output = conv.forward(input.clone());
    output
        .clone()
        .narrow(1, 0, 5)
        .into_data()
        .assert_approx_eq::<f32>(&input.into_data(), Tolerance::absolute(1e-6));
    // The extra channels keep their random filters.
    let extra = output.narrow(1, 5, 3).abs().sum().into_scalar::<f32>();
    assert!(extra > 0.1, "channels 5..8 should not be zero: {extra}");
}

#[test]
fn label_smoothing_loss_matches_a_hand_computation() {
    let device = Device::flex();
    let logits = Tensor::<2>::from_floats([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]], &device);
    let labels = labels_to_tensor([0u8, 1], &device);
    let loss = CrossEntropyLossConfig::new()
        .with_smoothing(Some(0.2))
        .init(&device)
        .forward(logits, labels)
        .into_scalar::<f32>() as f64;
    // Target q = 0.8·onehot + 0.2/3 on every class; loss = −Σ q·log softmax, averaged.
    let by_hand = |z: [f64; 3], y: usize| {
        let log_sum = z.iter().map(|v| v.exp()).sum::<f64>().ln();
        (0..3)
            .map(|i| {
                let q = if i == y { 0.8 } else { 0.0 } + 0.2 / 3.0;
                -q * (z[i] - log_sum)
            })
            .sum::<f64>()
    };
    let expected = (by_hand([2.0, 0.5, -1.0], 0) + by_hand([0.0, 1.0, 3.0], 1)) / 2.0;
    assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
}

#[test]
fn bias_group_scales_exactly_the_batch_norm_shifts() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let model = Classifier::new(Preset::Fast, &device);
    let ids = batch_norm_bias_ids(&model);
    assert_eq!(ids.len(), 6, "two batch norms in each of three groups");
    assert!(batch_norm_bias_ids(&Classifier::new(Preset::Baseline, &device)).is_empty());

    let (images, labels) = common::training_batch(16, &device);
    let loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(model.forward(images), labels);
    let mut grads = GradientsParams::from_grads(loss.backward(), &model);
    let Classifier::Airbench(net) = &model else {
        unreachable!()
    };
    let beta = net.groups[1].norm2.beta.id;
    let gamma = net.groups[1].norm2.gamma.id;
    let (beta_before, gamma_before) = (
        grads.get::<1>(beta).unwrap().into_data(),
        grads.get::<1>(gamma).unwrap().into_data(),
    );
    scale_gradients(&mut grads, &ids, 8.0);
    let beta_after = grads.get::<1>(beta).unwrap().div_scalar(8.0).into_data();
    beta_after.assert_approx_eq::<f32>(&beta_before, Tolerance::absolute(1e-9));
    assert_eq!(
        grads.get::<1>(gamma).unwrap().into_data(),
        gamma_before,
        "the scale (γ) stays in the main group"
    );
}

#[test]
fn lookahead_blends_slow_and_fast_weights() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let (images, labels) = common::training_batch(16, &device);
    let slow = Classifier::new(Preset::Baseline, &device);
    let mut lookahead = Lookahead::new(&slow);
    // One SGD step gives "fast" weights with the same parameter ids.
    let loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(slow.forward(images.clone()), labels);
    let grads = GradientsParams::from_grads(loss.backward(), &slow);
    let fast = SgdConfig::new().init().step(0.5, slow.clone(), grads);

    let logits = |m: &Classifier| m.valid().forward(images.clone().inner());
    let head = |m: &Classifier| match m {
        Classifier::Baseline(net) => net.head.weight.val().inner(),
        _ => unreachable!(),
    };
    let (slow_w, fast_w) = (head(&slow), head(&fast));
    let blended = lookahead.sync(fast.clone(), 0.25);
    let expected = slow_w.mul_scalar(0.25) + fast_w.mul_scalar(0.75);
    head(&blended)
        .into_data()
        .assert_approx_eq::<f32>(&expected.into_data(), Tolerance::absolute(1e-6));
    // Decay 1 returns the slow weights untouched; decay 0 keeps the fast ones.
    let again = lookahead.sync(fast.clone(), 1.0);
    assert_eq!(values(logits(&again)), values(logits(&blended)));
    let kept = lookahead.sync(fast.clone(), 0.0);
    assert_eq!(values(logits(&kept)), values(logits(&fast)));
    // The schedule: no averaging at the start, 0.95⁵ at the end.
    assert_eq!(lookahead_decay(0, 100), 0.0);
    assert!((lookahead_decay(100, 100) - 0.95f64.powi(5)).abs() < 1e-12);
}

#[test]
fn tta_averages_flipped_and_shifted_views() {
    let _rng = rng_lock();
    let device = Device::flex();
    device.seed(11);
    let model = Classifier::new(Preset::Baseline, &device);
    let record = &common::records("test_batch.bin", 1)[0];
    let logits = |pixels: &[u8; 3072]| values(model.forward(images_to_tensor([pixels], &device)));
    let views = |pixels: &[u8; 3072]| {
        let (a, b) = (logits(pixels), logits(&flip_horizontal(pixels)));
        a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<f32>>()
    };
    let centre = views(&record.pixels);
    let up_left = views(&translate_reflect(&record.pixels, -1, -1));
    let down_right = views(&translate_reflect(&record.pixels, 1, 1));
    let expected: Vec<f32> = (0..10)
        .map(|i| 0.25 * centre[i] + 0.125 * (up_left[i] + down_right[i]))
        .collect();
    let tta = values(model.forward_tta(images_to_tensor([&*record.pixels], &device)));
    for (a, b) in tta.iter().zip(&expected) {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "{tta:?} vs {expected:?}"
        );
    }
}

fn tiny_run(resume_after_epoch: Option<usize>) -> TensorData {
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 256);
    let mut config = TrainConfig::new(Preset::Fast);
    config.epochs = 3;
    config.batch_size = 64;
    config.seed = 3;
    // The resume below lands exactly where the whitening bias freezes.
    config.whiten_bias_epochs = Some(2);
    let mut trainer = Trainer::new(config, &train, &device);
    for epoch in 0..3 {
        if resume_after_epoch == Some(epoch) {
            let bytes = trainer.checkpoint().unwrap();
            drop(trainer);
            trainer = Trainer::resume(&bytes, "tiny.ckpt", train.len(), &device).unwrap();
        }
        trainer.epoch(epoch, &train, |_| {});
    }
    let eval = Device::flex();
    trainer
        .inference_model()
        .forward(common::test_images(8, &eval))
        .into_data()
}

#[test]
fn checkpoint_then_resume_equals_an_uninterrupted_run() {
    let _rng = rng_lock();
    let straight = tiny_run(None);
    let resumed = tiny_run(Some(2));
    assert_eq!(resumed, straight, "bit for bit");
    // And the run did learn something: the logits are not the untrained ~0.
    let scale = straight
        .try_to_vec::<f32>()
        .unwrap()
        .iter()
        .fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 1e-2, "logit scale {scale}");
}

#[test]
fn a_bad_checkpoint_gets_a_message_naming_it() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 64);
    let mut config = TrainConfig::new(Preset::Baseline);
    config.batch_size = 32;
    let trainer = Trainer::new(config, &train, &device);
    let bytes = trainer.checkpoint().unwrap();
    for (input, name) in [
        (&b"garbage bytes here"[..], "junk.ckpt"),
        (&bytes[..bytes.len() - 100], "cut.ckpt"),
        (&bytes[..6], "tiny.ckpt"),
    ] {
        let message = Trainer::resume(input, name, train.len(), &device)
            .err()
            .unwrap()
            .to_string();
        assert!(message.contains(name), "{message}");
    }
    let message = Trainer::resume(&bytes, "other.ckpt", 1000, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("64 training records"), "{message}");
}

#[test]
fn nesterov_sgd_takes_burns_steps() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let (images, labels) = common::training_batch(32, &device);
    let start = Classifier::new(Preset::Fast, &device);
    let mut burn = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(0.9)
                .with_dampening(0.0)
                .with_nesterov(true),
        ))
        .with_weight_decay(Some(WeightDecayConfig::new(5e-4)))
        .init();
    let mut ours = NesterovSgd::new(0.9, 5e-4f32 as f64);
    let (mut a, mut b) = (start.clone(), start);
    let loss = CrossEntropyLossConfig::new().init(&device);
    let grads = |m: &Classifier| {
        let l = loss.forward(m.forward(images.clone()), labels.clone());
        GradientsParams::from_grads(l.backward(), m)
    };
    for lr in [0.3, 0.2, 0.1] {
        let (ga, gb) = (grads(&a), grads(&b));
        a = burn.step(lr, a, ga);
        b = ours.step(lr, b, gb);
    }
    let logits = |m: &Classifier| m.valid().forward(images.clone().inner()).into_data();
    assert_eq!(logits(&b), logits(&a), "three steps, bit for bit");
}

/// A checkpoint's momentum section replaced by an empty one, as the tab saved them before the
/// momentum was kept (the layout is `model::framing`'s).
fn without_momentum(bytes: &[u8]) -> Vec<u8> {
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut header: serde_json::Value =
        serde_json::from_slice(&bytes[12..12 + header_len]).unwrap();
    let sections = header["sections"].as_array_mut().unwrap();
    let momentum = sections[2].as_u64().unwrap() as usize;
    assert!(momentum > 0, "the checkpoint holds the momentum");
    sections[2] = 0.into();
    let header = serde_json::to_vec(&header).unwrap();
    let body = &bytes[12 + header_len..bytes.len() - momentum];
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    out
}

#[test]
fn a_checkpoint_carries_the_momentum_and_an_older_one_without_it_still_resumes() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 128);
    let mut config = TrainConfig::new(Preset::Fast);
    config.epochs = 2;
    config.batch_size = 64;
    config.lookahead = false;
    let mut trainer = Trainer::new(config, &train, &device);
    trainer.epoch(0, &train, |_| {});
    let bytes = futures::executor::block_on(trainer.checkpoint_async()).unwrap();
    let logits = |t: &Trainer| {
        t.inference_model()
            .forward(common::test_images(4, &Device::flex()))
            .into_data()
    };
    // Each run draws the same order and augmentation from the generator the checkpoint holds.
    let next_step = |t: &mut Trainer| {
        let order = t.epoch_order(train.len());
        t.train_step(&order[..64], &train);
        logits(t)
    };
    let mut with = Trainer::resume(&bytes, "tab.ckpt", train.len(), &device).unwrap();
    let mut old =
        Trainer::resume(&without_momentum(&bytes), "old.ckpt", train.len(), &device).unwrap();
    assert_eq!(old.step, trainer.step);
    assert_eq!(
        logits(&old),
        logits(&trainer),
        "the weights survive without the momentum"
    );
    let straight = next_step(&mut trainer);
    let (with, old) = (next_step(&mut with), next_step(&mut old));
    assert_eq!(with, straight, "the resumed step is the uninterrupted one");
    assert_ne!(old, with, "without the momentum the step differs");
}

#[test]
fn a_frozen_batch_norm_scale_stays_one_through_training_and_a_resume() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 128);
    for batch_norm_scale in [false, true] {
        let mut config = TrainConfig::new(Preset::Fast);
        config.epochs = 3;
        // 12 steps, resumed after 4: the run ends at Lookahead's slow weights, synced after steps
        // 5 and 10, so steps 6–10 after the first sync since the resume count.
        config.batch_size = 32;
        config.batch_norm_scale = batch_norm_scale;
        let mut trainer = Trainer::new(config, &train, &device);
        trainer.epoch(0, &train, |_| {});
        let bytes = trainer.checkpoint().unwrap();
        let mut trainer = Trainer::resume(&bytes, "frozen.ckpt", train.len(), &device).unwrap();
        for epoch in 1..3 {
            trainer.epoch(epoch, &train, |_| {});
        }
        let Classifier::Airbench(net) = trainer.inference_model() else {
            panic!("fast is an airbench network");
        };
        for norm in net.groups.iter().flat_map(|g| [&g.norm1, &g.norm2]) {
            let gamma = norm.gamma.val().into_data().try_to_vec::<f32>().unwrap();
            let at_one = gamma.iter().all(|&g| g == 1.0);
            assert_eq!(at_one, !batch_norm_scale, "γ trained: {batch_norm_scale}");
            let beta = norm.beta.val().abs().max().into_scalar::<f32>();
            assert!(beta > 0.0, "β should train");
        }
    }
}

fn whitening_bias(trainer: &Trainer) -> Vec<f32> {
    let Classifier::Airbench(net) = trainer.inference_model() else {
        panic!("fast is an airbench network");
    };
    let bias = net.whiten.bias.expect("the whitening conv has a bias");
    bias.val().into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn the_whitening_bias_trains_for_its_epochs_then_stays_put() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 128);
    for whiten_bias_epochs in [Some(1), None] {
        let mut config = TrainConfig::new(Preset::Fast);
        config.epochs = 3;
        config.batch_size = 32;
        config.whiten_bias_epochs = whiten_bias_epochs;
        let mut trainer = Trainer::new(config, &train, &device);
        let mut biases = vec![whitening_bias(&trainer)];
        for epoch in 0..3 {
            trainer.epoch(epoch, &train, |_| {});
            biases.push(whitening_bias(&trainer));
        }
        assert_ne!(biases[1], biases[0], "the bias trains in the first epoch");
        match whiten_bias_epochs {
            Some(_) => assert!(
                biases[1] == biases[2] && biases[2] == biases[3],
                "frozen after epoch 1"
            ),
            None => assert_ne!(biases[3], biases[1], "trained throughout"),
        }
    }
}

#[test]
fn a_checkpoint_from_before_the_airbench_schedule_keeps_its_own_recipe() {
    // The header of a checkpoint saved before these settings existed.
    let mut json = serde_json::to_value(TrainConfig::new(Preset::Fast)).unwrap();
    let fields = json.as_object_mut().unwrap();
    for field in ["lr_start", "lr_end", "alternate_flip", "whiten_bias_epochs"] {
        assert!(fields.remove(field).is_some(), "{field}");
    }
    let older: TrainConfig = serde_json::from_value(json).unwrap();
    assert_eq!((older.lr_start, older.lr_end), (0.0, 0.0));
    assert!(!older.alternate_flip);
    assert_eq!(older.whiten_bias_epochs, None);
    // A new run uses airbench's.
    let new = TrainConfig::new(Preset::Fast);
    assert_eq!(
        (new.lr_start, new.lr_end, new.warmup_fraction),
        (0.2, 0.07, 0.23)
    );
    assert!(new.alternate_flip);
    assert_eq!(new.whiten_bias_epochs, Some(3));
}
