//! Data-parallel training (the CPU pool's arithmetic), natively on real CIFAR-10 records: the
//! all-reduce with uneven slices, slices equal to the whole batch where batch norm sees the same
//! statistics, and simulated workers holding their own copies staying identical to one worker.
//! A module of the `recipe` test binary (one binary links Burn once; they share the RNG lock).

use burn::module::Module;
use burn::tensor::Device;
use futures::executor::block_on;
use pinhole_compute::data::{CifarRecord, images_to_tensor};
use pinhole_compute::model::{Classifier, Preset};
use pinhole_compute::train::{
    DataParallelError, GHOST_BATCH, SliceGradients, TrainConfig, Trainer, average_slices,
    ghost_slices, network_state, slice_gradients, trained_flags, with_network_state,
};

use super::{common, rng_lock};

fn slice(records: usize, loss: f64, correct: usize, values: &[f32]) -> SliceGradients {
    SliceGradients {
        records,
        loss_sum: loss * records as f64,
        correct,
        values: values.to_vec(),
    }
}

#[test]
fn the_all_reduce_weights_uneven_slices_by_their_records() {
    let average =
        average_slices(&[slice(1, 2.0, 1, &[1.0, 2.0]), slice(3, 1.0, 2, &[5.0, 6.0])]).unwrap();
    assert_eq!(average.records, 4);
    assert_eq!(average.correct, 3);
    assert!((average.loss_sum - 5.0).abs() < 1e-12);
    // (1·1 + 3·5) / 4 and (1·2 + 3·6) / 4.
    assert_eq!(average.values, vec![4.0, 5.0]);

    let error =
        average_slices(&[slice(2, 1.0, 0, &[1.0, 2.0]), slice(2, 1.0, 0, &[1.0])]).unwrap_err();
    assert!(
        matches!(
            error,
            DataParallelError::WrongLength {
                expected: 2,
                found: 1
            }
        ),
        "{error}"
    );
    assert!(matches!(
        average_slices(&[]),
        Err(DataParallelError::NoSlices)
    ));
}

#[test]
fn ghost_batches_depend_on_the_batch_alone() {
    assert_eq!(ghost_slices(20), vec![0..20]);
    assert_eq!(ghost_slices(GHOST_BATCH), vec![0..GHOST_BATCH]);
    assert_eq!(ghost_slices(64), vec![0..32, 32..64]);
    assert_eq!(ghost_slices(100), vec![0..25, 25..50, 50..75, 75..100]);
    let slices = ghost_slices(250);
    assert_eq!(slices.len(), 8);
    assert!(
        slices
            .iter()
            .all(|s| s.len() <= GHOST_BATCH && s.len() >= GHOST_BATCH - 1)
    );
    assert_eq!(slices.last().unwrap().end, 250);
}

/// A `fast` trainer without augmentation (a record is seen as it is, whichever worker sees it).
fn trainer(train: &[CifarRecord], device: &Device) -> Trainer {
    let mut config = TrainConfig::new(Preset::Fast);
    config.flip = false;
    config.translate = 0;
    // Lookahead keeps its own copy of the starting weights.
    config.lookahead = false;
    config.batch_size = 24;
    Trainer::new(config, train, device)
}

/// Two trainers holding the same network.
fn twin_trainers(train: &[CifarRecord], device: &Device) -> (Trainer, Trainer) {
    let first = trainer(train, device);
    let mut second = trainer(train, device);
    let start = state(&first.model);
    second.model =
        with_network_state(second.model, &start, &trained_flags(&first.model), device).unwrap();
    assert_eq!(state(&second.model), start);
    (first, second)
}

fn state(model: &Classifier) -> Vec<f32> {
    block_on(network_state(model)).unwrap()
}

/// The gradients of `range` of a prepared batch, from the state the step started on (what the
/// pool's engine does for its own slices).
fn local_slice(
    trainer: &Trainer,
    start: &[f32],
    images: &[[u8; pinhole_compute::data::IMAGE_BYTES]],
    labels: &[u8],
) -> SliceGradients {
    let device = trainer.device();
    let model = with_network_state(
        trainer.model.clone(),
        start,
        &trained_flags(&trainer.model),
        device,
    )
    .unwrap();
    block_on(slice_gradients(
        &model,
        images,
        labels,
        trainer.label_smoothing(),
        device,
    ))
    .unwrap()
}

fn max_relative_gap(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1.0 + x.abs().max(y.abs())))
        .fold(0.0, f32::max)
}

