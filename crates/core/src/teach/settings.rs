//! How a head is taught: the backbone, the optimiser's steps and rate, the held-out share and
//! the views. Checked wherever settings come from (the page, the CLI, a project file).

use serde::{Deserialize, Serialize};

use crate::model::Preset;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeachSettings {
    /// The shipped CIFAR-10 network whose features the head reads (`fast` or `full`).
    pub backbone: Preset,
    /// Full-batch optimiser steps on the features.
    pub steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// L2 penalty on the head's weights.
    pub weight_decay: f64,
    /// The share of each class's samples kept out of training to measure accuracy.
    pub held_out: f64,
    /// Train on shifted crops too (6 views a sample instead of the image and its mirror).
    pub shifts: bool,
    /// Which samples are held out.
    pub seed: u64,
}

impl Default for TeachSettings {
    fn default() -> Self {
        TeachSettings {
            backbone: Preset::Full,
            steps: 300,
            learning_rate: 0.05,
            weight_decay: 1e-3,
            held_out: 0.2,
            shifts: true,
            seed: 0,
        }
    }
}

pub const MAX_TEACH_STEPS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TeachSettingsError {
    #[error("the {0} network has no head to replace with yours: use fast or full")]
    Backbone(Preset),
    #[error("{0} steps: use 1 to {MAX_TEACH_STEPS}")]
    Steps(usize),
    #[error("learning rate {0}: use a number above 0 and at most 10")]
    LearningRate(f64),
    #[error("weight decay {0}: use 0 to 1")]
    WeightDecay(f64),
    #[error("held-out share {0}: use 0 to 0.5")]
    HeldOut(f64),
}

impl TeachSettings {
    pub fn check(&self) -> Result<(), TeachSettingsError> {
        if self.backbone.airbench_widths().is_none() {
            return Err(TeachSettingsError::Backbone(self.backbone));
        }
        if !(1..=MAX_TEACH_STEPS).contains(&self.steps) {
            return Err(TeachSettingsError::Steps(self.steps));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 10.0) {
            return Err(TeachSettingsError::LearningRate(self.learning_rate));
        }
        if !(0.0..=1.0).contains(&self.weight_decay) {
            return Err(TeachSettingsError::WeightDecay(self.weight_decay));
        }
        if !(0.0..=0.5).contains(&self.held_out) {
            return Err(TeachSettingsError::HeldOut(self.held_out));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        assert_eq!(TeachSettings::default().check(), Ok(()));
        let with = |f: fn(&mut TeachSettings)| {
            let mut s = TeachSettings::default();
            f(&mut s);
            s.check()
        };
        assert!(with(|s| s.backbone = Preset::Baseline).is_err());
        assert!(with(|s| s.steps = 0).is_err());
        assert!(with(|s| s.learning_rate = f64::NAN).is_err());
        assert!(with(|s| s.held_out = 0.9).is_err());
        assert!(with(|s| s.weight_decay = -1.0).is_err());
    }
}
