//! The training loop for one configuration: Nesterov SGD with weight decay, label smoothing,
//! warm-up then linear decay, random flip and ±2 px reflect translation.

use burn::module::{Module, Param};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};

use super::augment::{flip_horizontal, translate_reflect};
use super::rng::SplitMix64;
use super::schedule::LrSchedule;
use super::whitening::fit_whitening;
use crate::data::{CifarRecord, IMAGE_BYTES, images_to_tensor, labels_to_tensor};
use crate::model::{Classifier, Preset};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub preset: Preset,
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak learning rate (reached after the warm-up).
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f32,
    pub label_smoothing: f32,
    /// Fraction of all steps spent warming up.
    pub warmup_fraction: f64,
    pub flip: bool,
    /// Maximum translation in pixels (0 disables it).
    pub translate: usize,
    pub seed: u64,
}

impl TrainConfig {
    pub fn new(preset: Preset) -> Self {
        TrainConfig {
            preset,
            epochs: 10,
            batch_size: 256,
            lr: 0.2,
            momentum: 0.9,
            weight_decay: 5e-4,
            label_smoothing: 0.2,
            warmup_fraction: 0.1,
            flip: true,
            translate: 2,
            seed: 0,
        }
    }
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
    optim: ModuleOptimizer,
    loss: CrossEntropyLoss,
    schedule: LrSchedule,
    rng: SplitMix64,
    pub step: usize,
    device: Device,
}

impl Trainer {
    /// A fresh network (whitening fitted on `train`) on an autodiff `device`.
    pub fn new(config: TrainConfig, train: &[CifarRecord], device: &Device) -> Self {
        device.seed(config.seed);
        let mut model = Classifier::new(config.preset, device);
        if let Classifier::Airbench(net) = &mut model {
            let weights = fit_whitening(&train[..train.len().min(5000)]);
            let tensor = Tensor::<4>::from_data(TensorData::new(weights, [24, 3, 2, 2]), device);
            // Frozen: the optimiser never sees a gradient for it.
            net.whiten.weight = Param::from_tensor(tensor).set_require_grad(false);
        }
        let steps_per_epoch = train.len() / config.batch_size;
        let total_steps = steps_per_epoch * config.epochs;
        let optim = SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(config.momentum)
                    .with_dampening(0.0)
                    .with_nesterov(true),
            ))
            .with_weight_decay(Some(WeightDecayConfig::new(config.weight_decay)))
            .init();
        Trainer {
            loss: CrossEntropyLossConfig::new()
                .with_smoothing(Some(config.label_smoothing))
                .init(device),
            schedule: LrSchedule {
                peak: config.lr,
                warmup_steps: ((total_steps as f64 * config.warmup_fraction) as usize).max(1),
                total_steps,
            },
            rng: SplitMix64(config.seed ^ 0xC1FA_5EED),
            model,
            optim,
            step: 0,
            device: device.clone(),
            config,
        }
    }

    /// One epoch over `train` (shuffled, augmented); drops the last partial batch.
    pub fn epoch(
        &mut self,
        epoch: usize,
        train: &[CifarRecord],
        mut on_step: impl FnMut(&StepReport),
    ) -> f32 {
        let mut order: Vec<usize> = (0..train.len()).collect();
        self.rng.shuffle(&mut order);
        let steps_per_epoch = train.len() / self.config.batch_size;
        let mut loss_sum = 0.0;
        for batch in order.chunks_exact(self.config.batch_size) {
            let images: Vec<[u8; IMAGE_BYTES]> = batch
                .iter()
                .map(|&i| self.augment(&train[i].pixels))
                .collect();
            let images = images_to_tensor(images.iter(), &self.device);
            let labels = labels_to_tensor(batch.iter().map(|&i| train[i].label), &self.device);
            let model = self.model.clone();
            let loss = self.loss.forward(model.forward(images), labels);
            let loss_value = loss.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let lr = self.schedule.at(self.step);
            self.model = self.optim.step(lr, model, grads);
            loss_sum += loss_value;
            on_step(&StepReport {
                epoch,
                step: self.step,
                steps_per_epoch,
                loss: loss_value,
                lr,
            });
            self.step += 1;
        }
        loss_sum / steps_per_epoch.max(1) as f32
    }

    fn augment(&mut self, pixels: &[u8; IMAGE_BYTES]) -> [u8; IMAGE_BYTES] {
        let mut out = if self.config.flip && self.rng.below(2) == 1 {
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

    /// The trained network for inference (batch-norm running statistics, no autodiff).
    pub fn inference_model(&self) -> Classifier {
        self.model.valid()
    }
}
