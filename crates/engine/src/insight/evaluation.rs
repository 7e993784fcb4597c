//! The classifier over a record set as a job the dispatcher advances a batch per turn, so that
//! other requests get through and it can be cancelled.

use std::rc::Rc;

use burn::tensor::Device;

use super::LoadedSet;
use crate::EngineError;
use crate::cpu_pool::CpuPool;
use crate::worker::{Reporter, now_ms};
use pinhole_compute::data::{CifarRecord, NUM_CLASSES};
use pinhole_compute::model::Classifier;
use pinhole_compute::train::{EvalReport, class_probabilities_async};
use pinhole_core::protocol::{Evaluation, RecordSet};

/// Records per evaluation batch: one engine turn each.
const EVAL_BATCH: usize = 50;
/// Mistakes shown per report.
const MISTAKES: usize = 16;

/// The classifier over a record set, a batch per [`EvaluationRun::tick`].
pub struct EvaluationRun {
    /// The `Evaluate` request's progress and outcome.
    pub reporter: Reporter,
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
    /// The CPU workers that hold this network (its generation), which take a batch each.
    pool: Option<(CpuPool, u64)>,
}

impl EvaluationRun {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        reporter: Reporter,
        set: RecordSet,
        loaded: Rc<LoadedSet>,
        limit: Option<usize>,
        tta: bool,
        model: Classifier,
        model_name: String,
        device: Device,
        pool: Option<(CpuPool, u64)>,
    ) -> Self {
        let count = limit.unwrap_or(usize::MAX).min(loaded.records.len());
        EvaluationRun {
            reporter,
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
            pool,
        }
    }

    /// One batch; after the last, the finished evaluation.
    pub async fn tick(&mut self) -> Result<Option<Evaluation>, EngineError> {
        let done = self.plain.len();
        let workers = match &self.pool {
            Some((pool, generation)) => 1 + pool.helpers_holding(*generation).len(),
            None => 1,
        };
        let end = (done + EVAL_BATCH * workers).min(self.count);
        let loaded = self.loaded.clone();
        // Batches of EVAL_BATCH whoever computes them, so that the figures are one worker's.
        let batches: Vec<&[CifarRecord]> = loaded.records[done..end].chunks(EVAL_BATCH).collect();
        let batch = match &self.pool {
            Some((pool, generation)) if workers > 1 => {
                pool.probabilities(&self.model, &self.device, *generation, &batches, self.tta)
                    .await?
            }
            _ => class_probabilities_async(&self.model, batches[0], self.tta, &self.device).await?,
        };
        self.plain.extend(batch.plain);
        self.with_tta.extend(batch.tta.unwrap_or_default());
        let tta = if self.tta {
            " (with and without TTA)"
        } else {
            ""
        };
        self.reporter.step(
            format!("Evaluated {end} of {} records{tta}", self.count),
            end,
            self.count,
        );
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
