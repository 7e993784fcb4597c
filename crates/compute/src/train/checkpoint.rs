//! Training checkpoints: everything a run needs to continue exactly where it stopped — the
//! configuration, the step, the shuffle/augmentation generator, the network, the Lookahead slow
//! weights and the optimiser's momentum.
//!
//! Layout (`model::framing`): `PINHOLEC` | header length | header JSON | network | slow weights |
//! momentum.
//! All three are Pinhole weights files (the momentum as
//! [`crate::train::NesterovSgd::velocity_network`]), so
//! they are read back asynchronously, as WebGPU in the browser requires.

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::SplitMix64;
use super::config::TrainConfig;
use super::limits::SettingsError;
use super::lookahead::Lookahead;
use super::recipe::Trainer;
use crate::model::framing::{FrameError, frame, unframe};
use crate::model::{Classifier, WeightsError, load_weights, save_weights, to_device_async};

const MAGIC: &[u8; 8] = b"PINHOLEC";

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    config: TrainConfig,
    step: usize,
    rng: u64,
    /// Size of the training set the run was started on: the schedule depends on it.
    train_records: usize,
    /// Byte lengths of the network, slow-weights and momentum sections.
    sections: [usize; 3],
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{name}: not a Pinhole checkpoint (it does not start with PINHOLEC)")]
    NotCheckpoint { name: String },
    #[error("{name}: the checkpoint is truncated ({len} bytes)")]
    Truncated { name: String, len: usize },
    #[error("{name}: unreadable checkpoint header: {reason}")]
    BadHeader { name: String, reason: String },
    #[error(
        "{name}: the run was started on {expected} training records, not {found}: resume it with the same data"
    )]
    DataMismatch {
        name: String,
        expected: usize,
        found: usize,
    },
    /// A section's weights (the message names the checkpoint: it is passed as the name).
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("{name}: the saved step {step} is past the run's last step {total}")]
    StepPastEnd {
        name: String,
        step: usize,
        total: usize,
    },
    #[error(
        "{name}: the optimiser's momentum is unreadable (saved by an older Pinhole?): {reason}"
    )]
    Momentum { name: String, reason: String },
    #[error("cannot serialise the checkpoint: {0}")]
    Save(String),
}

impl Trainer {
    /// Serialises the run (native: waits for the read-backs).
    pub fn checkpoint(&self) -> Result<Vec<u8>, CheckpointError> {
        futures::executor::block_on(self.checkpoint_async())
    }

    /// Serialises the run, reading every tensor back asynchronously (as the browser must).
    pub async fn checkpoint_async(&self) -> Result<Vec<u8>, CheckpointError> {
        let model = save_weights(on_host(&self.model).await?)?;
        let slow = match &self.lookahead {
            Some(lookahead) => save_weights(on_host(&lookahead.slow).await?)?,
            None => Vec::new(),
        };
        let optim = save_weights(on_host(&self.velocity_network()).await?)?;
        let header = Header {
            config: self.config.clone(),
            step: self.step,
            rng: self.rng.0,
            train_records: self.train_records,
            sections: [model.len(), slow.len(), optim.len()],
        };
        frame(MAGIC, &header, &[&model, &slow, &optim])
            .map_err(|e| CheckpointError::Save(e.to_string()))
    }

    /// Continues a run from [`Trainer::checkpoint`] bytes on an autodiff `device`; `name` names
    /// the input in errors and `train_records` must be the size of the same training set.
    pub fn resume(
        bytes: &[u8],
        name: &str,
        train_records: usize,
        device: &Device,
    ) -> Result<Trainer, CheckpointError> {
        let truncated = || CheckpointError::Truncated {
            name: name.to_string(),
            len: bytes.len(),
        };
        let (header, mut rest): (Header, _) = unframe(bytes, MAGIC).map_err(|e| match e {
            FrameError::WrongMagic => CheckpointError::NotCheckpoint { name: name.into() },
            FrameError::Truncated => truncated(),
            FrameError::BadHeader(reason) => CheckpointError::BadHeader {
                name: name.into(),
                reason,
            },
        })?;
        if header.train_records != train_records {
            return Err(CheckpointError::DataMismatch {
                name: name.into(),
                expected: header.train_records,
                found: train_records,
            });
        }
        // A header is input like any other: bounded before anything is built from it.
        header.config.check(name, train_records)?;
        let total = train_records / header.config.batch_size * header.config.epochs;
        if header.step > total {
            return Err(CheckpointError::StepPastEnd {
                name: name.into(),
                step: header.step,
                total,
            });
        }
        let [model_len, slow_len, optim_len] = header.sections;
        let mut take = |len: usize| {
            let (section, tail) = rest.split_at_checked(len).ok_or_else(truncated)?;
            rest = tail;
            Ok::<_, CheckpointError>(section)
        };
        let (model, slow, optim) = (take(model_len)?, take(slow_len)?, take(optim_len)?);

        let model = load_weights(model, name, device)?.train();
        let mut trainer = Trainer::with_model(header.config, model, train_records, device);
        trainer.step = header.step;
        trainer.rng = SplitMix64(header.rng);
        if let Some(lookahead) = trainer.lookahead.as_mut() {
            *lookahead = Lookahead {
                slow: load_weights(slow, name, device)?.train(),
            };
        }
        // An empty section: a checkpoint saved in the tab before the momentum was kept; the
        // resumed run restarts it from zero.
        if !optim.is_empty() {
            let velocity =
                load_weights(optim, name, device).map_err(|e| CheckpointError::Momentum {
                    name: name.into(),
                    reason: e.to_string(),
                })?;
            trainer
                .optim
                .load_velocity_network(&velocity, &trainer.model);
        }
        Ok(trainer)
    }
}

/// An inference copy of a network on the CPU, read back asynchronously.
async fn on_host(model: &Classifier) -> Result<Classifier, CheckpointError> {
    to_device_async(&model.valid(), &Device::flex())
        .await
        .map_err(|e| CheckpointError::Save(e.to_string()))
}
