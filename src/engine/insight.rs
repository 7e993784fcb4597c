//! The insight pages' work in the engine: record sets read from shards (kept for the next
//! request), evaluation as a job the runner advances batch by batch (so other requests get
//! through and it can be cancelled), the data explorer and the layer-by-layer anatomy.

use std::collections::HashMap;
use std::rc::Rc;

use burn::tensor::{Device, Tensor};

use super::shards::ShardSet;
use super::{now_ms, post};
use crate::data::{
    CifarRecord, IMAGE_BYTES, NUM_CLASSES, Split, channel_statistics, class_counts,
    images_to_tensor, samples_per_class,
};
use crate::model::{Classifier, top_k};
use crate::protocol::{
    Anatomy, DataSummary, Evaluation, Event, InsightPage, LayerView, RecordImage, RecordSet,
};
use crate::train::{EvalReport, class_probabilities_async, flip_horizontal, translate_reflect};
use crate::vision::{feature_mosaic, filter_mosaic, planar_png};

/// Records per evaluation batch: one engine turn each.
const EVAL_BATCH: usize = 50;
/// Mistakes shown per report.
const MISTAKES: usize = 16;
/// Samples of each class in the explorer's grid.
const SAMPLES_PER_CLASS: usize = 8;
/// Feature maps shown per layer.
const MAPS_SHOWN: usize = 16;
/// The furthest a preview may shift an image (training uses ±2).
const MAX_SHIFT: i32 = 8;

/// Records read from a set's shards.
pub struct LoadedSet {
    /// The shard files, e.g. "test-000.bin, test-001.bin".
    pub files: String,
    pub records: Vec<CifarRecord>,
}

impl LoadedSet {
    fn record(&self, index: usize) -> Result<&CifarRecord, String> {
        self.records.get(index).ok_or_else(|| {
            format!(
                "there is no record {index} in {} ({} records)",
                self.files,
                self.records.len()
            )
        })
    }

    pub fn image(&self, index: usize) -> Result<RecordImage, String> {
        let record = self.record(index)?;
        Ok(RecordImage {
            index,
            label: record.label,
            png: planar_png(&record.pixels),
        })
    }

    pub fn pixels(&self, index: usize) -> Result<&[u8; IMAGE_BYTES], String> {
        Ok(&self.record(index)?.pixels)
    }
}

/// Record sets already read, by manifest and split.
#[derive(Default)]
pub struct RecordSets {
    sets: HashMap<RecordSet, Rc<LoadedSet>>,
}

impl RecordSets {
    /// The set's records: a manifest's test shards, or its first training shard (one shard is
    /// plenty to look at, and the whole training split would be five times the memory).
    /// Progress goes to `page`, or to the busy line without one.
    pub async fn get(
        &mut self,
        set: &RecordSet,
        page: Option<InsightPage>,
    ) -> Result<Rc<LoadedSet>, String> {
        if let Some(loaded) = self.sets.get(set) {
            return Ok(loaded.clone());
        }
        let shards = ShardSet::open(&set.manifest).await?;
        let of_split = shards
            .manifest
            .shards
            .iter()
            .filter(|s| s.split == set.split);
        let entries: Vec<_> = match set.split {
            Split::Test => of_split.cloned().collect(),
            Split::Train => of_split.take(1).cloned().collect(),
        };
        if entries.is_empty() {
            return Err(format!(
                "{} lists no {} shard",
                set.manifest,
                split_name(set.split)
            ));
        }
        let mut records = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let message = format!("Reading {} ({} of {})…", entry.file, i + 1, entries.len());
            post(&match page {
                Some(page) => Event::InsightProgress {
                    page,
                    message,
                    done: i,
                    total: entries.len(),
                },
                None => Event::Busy { message },
            });
            records.extend(shards.load(entry).await?.0);
        }
        let files = entries
            .iter()
            .map(|e| e.file.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let loaded = Rc::new(LoadedSet { files, records });
        self.sets.insert(set.clone(), loaded.clone());
        Ok(loaded)
    }
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Train => "training",
        Split::Test => "test",
    }
}

/// The classifier over a record set, a batch per [`EvaluationRun::tick`].
pub struct EvaluationRun {
    set: RecordSet,
    model: Classifier,
    model_name: String,
    device: Device,
    loaded: Rc<LoadedSet>,
    count: usize,
    tta: bool,
    plain: Vec<[f32; NUM_CLASSES]>,
    with_tta: Vec<[f32; NUM_CLASSES]>,
    started_ms: f64,
}

impl EvaluationRun {
    pub fn new(
        set: RecordSet,
        loaded: Rc<LoadedSet>,
        limit: Option<usize>,
        tta: bool,
        model: Classifier,
        model_name: String,
        device: Device,
    ) -> Self {
        let count = limit.unwrap_or(usize::MAX).min(loaded.records.len());
        EvaluationRun {
            set,
            model,
            model_name,
            device,
            loaded,
            count,
            tta,
            plain: Vec::with_capacity(count),
            with_tta: Vec::new(),
            started_ms: now_ms(),
        }
    }

