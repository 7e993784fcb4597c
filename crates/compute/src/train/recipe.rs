//! The training loop for one configuration, assembled from the named pieces: whitening and
//! Dirac init, Nesterov SGD with weight decay and a faster batch-norm-bias group, label smoothing,
//! warm-up then linear decay, Lookahead/EMA of the weights, alternating flip and ±2 px reflect
//! translation, and the whitening bias frozen after a few epochs.

use burn::module::{Module, Param, ParamId};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::SplitMix64;
use super::bias_group::{batch_norm_bias_ids, scale_gradients};
use super::config::TrainConfig;
use super::data_parallel::{DataParallelError, SliceGradients, apply_average, average_slices};
use super::dirac::dirac_init;
use super::lookahead::{LOOKAHEAD_EVERY, Lookahead, lookahead_decay};
use super::loss::batch_loss;
use super::nesterov::NesterovSgd;
use super::schedule::LrSchedule;
use super::whitening::fit_whitening;
use super::{alternating_flip, flip_horizontal, translate_reflect};
use crate::data::{CifarRecord, IMAGE_BYTES};
use crate::model::Classifier;

/// Marks what the recipe does not train: the fitted whitening weight and, unless
/// `config.batch_norm_scale`, every batch norm's scale. A loaded network needs it again (the
/// weights file does not keep it).
fn freeze_untrained(mut model: Classifier, config: &TrainConfig) -> Classifier {
    if let Classifier::Airbench(net) = &mut model {
        net.whiten.weight = net.whiten.weight.clone().set_require_grad(false);
        if !config.batch_norm_scale {
            for norm in net
                .groups
                .iter_mut()
                .flat_map(|g| [&mut g.norm1, &mut g.norm2])
            {
                norm.gamma = norm.gamma.clone().set_require_grad(false);
            }
        }
    }
    model
}

/// What one optimiser step left on the device.
pub struct StepTensors {
    /// The batch's mean loss, shape `[1]`.
    pub loss: Tensor<1>,
    /// How many of the batch the network (before the update) classified right, shape `[1]`.
    pub correct: Tensor<1, Int>,
    pub lr: f64,
}

/// A batch as the network sees it: augmented images and their labels.
pub struct PreparedBatch {
    pub images: Vec<[u8; IMAGE_BYTES]>,
    pub labels: Vec<u8>,
}

/// After each optimiser step.
#[derive(Clone, Debug)]
pub struct StepReport {
    pub epoch: usize,
    pub step: usize,
    pub steps_per_epoch: usize,
    pub loss: f32,
    pub lr: f64,
}

pub struct Trainer {
    pub config: TrainConfig,
    pub model: Classifier,
    pub(super) optim: NesterovSgd,
    loss: CrossEntropyLoss,
    schedule: LrSchedule,
    pub(super) rng: SplitMix64,
    bias_ids: Vec<ParamId>,
    /// Size of the training set: the schedule depends on it, so a checkpoint records it.
    pub(super) train_records: usize,
    pub(super) lookahead: Option<Lookahead>,
    pub step: usize,
    pub(super) device: Device,
}

impl Trainer {
    /// A fresh network (whitening fitted on `train`) on an autodiff `device`.
    pub fn new(config: TrainConfig, train: &[CifarRecord], device: &Device) -> Self {
        Self::new_streaming(config, train, train.len(), device)
    }

    /// A fresh network for a training set of `train_records` of which only `first` has arrived
    /// (the browser starts on the first shard): whitening is fitted on what is there.
    pub fn new_streaming(
        config: TrainConfig,
        first: &[CifarRecord],
        train_records: usize,
        device: &Device,
    ) -> Self {
        let train = first;
        device.seed(config.seed);
        let mut model = Classifier::new(config.preset, device);
        if let Classifier::Airbench(net) = &mut model {
            let weights = fit_whitening(&train[..train.len().min(5000)]);
            let tensor = Tensor::<4>::from_data(TensorData::new(weights, [24, 3, 2, 2]), device);
            // Frozen by `with_model`: the optimiser never sees a gradient for it.
            net.whiten.weight = Param::from_tensor(tensor);
            if config.dirac {
                for group in &mut net.groups {
                    dirac_init(&mut group.conv1);
                    dirac_init(&mut group.conv2);
                }
            }
        }
        Self::with_model(config, model, train_records, device)
    }

