//! The shipped weights: `weights/index.json` lists them, each with its model card's accuracy.

use serde::Deserialize;

use super::EngineError;
use super::fetch::fetch_bytes;

/// Largest index or model card read (a real one is a few KB).
const MAX_JSON_BYTES: usize = 1 << 20;
use pinhole_compute::model::Preset;
use pinhole_core::protocol::ModelCard;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ShippedIndex {
    pub models: Vec<ShippedModel>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ShippedModel {
    pub preset: Preset,
    /// Path relative to `weights/`.
    pub file: String,
    /// The model card, relative to `weights/`.
    pub card: Option<String>,
    pub test_accuracy: Option<f32>,
}

impl ShippedIndex {
    /// Reads `weights/index.json` (as `?build=<build>`, so no cache can give another build's
    /// list); a missing index means nothing ships.
    pub async fn fetch() -> Result<Self, EngineError> {
        let url = match build() {
            Some(build) => format!("weights/index.json?build={build}"),
            None => "weights/index.json".into(),
        };
        let bytes = fetch_bytes(&url, MAX_JSON_BYTES).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| EngineError::Network(format!("weights/index.json: {e}")))
    }

    /// The model card of shipped weights (what the index says when the card cannot be read).
    pub async fn card(model: &ShippedModel) -> ModelCard {
        let origin = format!("shipped with the page (weights/{})", model.file);
        let read = async {
            let file = model.card.as_ref().ok_or("no model card is listed")?;
            let bytes = fetch_bytes(&format!("weights/{file}"), MAX_JSON_BYTES)
                .await
                .map_err(|e| e.to_string())?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| format!("weights/{file}: {e}"))
        };
        match read.await {
            Ok(card) => ModelCard::from_card_json(&origin, &card),
            Err(reason) => ModelCard {
                origin,
                test_accuracy: model.test_accuracy.map(f64::from),
                notes: Some(format!("The model card could not be read: {reason}.")),
                ..ModelCard::default()
            },
        }
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

/// This build's version, from the worker's own script name (`engine_loader-<build>.js`, named by
/// scripts/pwa.py); `None` for a build without the hook.
fn build() -> Option<String> {
    let scope: web_sys::WorkerGlobalScope = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
    let path = scope.location().pathname();
    let name = path.rsplit('/').next()?;
    let build = name.strip_prefix("engine_loader-")?.strip_suffix(".js")?;
    (build.len() == 12 && build.bytes().all(|b| b.is_ascii_hexdigit())).then(|| build.to_string())
}
