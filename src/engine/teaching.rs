//! Teach requests: an image file as a sample, and a head taught for the visitor's classes on
//! the active backend, from the shipped backbone's features ([`crate::teach::teach`]).

use serde_bytes::ByteBuf;

use super::EngineError;
use super::backend;
use super::model_store::ModelStore;
use super::worker::{Reporter, now_ms};
use crate::model::{Precision, save_network_as, to_device_async};
use crate::protocol::{MAX_IMAGE_FILE_BYTES, Progress, Reply, too_large};
use crate::teach::{TeachProgress, TeachSettings, teach};
use crate::vision::sample_from_file;

/// An image file's centre square at 96×96 (decoded under the classifier's limits).
pub fn make_sample(name: String, bytes: &[u8]) -> Result<Reply, EngineError> {
    if let Some(message) = too_large(&name, bytes.len() as u64, MAX_IMAGE_FILE_BYTES, "an image") {
        return Err(EngineError::InvalidRequest(message));
    }
    let rgb = sample_from_file(bytes, &name)?;
    Ok(Reply::Sample { name, rgb })
}

/// Teaches `classes` from `samples`; progress reports the features, then each point of the fit.
pub async fn teach_classes(
    store: &mut ModelStore,
    classes: Vec<String>,
    samples: Vec<Vec<ByteBuf>>,
    settings: TeachSettings,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    settings
        .check()
        .map_err(|e| EngineError::InvalidRequest(e.to_string()))?;
    let backbone = store.backbone(settings.backbone, &reporter).await?;
    let borrowed: Vec<Vec<&[u8]>> = samples
        .iter()
        .map(|class| class.iter().map(|s| s.as_slice()).collect())
        .collect();
    let device = store.device.clone();
    let taught = teach(
        &backbone,
        &classes,
        &borrowed,
        &settings,
        &device,
        now_ms,
        |progress| match progress {
            TeachProgress::Features { done, total } => reporter.step(
                format!("Computing features: {done} of {total} views"),
                done,
                total,
            ),
            TeachProgress::Point(point) => reporter.progress(Progress::TeachPoint {
                point: point.clone(),
            }),
        },
    )
    .await?;
    let host = to_device_async(&taught.network.model, &backend::cpu()).await?;
    let weights = save_network_as(host, &taught.network.classes, Precision::Full)?;
    Ok(Reply::Taught {
        file_name: format!("pinhole-{}-your-classes.bin", backbone.preset()),
        weights,
        report: Box::new(taught.report),
    })
}