    /// One batch; after the last, the finished evaluation.
    pub async fn tick(&mut self) -> Result<Option<Evaluation>, String> {
        let done = self.plain.len();
        let end = (done + EVAL_BATCH).min(self.count);
        let loaded = self.loaded.clone();
        let batch = class_probabilities_async(
            &self.model,
            &loaded.records[done..end],
            self.tta,
            &self.device,
        )
        .await?;
        self.plain.extend(batch.plain);
        self.with_tta.extend(batch.tta.unwrap_or_default());
        post(&Event::InsightProgress {
            page: InsightPage::Evaluate,
            message: format!(
                "Evaluated {end} of {} records{}",
                self.count,
                if self.tta {
                    " (with and without TTA)"
                } else {
                    ""
                }
            ),
            done: end,
            total: self.count,
        });
        if end < self.count {
            return Ok(None);
        }
        let labels: Vec<u8> = loaded.records[..self.count]
            .iter()
            .map(|r| r.label)
            .collect();
        let plain = EvalReport::from_probabilities(&labels, &self.plain);
        let tta = self
            .tta
            .then(|| EvalReport::from_probabilities(&labels, &self.with_tta));
        let mut shown: Vec<usize> = plain.confident_mistakes(&labels, MISTAKES);
        if let Some(tta) = &tta {
            shown.extend(tta.confident_mistakes(&labels, MISTAKES));
        }
        shown.sort_unstable();
        shown.dedup();
        let mistakes = shown
            .into_iter()
            .map(|i| loaded.image(i))
            .collect::<Result<_, _>>()?;
        Ok(Some(Evaluation {
            set: self.set.clone(),
            model: self.model_name.clone(),
            labels,
            plain,
            tta,
            mistakes,
            seconds: (now_ms() - self.started_ms) / 1000.0,
        }))
    }
}

/// Class histogram, channel statistics and samples of each class.
pub fn summarize(set: &RecordSet, loaded: &LoadedSet) -> Result<DataSummary, String> {
    let (mean, std) = channel_statistics(&loaded.records);
    let samples = samples_per_class(&loaded.records, SAMPLES_PER_CLASS)
        .into_iter()
        .map(|indices| indices.into_iter().map(|i| loaded.image(i)).collect())
        .collect::<Result<_, String>>()?;
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
pub fn augment(
    loaded: &LoadedSet,
    index: usize,
    flip: bool,
    dx: i32,
    dy: i32,
) -> Result<Vec<u8>, String> {
    if dx.abs() > MAX_SHIFT || dy.abs() > MAX_SHIFT {
        return Err(format!(
            "a shift of ({dx}, {dy}) px is more than the ±{MAX_SHIFT} px a preview shows"
        ));
    }
    let mut pixels = *loaded.pixels(index)?;
    if flip {
        pixels = flip_horizontal(&pixels);
    }
    pixels = translate_reflect(&pixels, dx as isize, dy as isize);
    Ok(planar_png(&pixels))
}

/// The network layer by layer on one image: the architecture table, each layer's first feature
/// maps, the first layer's filters and the prediction.
pub async fn inspect(
    model: &Classifier,
    device: &Device,
    image_name: String,
    pixels: &[u8; IMAGE_BYTES],
) -> Result<Anatomy, String> {
    let traces = model.trace(images_to_tensor([pixels], device));
    let total_parameters = traces.iter().map(|t| t.parameters).sum();
    let mut layers = Vec::with_capacity(traces.len());
    let mut logits = Vec::new();
    for trace in traces {
        let (mut maps, mut maps_shown, mut maps_columns) = (Vec::new(), 0, 0);
        if let [channels, height, width] = trace.shape[..]
            && height > 1
        {
            let shown = channels.min(MAPS_SHOWN);
            let what = format!("the {} maps", trace.name);
            let values = read_floats(trace.output.narrow(1, 0, shown), &what).await?;
            let mosaic = feature_mosaic(&values, shown, height, width, shown);
            (maps, maps_shown, maps_columns) = (mosaic.png, mosaic.tiles, mosaic.columns);
        } else if trace.shape == [NUM_CLASSES] {
            logits = read_floats(trace.output, "the logits").await?;
        }
        layers.push(LayerView {
            name: trace.name,
            detail: trace.detail,
            parameters: trace.parameters,
            shape: trace.shape,
            maps,
            maps_shown,
            maps_columns,
        });
    }
    let first = model.first_layer();
    let [filters, _, height, width] = first.weights.dims();
    let weights = read_floats(first.weights, "the filters").await?;
    let mosaic = filter_mosaic(&weights, filters, height, width);
    let top = top_k(&logits, 1)
        .into_iter()
        .next()
        .ok_or("the network gave no logits")?;
    Ok(Anatomy {
        preset: model.preset(),
        image_name,
        image_png: planar_png(pixels),
        layers,
        total_parameters,
        first_layer: first.name,
        filters: mosaic.png,
        filters_shown: mosaic.tiles,
        filters_columns: mosaic.columns,
        filter_size: [height, width],
        predicted: top.class_index,
        confidence: top.probability,
    })
}

/// A tensor's values, read back asynchronously (a synchronous read panics on WebGPU).
async fn read_floats<const D: usize>(tensor: Tensor<D>, what: &str) -> Result<Vec<f32>, String> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| format!("{what} could not be read back ({e:?})"))?
        .try_to_vec::<f32>()
        .map_err(|e| format!("{what}: unexpected values ({e:?})"))
}
