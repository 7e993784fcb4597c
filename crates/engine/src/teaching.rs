//! Teach requests: an image file as a sample, and a head taught for the visitor's classes on
//! the active backend, from the shipped backbone's features ([`pinhole_compute::teach::teach_with`]). On
//! the CPU the features come from the packed kernels, split across the CPU pool when its
//! workers hold a network with the backbone's features (the shipped one, or a head taught on
//! it); on WebGPU from Burn.

use burn::tensor::{Device, Tensor, TensorData};
use serde_bytes::ByteBuf;

use super::EngineError;
use super::backend;
use super::cpu_pool::CpuPool;
use super::models::Models;
use super::pool_helper::planar_features;
use super::worker::{Reporter, now_ms};
use pinhole_compute::data::{IMAGE_BYTES, PlanarImages, images_to_tensor};
use pinhole_compute::model::{
    Classifier, FoldedClassifier, PackedAirbench, Precision, save_network_as, to_device_async,
};
use pinhole_compute::teach::{TeachError, TeachProgress, TeachSettings, teach_with};
use pinhole_compute::vision::sample_from_file;
use pinhole_core::protocol::{MAX_IMAGE_FILE_BYTES, Progress, Reply, too_large};

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
    models: &mut Models,
    pool: &CpuPool,
    classes: Vec<String>,
    samples: Vec<Vec<ByteBuf>>,
    settings: TeachSettings,
    reporter: Reporter,
) -> Result<Reply, EngineError> {
    settings
        .check()
        .map_err(|e| EngineError::InvalidRequest(e.to_string()))?;
    let backbone = models.backbone(settings.backbone, &reporter).await?;
    let borrowed: Vec<Vec<&[u8]>> = samples
        .iter()
        .map(|class| class.iter().map(|s| s.as_slice()).collect())
        .collect();
    let device = models.device.clone();
    // On the CPU (where the classifier is packed) the backbone runs on the packed kernels too.
    let packed = models.packed.as_ref().and_then(|_| pack(&backbone));
    // The pool's workers hold the classifier's network: theirs are the backbone's features when
    // it is the backbone or a head taught on it.
    let pooled = match (&packed, &models.packed) {
        (Some(backbone), Some(classifier)) if classifier.same_features_as(backbone) => {
            Some(models.generation)
        }
        _ => None,
    };
    // The most workers that shared a batch of views.
    let mut workers = 1;
    let features = async |views: &[Box<[u8; IMAGE_BYTES]>]| match &packed {
        Some(packed) => {
            if let Some(generation) = pooled {
                workers = workers.max(pool.helpers_holding(generation).len() + 1);
            }
            packed_features(packed, pool, pooled, views, &device).await
        }
        None => Ok(backbone.features(images_to_tensor(views.iter().map(|v| &**v), &device))),
    };
    let mut taught = teach_with(
        &backbone,
        features,
        &classes,
        &borrowed,
        &settings,
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
    taught.report.features_by = match (&packed, workers) {
        (None, _) => format!("Burn on {}", models.status.kind.label()),
        (Some(_), 1) => "the CPU kernels".into(),
        (Some(_), n) => format!("the CPU kernels on {n} workers"),
    };
    let host = to_device_async(&taught.network.model, &backend::cpu()).await?;
    let weights = save_network_as(host, &taught.network.classes, Precision::Full)?;
    Ok(Reply::Taught {
        file_name: format!("pinhole-{}-your-classes.bin", backbone.preset()),
        weights,
        report: Box::new(taught.report),
    })
}

/// `backbone` folded and packed for the CPU's kernels (`None`: a network they do not run).
fn pack(backbone: &Classifier) -> Option<PackedAirbench> {
    let cpu = backend::cpu();
    let folded = FoldedClassifier::fold(backbone, &cpu, &cpu);
    match folded.pack()? {
        Ok(packed) => Some(packed),
        Err(e) => {
            // Burn computes the features instead: slower, the same head.
            web_sys::console::warn_1(&format!("Teach features on Burn: {e}").into());
            None
        }
    }
}

/// The packed backbone's features of `views` on `device`: split across the CPU pool's workers
/// that hold network `pooled`, or computed here alone.
async fn packed_features(
    packed: &PackedAirbench,
    pool: &CpuPool,
    pooled: Option<u64>,
    views: &[Box<[u8; IMAGE_BYTES]>],
    device: &Device,
) -> Result<Tensor<2>, TeachError> {
    let images = PlanarImages::from_images(views.iter().map(|v| &**v));
    let values = match pooled {
        Some(generation) => pool.features(packed, generation, &images).await,
        None => planar_features(packed, &images),
    };
    let width = packed.feature_width();
    if values.len() != views.len() * width {
        return Err(TeachError::Features(format!(
            "{} values for {} views of {width} features",
            values.len(),
            views.len()
        )));
    }
    Ok(Tensor::from_data(
        TensorData::new(values, [views.len(), width]),
        device,
    ))
}
