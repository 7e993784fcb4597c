//! Messages of the insight pages: evaluation on the test split, the data explorer, the network's
//! anatomy and the model card.

use serde::{Deserialize, Serialize};

use crate::data::{NUM_CLASSES, Split};
use crate::model::Preset;
use crate::train::EvalReport;

/// Records of a shard set: the manifest's test shards, or its first training shard.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordSet {
    pub manifest: String,
    pub split: Split,
}

/// One record as a picture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordImage {
    pub index: usize,
    pub label: u8,
    #[serde(with = "serde_bytes")]
    pub png: Vec<u8>,
}

/// The current model over a record set, without and with flip + translate TTA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub set: RecordSet,
    /// What was evaluated, e.g. "fast.bin (fast)".
    pub model: String,
    /// The true class of every record, in order.
    pub labels: Vec<u8>,
    pub plain: EvalReport,
    pub tta: Option<EvalReport>,
    /// The most confident mistakes of either report, with their pictures.
    pub mistakes: Vec<RecordImage>,
    pub seconds: f64,
}

/// What a record set looks like.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub set: RecordSet,
    /// Where the records came from, e.g. "test-000.bin, test-001.bin".
    pub files: String,
    pub records: usize,
    pub class_counts: [usize; NUM_CLASSES],
    /// Per channel (R, G, B), pixels in `[0, 1]`.
    pub mean: [f64; 3],
    pub std: [f64; 3],
    /// The first few records of each class, class by class.
    pub samples: Vec<Vec<RecordImage>>,
}

/// The image the anatomy page runs through the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InspectImage {
    /// 32×32 planar RGB (an uploaded image as the model saw it).
    Pixels {
        name: String,
        #[serde(with = "serde_bytes")]
        pixels: Vec<u8>,
    },
    /// A record of a record set.
    Record { set: RecordSet, index: usize },
}

/// One row of the architecture table, with its feature maps for the inspected image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerView {
    pub name: String,
    pub detail: String,
    pub parameters: usize,
    pub shape: Vec<usize>,
    /// The first channels of its output as a grid of grey tiles (spatial outputs only).
    #[serde(with = "serde_bytes")]
    pub maps: Vec<u8>,
    pub maps_shown: usize,
    pub maps_columns: usize,
}

/// The loaded network, layer by layer, for one image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anatomy {
    pub preset: Preset,
    pub image_name: String,
    #[serde(with = "serde_bytes")]
    pub image_png: Vec<u8>,
    pub layers: Vec<LayerView>,
    pub total_parameters: usize,
    pub first_layer: String,
    /// The first layer's filters as colour tiles (mid-grey = 0).
    #[serde(with = "serde_bytes")]
    pub filters: Vec<u8>,
    pub filters_shown: usize,
    pub filters_columns: usize,
    /// `[height, width]` of one filter.
    pub filter_size: [usize; 2],
    /// The class the network gives the image, and its probability.
    pub predicted: usize,
    pub confidence: f32,
}

/// What is known about the loaded weights: the model card of shipped weights, or what the page
/// knows of trained or imported ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// e.g. "shipped with the page", "trained in this tab", "imported file".
    pub origin: String,
    pub test_accuracy: Option<f64>,
    pub test_accuracy_tta: Option<f64>,
    pub test_records: Option<usize>,
    pub data: Option<String>,
    /// Recipe entries (name, value), in the card's order.
    pub recipe: Vec<(String, String)>,
    pub epochs: Option<usize>,
    pub date: Option<String>,
    pub trained_on: Option<String>,
    pub command: Option<String>,
    pub notes: Option<String>,
}

impl ModelCard {
    /// From a model card file (`weights/*.json`); fields it lacks stay empty.
    pub fn from_card_json(origin: &str, card: &serde_json::Value) -> Self {
        let text = |key: &str| card.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let number = |key: &str| card.get(key).and_then(|v| v.as_f64());
        let count = |key: &str| card.get(key).and_then(|v| v.as_u64()).map(|n| n as usize);
        let recipe = card
            .get("recipe")
            .and_then(|r| r.as_object())
            .map(|entries| {
                entries
                    .iter()
                    .map(|(k, v)| {
                        let value = v
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string());
                        (k.clone(), value)
                    })
                    .collect()
            })
            .unwrap_or_default();
        ModelCard {
            origin: origin.to_string(),
            test_accuracy: number("test_accuracy"),
            test_accuracy_tta: number("test_accuracy_tta"),
            test_records: count("test_records"),
            data: text("data"),
            recipe,
            epochs: count("epochs"),
            date: text("date"),
            trained_on: text("trained_on"),
            command: text("training_command"),
            notes: text("notes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_card_reads_into_a_model_card() {
        let json = std::fs::read(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/weights/fast.json"
        ))
        .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let card = ModelCard::from_card_json("shipped with the page", &value);
        assert_eq!(card.test_accuracy, value["test_accuracy"].as_f64());
        assert!(card.test_accuracy.is_some_and(|a| a > 0.5));
        assert_eq!(card.test_records, Some(10_000));
        assert!(card.date.is_some(), "the card has a date");
        assert!(card.recipe.iter().any(|(k, v)| k == "seed" && v == "1"));
        assert!(card.recipe.iter().any(|(k, _)| k == "optimizer"));
    }
}
