//! The insight pages' work in the engine: record sets read from shards (kept for the next
//! request), evaluation as a job advanced batch by batch, the data explorer, the augmentation
//! preview and the layer-by-layer anatomy.

mod anatomy;
mod evaluation;
mod record_sets;

use burn::tensor::Device;

use crate::EngineError;
use crate::cpu_pool::CpuPool;
use crate::worker::{Reporter, finish};
use evaluation::EvaluationRun;
use pinhole_compute::data::{IMAGE_BYTES, channel_statistics, class_counts, samples_per_class};
use pinhole_compute::model::Classifier;
use pinhole_compute::train::{flip_horizontal, translate_reflect};
use pinhole_compute::vision::planar_png;
use pinhole_core::protocol::{DataSummary, InspectImage, RecordSet, Reply};
pub use record_sets::{LoadedSet, RecordSets};

/// Samples of each class in the explorer's grid.
const SAMPLES_PER_CLASS: usize = 8;
/// The furthest a preview may shift an image (training uses ±2).
const MAX_SHIFT: i32 = 8;

/// The insight pages' state between requests: the record sets read, and the evaluation in
/// progress (at most one).
#[derive(Default)]
pub struct Insight {
    pub sets: RecordSets,
    evaluation: Option<EvaluationRun>,
}

impl Insight {
    /// Starts evaluating `model` on a set (cancelling the evaluation in progress); its outcome
    /// comes from [`Insight::tick`] once the last batch is done.
    #[allow(clippy::too_many_arguments)]
    pub async fn evaluate(
        &mut self,
        reporter: Reporter,
        set: RecordSet,
        limit: Option<usize>,
        tta: bool,
        model: Classifier,
        model_name: String,
        device: Device,
        pool: Option<(CpuPool, u64)>,
    ) -> Result<(), EngineError> {
        self.cancel("a new evaluation started");
        let loaded = self.sets.get(&set, reporter).await?;
        self.evaluation = Some(EvaluationRun::new(
            reporter, set, loaded, limit, tta, model, model_name, device, pool,
        ));
        Ok(())
    }

    pub fn evaluating(&self) -> bool {
        self.evaluation.is_some()
    }

    /// Ends the evaluation in progress with a `Cancelled` failure; false if there was none.
    pub fn cancel(&mut self, why: &str) -> bool {
        match self.evaluation.take() {
            Some(run) => {
                let error = EngineError::Cancelled(format!("Evaluation cancelled: {why}."));
                finish(run.reporter.id, Err(error.into()));
                true
            }
            None => false,
        }
    }

    /// The next batch of the evaluation in progress; after the last, its outcome.
    pub async fn tick(&mut self) {
        let Some(run) = self.evaluation.as_mut() else {
            return;
        };
        let id = run.reporter.id;
        match run.tick().await {
            Ok(None) => {}
            Ok(Some(evaluation)) => {
                self.evaluation = None;
                finish(
                    id,
                    Ok(Reply::Evaluated {
                        evaluation: Box::new(evaluation),
                    }),
                );
            }
            Err(error) => {
                self.evaluation = None;
                finish(id, Err(error.into()));
            }
        }
    }

    pub async fn record_images(
        &mut self,
        set: RecordSet,
        indices: &[usize],
        reporter: Reporter,
    ) -> Result<Reply, EngineError> {
        let loaded = self.sets.get(&set, reporter).await?;
        let images = indices
            .iter()
            .map(|&i| loaded.image(i))
            .collect::<Result<_, _>>()?;
        Ok(Reply::RecordImages { set, images })
    }

    pub async fn explore(
        &mut self,
        set: RecordSet,
        reporter: Reporter,
    ) -> Result<Reply, EngineError> {
        let loaded = self.sets.get(&set, reporter).await?;
        Ok(Reply::DataExplored {
            summary: Box::new(summarize(&set, &loaded)?),
        })
    }

    pub async fn augment(
        &mut self,
        set: RecordSet,
        index: usize,
        flip: bool,
        (dx, dy): (i32, i32),
        reporter: Reporter,
    ) -> Result<Reply, EngineError> {
        let loaded = self.sets.get(&set, reporter).await?;
        let png = augment(&loaded, index, flip, dx, dy)?;
        Ok(Reply::Augmented {
            index,
            flip,
            dx,
            dy,
            png,
        })
    }

    pub async fn inspect(
        &mut self,
        image: InspectImage,
        model: &Classifier,
        device: &Device,
        reporter: Reporter,
    ) -> Result<Reply, EngineError> {
        let (name, pixels) = match image {
            InspectImage::Pixels { name, pixels } => {
                let pixels: Box<[u8; IMAGE_BYTES]> =
                    pixels
                        .into_boxed_slice()
                        .try_into()
                        .map_err(|p: Box<[u8]>| {
                            EngineError::InvalidRequest(format!(
                                "{name}: {} bytes are not a 32×32 RGB image",
                                p.len()
                            ))
                        })?;
                (name, pixels)
            }
            InspectImage::Record { set, index } => {
                let loaded = self.sets.get(&set, reporter).await?;
                let pixels = Box::new(*loaded.pixels(index)?);
                (format!("record {index} of {}", loaded.files), pixels)
            }
        };
        let anatomy = anatomy::inspect(model, device, name, &pixels).await?;
        Ok(Reply::Inspected {
            anatomy: Box::new(anatomy),
        })
    }
}

/// Class histogram, channel statistics and samples of each class.
fn summarize(set: &RecordSet, loaded: &LoadedSet) -> Result<DataSummary, EngineError> {
    let (mean, std) = channel_statistics(&loaded.records);
    let samples = samples_per_class(&loaded.records, SAMPLES_PER_CLASS)
        .into_iter()
        .map(|indices| indices.into_iter().map(|i| loaded.image(i)).collect())
        .collect::<Result<_, EngineError>>()?;
    Ok(DataSummary {
        set: set.clone(),
        files: loaded.files.clone(),
        records: loaded.records.len(),
        class_counts: class_counts(&loaded.records),
        mean,
        std,
        samples,
    })
}

/// A record mirrored and/or shifted (reflect-padded), as training augments it, as a PNG.
fn augment(
    loaded: &LoadedSet,
    index: usize,
    flip: bool,
    dx: i32,
    dy: i32,
) -> Result<Vec<u8>, EngineError> {
    if dx.abs() > MAX_SHIFT || dy.abs() > MAX_SHIFT {
        return Err(EngineError::InvalidRequest(format!(
            "a shift of ({dx}, {dy}) px is more than the ±{MAX_SHIFT} px a preview shows"
        )));
    }
    let mut pixels = *loaded.pixels(index)?;
    if flip {
        pixels = flip_horizontal(&pixels);
    }
    pixels = translate_reflect(&pixels, dx as isize, dy as isize);
    Ok(planar_png(&pixels))
}
