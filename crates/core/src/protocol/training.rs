//! The training part of the UI ↔ engine contract: where the data comes from, the settings a
//! visitor picks, and the progress the engine reports (which the UI turns into charts).

use serde::{Deserialize, Serialize};

use super::BackendKind;
use crate::model::Preset;

/// The recipe's random translation, in pixels.
pub const RECIPE_TRANSLATE: usize = 2;

/// Pixels, or a saved run's older `true`/`false` (the recipe's 2 px, or none).
fn pixels_or_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum PixelsOrBool {
        Pixels(usize),
        Bool(bool),
    }
    Ok(match PixelsOrBool::deserialize(deserializer)? {
        PixelsOrBool::Pixels(pixels) => pixels,
        PixelsOrBool::Bool(on) => {
            if on {
                RECIPE_TRANSLATE
            } else {
                0
            }
        }
    })
}

/// Where the training records come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataSource {
    /// A shard set's `manifest.json`, relative to the page or an absolute URL (same origin or
    /// a CORS-enabled static host).
    Manifest { url: String },
    /// Files the visitor dropped or picked: the official `cifar-10-binary.tar.gz` or `.bin`
    /// files (`data_batch_*.bin` train, `test_batch.bin` tests).
    Files { files: Vec<DroppedFile> },
}

impl DataSource {
    /// Names the source in messages and in a checkpoint (to resume on the same data).
    pub fn describe(&self) -> String {
        match self {
            DataSource::Manifest { url } => url.clone(),
            DataSource::Files { files } => files
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DroppedFile {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// What a visitor can set before pressing Train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub preset: Preset,
    pub epochs: usize,
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    pub label_smoothing: f32,
    /// Random horizontal flips (alternating by epoch, as the recipe does).
    pub flip: bool,
    /// Largest random translation in pixels (0: none). Saved runs from before this field was a
    /// number stored `true` for the recipe's 2 px.
    #[serde(deserialize_with = "pixels_or_bool")]
    pub translate: usize,
    /// Lookahead/EMA of the weights (saved runs called it `ema`).
    #[serde(alias = "ema")]
    pub lookahead: bool,
    /// Seed of the initialisation and the shuffles.
    #[serde(default)]
    pub seed: u64,
    /// A quick run: train on the first N training records (and test on a fifth as many).
    pub subset: Option<usize>,
    /// Stop when test accuracy has not improved for this many epochs.
    pub patience: Option<usize>,
}

impl Default for TrainSettings {
    /// The `fast` recipe at a batch size a laptop's CPU copes with.
    fn default() -> Self {
        TrainSettings {
            preset: Preset::Fast,
            epochs: 10,
            batch_size: 64,
            // The recipe's 0.375 at batch 256 (`train::LR`), scaled to 64 and rounded.
            lr: 0.1,
            label_smoothing: 0.2,
            flip: true,
            translate: RECIPE_TRANSLATE,
            lookahead: true,
            seed: 0,
            subset: None,
            patience: None,
        }
    }
}

impl TrainSettings {
    /// Test records evaluated after each epoch: all of them, or a fifth of a quick run's
    /// training records (at least 200).
    pub fn test_records(&self, available: usize) -> usize {
        match self.subset {
            Some(n) => (n / 5).max(200).min(available),
            None => available,
        }
    }
}

/// One optimiser step, as charted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepPoint {
    /// Steps done so far in the run (1 after the first step).
    pub step: usize,
    pub epoch: usize,
    pub loss: f32,
    /// Fraction of the batch classified right (before the update).
    pub train_accuracy: f32,
}

/// The end of an epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochPoint {
    /// 1-based.
    pub epoch: usize,
    pub train_loss: f32,
    pub train_accuracy: f32,
    pub test_accuracy: f32,
    pub seconds: f64,
}

/// Everything charted so far: kept in a checkpoint so that a resumed run continues its curves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistory {
    pub steps: Vec<StepPoint>,
    pub epochs: Vec<EpochPoint>,
}