    /// A trainer around an existing network (fresh optimiser state, step 0).
    pub(super) fn with_model(
        config: TrainConfig,
        model: Classifier,
        train_len: usize,
        device: &Device,
    ) -> Self {
        let model = freeze_untrained(model, &config);
        let steps_per_epoch = train_len / config.batch_size;
        let total_steps = steps_per_epoch * config.epochs;
        let optim = NesterovSgd::new(config.momentum, config.weight_decay as f64);
        Trainer {
            loss: CrossEntropyLossConfig::new()
                .with_smoothing(Some(config.label_smoothing))
                .init(device),
            schedule: LrSchedule {
                peak: config.lr,
                warmup_steps: ((total_steps as f64 * config.warmup_fraction) as usize).max(1),
                total_steps,
                start: config.lr_start,
                end: config.lr_end,
            },
            rng: SplitMix64(config.seed ^ 0xC1FA_5EED),
            bias_ids: batch_norm_bias_ids(&model),
            train_records: train_len,
            lookahead: config.lookahead.then(|| Lookahead::new(&model)),
            model,
            optim,
            step: 0,
            device: device.clone(),
            config,
        }
    }

    /// Training records the run was started on (the schedule depends on it).
    pub fn train_records(&self) -> usize {
        self.train_records
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.train_records / self.config.batch_size
    }

    pub fn total_steps(&self) -> usize {
        self.schedule.total_steps
    }

    /// A fresh shuffle of `0..len` for the next epoch (drawn from the run's generator).
    pub fn epoch_order(&mut self, len: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        self.rng.shuffle(&mut order);
        order
    }

    /// One optimiser step on the records `batch` indexes (augmented). Returns the step's loss and
    /// correct count as tensors, not read back: the browser reads them asynchronously.
    pub fn train_step(&mut self, batch: &[usize], train: &[CifarRecord]) -> StepTensors {
        let prepared = self.prepare_batch(batch, train);
        let model = self.model.clone();
        let (loss, correct) = batch_loss(
            &model,
            &prepared.images,
            &prepared.labels,
            &self.loss,
            &self.device,
        );
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let lr = self.apply_gradients(model, grads);
        StepTensors {
            loss: loss.detach(),
            correct,
            lr,
        }
    }

    /// The records `batch` indexes as the next step sees them (augmented, with labels); freezes
    /// the whitening bias when its epochs are over. Draws from the run's generator, so it is
    /// called once per step, whoever computes the gradients.
    pub fn prepare_batch(&mut self, batch: &[usize], train: &[CifarRecord]) -> PreparedBatch {
        let epoch = self.step / self.steps_per_epoch().max(1);
        self.freeze_whitening_bias_after(epoch);
        PreparedBatch {
            images: batch
                .iter()
                .map(|&i| self.augment(&train[i].pixels, i, epoch))
                .collect(),
            labels: batch.iter().map(|&i| train[i].label).collect(),
        }
    }

    /// One optimiser step on the gradients of a prepared batch's slices (workers of a CPU pool,
    /// [`slice_gradients`](super::slice_gradients)), averaged; the network takes the slices'
    /// averaged running statistics. Returns the batch's mean loss, correct count and the rate.
    pub fn step_on_slices(
        &mut self,
        slices: &[SliceGradients],
    ) -> Result<(f32, usize, f64), DataParallelError> {
        let average = average_slices(slices)?;
        let (model, grads) = apply_average(self.model.clone(), &average, &self.device)?;
        let lr = self.apply_gradients(model, grads);
        let loss = average.loss_sum / average.records.max(1) as f64;
        Ok((loss as f32, average.correct, lr))
    }

