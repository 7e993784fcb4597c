//! Teaching end to end: check the classes and samples, split off the held-out samples, compute
//! the backbone's features once per training view, fit the head, score it, and put the head on
//! the backbone. The engine, the CLI and the tests call this one function.

use burn::tensor::{Device, Tensor};

use super::classes::{ClassesError, check_teachable};
use super::head::fit_head;
use super::held_out_split;
use super::{ClassScore, TeachReport};
use super::{FEW_SAMPLES, TeachPoint, TeachSettings, TeachSettingsError};
use crate::data::{IMAGE_BYTES, images_to_tensor};
use crate::model::{Classifier, Network, ReadbackError};
use crate::vision::{sample_input, sample_views};

/// Views per feature batch: bounded memory on any device.
const FEATURE_BATCH: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum TeachError {
    #[error("{0}")]
    Settings(#[from] TeachSettingsError),
    #[error("{0}")]
    Classes(#[from] ClassesError),
    #[error("{0}")]
    Readback(#[from] ReadbackError),
    #[error("the backbone's features: {0}")]
    Features(String),
}

/// What teaching made: the backbone with the new head, and what was measured.
pub struct Taught {
    pub network: Network,
    pub report: TeachReport,
}

/// What teaching reports as it goes.
pub enum TeachProgress<'a> {
    Features { done: usize, total: usize },
    Point(&'a TeachPoint),
}

/// Teaches `classes` (names) from `samples[c]` (96×96 RGB samples of class `c`) on `backbone`'s
/// device; `now_ms` is the clock (the browser's or the system's); `progress` sees the work.
pub async fn teach(
    backbone: &Classifier,
    classes: &[String],
    samples: &[Vec<&[u8]>],
    settings: &TeachSettings,
    device: &Device,
    now_ms: impl Fn() -> f64,
    progress: impl FnMut(TeachProgress),
) -> Result<Taught, TeachError> {
    let features = async |views: &[Box<[u8; IMAGE_BYTES]>]| {
        let images = images_to_tensor(views.iter().map(|b| &**b), device);
        Ok(backbone.features(images))
    };
    let mut taught = teach_with(
        backbone, features, classes, samples, settings, now_ms, progress,
    )
    .await?;
    taught.report.features_by = "Burn".into();
    Ok(taught)
}

/// [`teach`] with the backbone's features computed by `compute`: `[views, num_features]` for a
/// batch of 32×32 planar views, on the device the head is to be fitted on. Burn's forward pass
/// ([`teach`]), or in the browser on the CPU the packed kernels split across the worker pool.
pub async fn teach_with(
    backbone: &Classifier,
    mut compute: impl AsyncFnMut(&[Box<[u8; IMAGE_BYTES]>]) -> Result<Tensor<2>, TeachError>,
    classes: &[String],
    samples: &[Vec<&[u8]>],
    settings: &TeachSettings,
    now_ms: impl Fn() -> f64,
    mut progress: impl FnMut(TeachProgress),
) -> Result<Taught, TeachError> {
    settings.check()?;
    check_teachable(classes, samples)?;
    let mut warnings = Vec::new();
    for (name, class) in classes.iter().zip(samples) {
        if class.len() < FEW_SAMPLES {
            warnings.push(match class.len() {
                1 => format!(
                    "{name:?} has one sample: none can be held out, so its accuracy is not measured. Add at least {FEW_SAMPLES}."
                ),
                n => format!(
                    "{name:?} has only {n} samples: add at least {FEW_SAMPLES} (from different angles and backgrounds) for a head that generalises."
                ),
            });
        }
    }

    let counts: Vec<usize> = samples.iter().map(Vec::len).collect();
    let split = held_out_split(&counts, settings.held_out, settings.seed);
    let start = now_ms();
    let mut train_views = Vec::new();
    let mut train_labels = Vec::new();
    for &(class, i) in &split.train {
        let views = sample_views(samples[class][i], settings.shifts).expect("lengths checked");
        train_labels.extend(std::iter::repeat_n(class, views.len()));
        train_views.extend(views);
    }
    let held_views: Vec<Box<[u8; IMAGE_BYTES]>> = split
        .held_out
        .iter()
        .map(|&(class, i)| sample_input(samples[class][i]).expect("lengths checked"))
        .collect();
    let held_labels: Vec<usize> = split.held_out.iter().map(|&(class, _)| class).collect();
    let total = train_views.len() + held_views.len();
    let mut done = 0;
    let mut features = async |views: &[Box<[u8; IMAGE_BYTES]>]| {
        let mut parts = Vec::new();
        for batch in views.chunks(FEATURE_BATCH) {
            parts.push(compute(batch).await?);
            done += batch.len();
            progress(TeachProgress::Features { done, total });
        }
        Ok::<_, TeachError>((!parts.is_empty()).then(|| Tensor::cat(parts, 0)))
    };
    let train_features = features(&train_views)
        .await?
        .expect("every class has a training sample");
    let held_features = features(&held_views).await?;
    // The features are lazy on some devices: the first read in the fit waits for them; the
    // time split is only as exact as the device's queue.
    let feature_ms = now_ms() - start;

    let head_start = now_ms();
    let fit = fit_head(
        train_features,
        &train_labels,
        classes.len(),
        held_features.map(|f| (f, held_labels.as_slice())),
        backbone.head_scale(),
        settings,
        |point| progress(TeachProgress::Point(point)),
    )
    .await?;
    let head_ms = now_ms() - head_start;

    let k = classes.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&truth, &predicted) in held_labels.iter().zip(&fit.held_out_predictions) {
        confusion[truth][predicted.min(k - 1)] += 1;
    }
    let scores = classes
        .iter()
        .enumerate()
        .map(|(c, name)| ClassScore {
            name: name.clone(),
            trained: split.train.iter().filter(|(k, _)| *k == c).count(),
            held_out: confusion[c].iter().sum(),
            correct: confusion[c][c],
        })
        .collect();
    let model = backbone.clone().with_head(fit.weight);
    Ok(Taught {
        network: Network {
            model,
            classes: classes.iter().map(|c| c.trim().to_string()).collect(),
        },
        report: TeachReport {
            backbone: backbone.preset().to_string(),
            classes: scores,
            confusion,
            curve: fit.curve,
            views: train_views.len(),
            feature_ms,
            // The caller knows what `compute` was.
            features_by: String::new(),
            head_ms,
            warnings,
        },
    })
}