#[test]
fn slices_of_a_repeated_batch_step_like_the_whole_batch() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 480);
    let (mut whole, mut sliced) = twin_trainers(&train, &device);
    for step in 0..3 {
        // Eight records three times: batch norm sees the same statistics in the whole batch,
        // in a slice of 8 and in one of 16, so ghost batch norm changes nothing here.
        let eight: Vec<usize> = (step * 8..step * 8 + 8).collect();
        let batch: Vec<usize> = eight.iter().cycle().take(24).copied().collect();
        let tensors = whole.train_step(&batch, &train);
        let whole_loss: f32 = tensors.loss.into_scalar();

        let prepared = sliced.prepare_batch(&batch, &train);
        let start = state(&sliced.model);
        let parts = [
            local_slice(
                &sliced,
                &start,
                &prepared.images[..8],
                &prepared.labels[..8],
            ),
            local_slice(
                &sliced,
                &start,
                &prepared.images[8..],
                &prepared.labels[8..],
            ),
        ];
        assert_eq!(parts[1].records, 16);
        let (loss, _, _) = sliced.step_on_slices(&parts).unwrap();
        assert!(loss.is_finite());
        assert!(
            (loss - whole_loss).abs() < 1e-4,
            "step {step}: sliced loss {loss}, whole batch {whole_loss}"
        );
        let gap = max_relative_gap(&state(&whole.model), &state(&sliced.model));
        assert!(gap < 1e-3, "step {step}: networks differ by {gap}");
    }
    // The steps did train: the network moved.
    let fresh = trainer(&train, &device);
    assert!(max_relative_gap(&state(&fresh.model), &state(&sliced.model)) > 1e-3);
}

#[test]
fn simulated_workers_stay_identical_to_one_worker() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let train = common::records("data_batch_1.bin", 480);
    let (mut pooled, mut alone) = twin_trainers(&train, &device);
    // A worker's own network starts elsewhere (another random draw) and is given the state.
    let mut worker = Classifier::new(Preset::Fast, &device);
    assert_ne!(state(&worker), state(&pooled.model));
    let mut order = pooled.epoch_order(train.len());
    assert_eq!(order, alone.epoch_order(train.len()));
    for step in 0..3 {
        let batch: Vec<usize> = order.drain(..24).collect();
        let start = state(&pooled.model);
        let prepared = pooled.prepare_batch(&batch, &train);
        worker =
            with_network_state(worker, &start, &trained_flags(&pooled.model), &device).unwrap();
        assert_eq!(
            state(&worker),
            start,
            "step {step}: the worker holds the state sent"
        );
        let from_worker = block_on(slice_gradients(
            &worker,
            &prepared.images[10..],
            &prepared.labels[10..],
            pooled.label_smoothing(),
            &device,
        ))
        .unwrap();
        let own = local_slice(
            &pooled,
            &start,
            &prepared.images[..10],
            &prepared.labels[..10],
        );
        let pooled_step = pooled.step_on_slices(&[own, from_worker]).unwrap();

        let prepared_alone = alone.prepare_batch(&batch, &train);
        assert_eq!(prepared_alone.images, prepared.images);
        let start_alone = state(&alone.model);
        let parts = [
            local_slice(
                &alone,
                &start_alone,
                &prepared.images[..10],
                &prepared.labels[..10],
            ),
            local_slice(
                &alone,
                &start_alone,
                &prepared.images[10..],
                &prepared.labels[10..],
            ),
        ];
        let alone_step = alone.step_on_slices(&parts).unwrap();
        assert_eq!(pooled_step, alone_step, "step {step}: loss, correct, rate");
        assert_eq!(
            state(&pooled.model),
            state(&alone.model),
            "step {step}: the same slices give the same bits wherever they were computed"
        );
    }
    // The worker's copy, given the final state, classifies exactly as the coordinator's.
    let last = state(&pooled.model);
    let worker = with_network_state(worker, &last, &trained_flags(&pooled.model), &device).unwrap();
    let images = images_to_tensor(train[..16].iter().map(|r| &*r.pixels), &device);
    let a = worker.valid().forward(images.clone().inner()).into_data();
    let b = pooled.model.valid().forward(images.inner()).into_data();
    assert_eq!(a, b);
}

#[test]
fn a_state_for_another_network_is_refused() {
    let _rng = rng_lock();
    let device = Device::flex().autodiff();
    let fast = Classifier::new(Preset::Fast, &device);
    let full = Classifier::new(Preset::Full, &device);
    let flags = trained_flags(&fast);
    let error = with_network_state(fast, &state(&full), &flags, &device).unwrap_err();
    assert!(
        matches!(error, DataParallelError::WrongState { .. }),
        "{error}"
    );
    let fast = Classifier::new(Preset::Fast, &device);
    let start = state(&fast);
    let error = with_network_state(fast, &start, &flags[1..], &device).unwrap_err();
    assert!(
        matches!(error, DataParallelError::WrongFlags { .. }),
        "{error}"
    );
}