/// Speed and time left, after each step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingPace {
    pub step: usize,
    pub total_steps: usize,
    pub images_per_second: f64,
    /// Milliseconds of the last step (forward, backward, update and loss read-back).
    pub step_ms: f64,
    pub eta_seconds: f64,
    pub lr: f64,
    /// CPU workers that computed the last step (data-parallel training); 1 on one worker or
    /// WebGPU.
    #[serde(default = "one_worker")]
    pub workers: usize,
}

pub(super) fn one_worker() -> usize {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingState {
    /// Fetching and checking shards before the first step.
    Loading,
    Running,
    Paused,
    Stopped,
    Finished,
    /// Test accuracy stopped improving for `patience` epochs.
    EarlyStopped,
    /// Could not start (no usable data); nothing was trained.
    Failed,
}

impl TrainingState {
    /// The run holds a network that can be used, exported or continued.
    pub fn has_model(self) -> bool {
        !matches!(self, TrainingState::Loading | TrainingState::Failed)
    }
}

/// A run saved in the browser (IndexedDB) that the page can offer to resume.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    pub settings: TrainSettings,
    /// [`DataSource::describe`] of the run's data.
    pub source: String,
    /// Whether the source can be fetched again (a manifest URL) or must be dropped again.
    pub refetchable: bool,
    pub step: usize,
    pub total_steps: usize,
    pub history: TrainingHistory,
    /// `Date.now()` when it was saved.
    pub saved_at: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsFormat {
    /// `.safetensors` with the preset and class names in its metadata.
    Safetensors,
    /// Pinhole's own format (the files under `weights/`).
    Pinhole,
}

impl WeightsFormat {
    pub fn extension(self) -> &'static str {
        match self {
            WeightsFormat::Safetensors => "safetensors",
            WeightsFormat::Pinhole => "bin",
        }
    }
}

/// How far one tensor of the network on the checked backend is from the CPU's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorDiff {
    /// The tensor's path in the network, e.g. `groups.0.norm1.beta`.
    pub name: String,
    pub max_abs_diff: f32,
    /// The CPU tensor's largest magnitude, for scale.
    pub max_abs: f32,
    /// NaN or infinite values on the checked backend.
    pub non_finite: usize,
}

/// One optimiser step taken on both backends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepCheck {
    pub step: usize,
    pub loss_cpu: f32,
    pub loss: f32,
    /// Every tensor after the step, furthest from the CPU's first.
    pub worst: Vec<TensorDiff>,
}

/// The same network (built on the CPU and copied) trained for a few steps on the same records
/// on the CPU and on the active backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingCheck {
    pub preset: Preset,
    pub backend: BackendKind,
    pub batch: usize,
    pub steps: Vec<StepCheck>,
    /// The momentum here after the run was saved halfway and resumed from the checkpoint,
    /// against the momentum just before saving (all zero differences: the checkpoint carried
    /// it exactly), furthest first.
    pub momentum: Vec<TensorDiff>,
    /// Every loss finite and within 2% of the CPU's, and every weight and momentum finite.
    pub agrees: bool,
}

/// One kind of layer's input and weight gradients on the active backend against the CPU's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpCheck {
    pub name: String,
    /// Largest finite difference relative to the CPU gradient's largest magnitude.
    pub worst_relative: f32,
    pub non_finite: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_run_from_before_the_rename_still_reads() {
        let mut old = serde_json::to_value(TrainSettings::default()).unwrap();
        let object = old.as_object_mut().unwrap();
        object.remove("lookahead");
        object.remove("seed");
        object.insert("ema".into(), false.into());
        object.insert("translate".into(), true.into());
        let settings: TrainSettings = serde_json::from_value(old).unwrap();
        assert!(!settings.lookahead);
        assert_eq!(settings.translate, RECIPE_TRANSLATE);
        assert_eq!(settings.seed, 0);
        let mut none = serde_json::to_value(TrainSettings::default()).unwrap();
        none["translate"] = false.into();
        let settings: TrainSettings = serde_json::from_value(none).unwrap();
        assert_eq!(settings.translate, 0);
    }
}
