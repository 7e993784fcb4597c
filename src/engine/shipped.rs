//! The shipped weights: `weights/index.json` lists them, each with its model card's accuracy.

use serde::Deserialize;

use super::fetch::fetch_bytes;
use crate::model::Preset;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ShippedIndex {
    pub models: Vec<ShippedModel>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ShippedModel {
    pub preset: Preset,
    /// Path relative to `weights/`.
    pub file: String,
    pub test_accuracy: Option<f32>,
}

impl ShippedIndex {
    /// Reads `weights/index.json`; a missing index means nothing ships.
    pub async fn fetch() -> Result<Self, String> {
        let bytes = fetch_bytes("weights/index.json").await?;
        serde_json::from_slice(&bytes).map_err(|e| format!("weights/index.json: {e}"))
    }

    pub fn get(&self, preset: Preset) -> Option<&ShippedModel> {
        self.models.iter().find(|m| m.preset == preset)
    }

    /// `full` when it ships (the best model), else whatever ships, else `fast` untrained.
    pub fn default_preset(&self) -> Preset {
        [Preset::Full, Preset::Fast, Preset::Baseline]
            .into_iter()
            .find(|&p| self.get(p).is_some())
            .unwrap_or(Preset::Fast)
    }
}