    /// The (autodiff) device the network trains on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The recipe's label smoothing (what a worker's slice loss uses).
    pub fn label_smoothing(&self) -> f32 {
        self.config.label_smoothing
    }

    /// The optimiser step: bias group, learning rate of this step, Lookahead.
    fn apply_gradients(&mut self, model: Classifier, mut grads: GradientsParams) -> f64 {
        scale_gradients(&mut grads, &self.bias_ids, self.config.bias_scaler);
        let lr = self.schedule.at(self.step);
        self.model = self.optim.step(lr, model, grads);
        self.sync_lookahead();
        self.step += 1;
        lr
    }

    /// One epoch over `train` (shuffled, augmented); drops the last partial batch.
    /// Reads every step's loss synchronously (native or CPU only).
    pub fn epoch(
        &mut self,
        epoch: usize,
        train: &[CifarRecord],
        mut on_step: impl FnMut(&StepReport),
    ) -> f32 {
        let order = self.epoch_order(train.len());
        let steps_per_epoch = train.len() / self.config.batch_size;
        let mut loss_sum = 0.0;
        for batch in order.chunks_exact(self.config.batch_size) {
            let step = self.step;
            let tensors = self.train_step(batch, train);
            let loss = tensors.loss.into_scalar::<f32>();
            loss_sum += loss;
            on_step(&StepReport {
                epoch,
                step,
                steps_per_epoch,
                loss,
                lr: tensors.lr,
            });
        }
        loss_sum / steps_per_epoch.max(1) as f32
    }

    /// Every [`LOOKAHEAD_EVERY`] steps, and at the very last step with decay 1 (the network
    /// ends at the slow weights).
    fn sync_lookahead(&mut self) {
        let Some(lookahead) = self.lookahead.as_mut() else {
            return;
        };
        // Called after the update and before `step` advances.
        let done = self.step + 1;
        let total = self.schedule.total_steps;
        let decay = if done == total {
            1.0
        } else if done.is_multiple_of(LOOKAHEAD_EVERY) {
            lookahead_decay(done, total)
        } else {
            return;
        };
        self.model = lookahead.sync(self.model.clone(), decay);
    }

    /// airbench trains the whitening bias for the first few epochs only. Checked every step,
    /// so a resumed run freezes it exactly where an uninterrupted one did.
    fn freeze_whitening_bias_after(&mut self, epoch: usize) {
        let Some(epochs) = self.config.whiten_bias_epochs else {
            return;
        };
        let Classifier::Airbench(net) = &mut self.model else {
            return;
        };
        let train = epoch < epochs;
        if let Some(bias) = net.whiten.bias.as_mut()
            && bias.val().is_require_grad() != train
        {
            *bias = bias.clone().set_require_grad(train);
        }
    }

    fn augment(
        &mut self,
        pixels: &[u8; IMAGE_BYTES],
        record: usize,
        epoch: usize,
    ) -> [u8; IMAGE_BYTES] {
        let flip = self.config.flip
            && if self.config.alternate_flip {
                alternating_flip(self.config.seed, record, epoch)
            } else {
                self.rng.below(2) == 1
            };
        let mut out = if flip {
            flip_horizontal(pixels)
        } else {
            *pixels
        };
        let t = self.config.translate as isize;
        if t > 0 {
            let dx = self.rng.below(2 * t as usize + 1) as isize - t;
            let dy = self.rng.below(2 * t as usize + 1) as isize - t;
            out = translate_reflect(&out, dx, dy);
        }
        out
    }

    /// The optimiser's momentum as a network shaped like this one
    /// ([`NesterovSgd::velocity_network`]).
    pub fn velocity_network(&self) -> Classifier {
        self.optim.velocity_network(&self.model)
    }

    /// The trained network for inference (batch-norm running statistics, no autodiff).
    pub fn inference_model(&self) -> Classifier {
        self.model.valid()
    }
}
