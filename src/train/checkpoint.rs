//! Training checkpoints: everything a run needs to continue exactly where it stopped — the
//! configuration, the step, the shuffle/augmentation generator, the network, the Lookahead slow
//! weights and the optimiser's momentum.
//!
//! Layout: `PINHOLEC` | header length (u32 LE) | header JSON | network | slow weights | optimiser.
//! The network and slow weights are Pinhole weights files; the optimiser is Burn's record bytes.

use burn::module::Module;
use burn::optim::OptimizerRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use super::lookahead::Lookahead;
use super::recipe::{TrainConfig, Trainer};
use super::rng::SplitMix64;
use crate::model::{Classifier, WeightsError, load_weights, save_weights};

const MAGIC: &[u8; 8] = b"PINHOLEC";

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    config: TrainConfig,
    step: usize,
    rng: u64,
    /// Size of the training set the run was started on: the schedule depends on it.
    train_records: usize,
    /// Byte lengths of the network, slow-weights and optimiser sections.
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
    #[error("{name}: {0}", name = .0)]
    Weights(#[from] WeightsError),
    #[error("{name}: optimiser state: {reason}")]
    Optimizer { name: String, reason: String },
    #[error("cannot serialise the checkpoint: {0}")]
    Save(String),
}

impl Trainer {
    /// Serialises the run (synchronous read-backs: native or CPU only).
    pub fn checkpoint(&self, train_records: usize) -> Result<Vec<u8>, CheckpointError> {
        sync_running_stats(&self.model);
        if let Some(lookahead) = &self.lookahead {
            sync_running_stats(&lookahead.slow);
        }
        let model = save_weights(self.model.clone())?;
        let slow = match &self.lookahead {
            Some(lookahead) => save_weights(lookahead.slow.clone())?,
            None => Vec::new(),
        };
        let optim = self
            .optimizer()
            .to_record()
            .into_bytes()
            .map_err(|e| CheckpointError::Save(e.to_string()))?;
        let header = serde_json::to_vec(&Header {
            config: self.config.clone(),
            step: self.step,
            rng: self.rng.0,
            train_records,
            sections: [model.len(), slow.len(), optim.len()],
        })
        .map_err(|e| CheckpointError::Save(e.to_string()))?;
        let mut out =
            Vec::with_capacity(12 + header.len() + model.len() + slow.len() + optim.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        for section in [&header[..], &model[..], &slow[..], &optim[..]] {
            out.extend_from_slice(section);
        }
        Ok(out)
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
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(if bytes.len() < 12 && MAGIC.starts_with(bytes) {
                truncated()
            } else {
                CheckpointError::NotCheckpoint { name: name.into() }
            });
        }
        let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
        let header = bytes.get(12..12 + header_len).ok_or_else(truncated)?;
        let header: Header =
            serde_json::from_slice(header).map_err(|e| CheckpointError::BadHeader {
                name: name.into(),
                reason: e.to_string(),
            })?;
        if header.train_records != train_records {
            return Err(CheckpointError::DataMismatch {
                name: name.into(),
                expected: header.train_records,
                found: train_records,
            });
        }
        let [model_len, slow_len, optim_len] = header.sections;
        let mut rest = &bytes[12 + header_len..];
        let mut take = |len: usize| {
            let (section, tail) = rest.split_at_checked(len).ok_or_else(truncated)?;
            rest = tail;
            Ok::<_, CheckpointError>(section)
        };
        let (model, slow, optim) = (take(model_len)?, take(slow_len)?, take(optim_len)?);

        let model = freeze_whitening(load_weights(model, name, device)?);
        let mut trainer = Trainer::with_model(header.config, model, train_records, device);
        trainer.step = header.step;
        trainer.rng = SplitMix64(header.rng);
        if let Some(lookahead) = trainer.lookahead.as_mut() {
            *lookahead = Lookahead {
                slow: freeze_whitening(load_weights(slow, name, device)?),
            };
        }
        let record =
            OptimizerRecord::from_bytes(Bytes::from_bytes_vec(optim.to_vec())).map_err(|e| {
                CheckpointError::Optimizer {
                    name: name.into(),
                    reason: e.to_string(),
                }
            })?;
        let optim = trainer.optimizer().clone().load_record(record);
        trainer.set_optimizer(optim);
        Ok(trainer)
    }
}

/// Burn's batch norm keeps its last running-statistics update pending (per thread) until the
/// module is switched to inference; records read the value without it. Switching a copy merges the
/// pending update into the shared state, so the record holds what inference would use.
fn sync_running_stats(model: &Classifier) {
    let _ = model.valid();
}

/// The whitening conv is fitted, not trained: a loaded network must not start training it.
fn freeze_whitening(mut model: Classifier) -> Classifier {
    if let Classifier::Airbench(net) = &mut model {
        net.whiten.weight = net.whiten.weight.clone().set_require_grad(false);
    }
    model.train()
}
