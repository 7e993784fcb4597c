//! The requests the page is waiting on, by id, each with the action that asked: an outcome goes
//! to that action, and an outcome of an id nobody waits for (an image removed meanwhile) is
//! dropped.

use std::collections::HashMap;

use pinhole_core::protocol::{Request, RequestId};

/// The action (and the thing it is about) a request was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    Start,
    /// Classifying the uploaded image whose result has the request's id.
    Classify,
    /// A saliency map for the result with id `result`.
    Explain {
        result: RequestId,
    },
    Frame,
    Benchmark,
    TrainingBenchmark,
    TrainingCheck,
    /// A training run (new or the saved one): answered when it ends.
    Training,
    /// Pause, resume, stop, discard the saved run.
    TrainingControl,
    /// Backend switch, model choice, import, using the trained network.
    ModelChange,
    Export,
    Evaluate,
    CancelEvaluation,
    RecordImages,
    Explore,
    Augment,
    Inspect,
    /// An image file becoming a Teach sample.
    Sample,
    /// Teaching the visitor's classes.
    Teach,
}

impl Asked {
    /// The action of a request; `subject` is the result an `Explain` is for.
    pub fn of(request: &Request, subject: Option<RequestId>) -> Self {
        match request {
            Request::Start { .. } => Asked::Start,
            Request::Classify { .. } => Asked::Classify,
            Request::Explain { .. } => Asked::Explain {
                result: subject.unwrap_or_default(),
            },
            Request::Frame { .. } => Asked::Frame,
            Request::Benchmark { .. } => Asked::Benchmark,
            Request::BenchmarkTraining { .. } => Asked::TrainingBenchmark,
            Request::CheckTraining { .. } => Asked::TrainingCheck,
            Request::Train { .. } | Request::ResumeCheckpoint => Asked::Training,
            Request::PauseTraining
            | Request::ResumeTraining
            | Request::StopTraining
            | Request::DiscardCheckpoint => Asked::TrainingControl,
            // A device, a worker or the pool's size changes what the model runs on.
            Request::LoseDevice | Request::CrashWorker | Request::SetWorkers { .. } => {
                Asked::ModelChange
            }
            Request::SwitchBackend { .. }
            | Request::SelectModel { .. }
            | Request::ImportWeights { .. }
            | Request::UseTrainedModel => Asked::ModelChange,
            Request::ExportWeights { .. } | Request::ConvertWeights { .. } => Asked::Export,
            Request::MakeSample { .. } => Asked::Sample,
            Request::Teach { .. } => Asked::Teach,
            Request::Evaluate { .. } => Asked::Evaluate,
            Request::CancelEvaluation => Asked::CancelEvaluation,
            Request::RecordImages { .. } => Asked::RecordImages,
            Request::ExploreData { .. } => Asked::Explore,
            Request::Augment { .. } => Asked::Augment,
            Request::Inspect { .. } => Asked::Inspect,
        }
    }

    /// Whether its progress and failure belong on the page-wide busy and error lines (the
    /// others have a place on their own page).
    pub fn page_wide(self) -> bool {
        matches!(
            self,
            Asked::Start
                | Asked::Benchmark
                | Asked::TrainingBenchmark
                | Asked::TrainingCheck
                | Asked::TrainingControl
                | Asked::ModelChange
                | Asked::Export
                | Asked::CancelEvaluation
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    pending: HashMap<RequestId, (Asked, &'static str)>,
}

impl Ledger {
    /// Notes that request `id` was sent for `asked`.
    pub fn asked(&mut self, id: RequestId, request: &Request, subject: Option<RequestId>) {
        self.pending
            .insert(id, (Asked::of(request, subject), request.describe()));
    }

    /// What asked request `id` (it stays pending: progress may follow).
    pub fn get(&self, id: RequestId) -> Option<Asked> {
        self.pending.get(&id).map(|(asked, _)| *asked)
    }

    /// What asked request `id`, and the request in words; it is answered now.
    pub fn answered(&mut self, id: RequestId) -> Option<(Asked, &'static str)> {
        self.pending.remove(&id)
    }

    /// Every pending request, taken out (the engine stopped: none will be answered).
    pub fn drain(&mut self) -> Vec<(RequestId, Asked)> {
        let mut all: Vec<_> = self
            .pending
            .drain()
            .map(|(id, (asked, _))| (id, asked))
            .collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinhole_core::model::SaliencyMethod;

    #[test]
    fn each_outcome_finds_the_action_that_asked_once() {
        let mut ledger = Ledger::default();
        ledger.asked(
            1,
            &Request::Classify {
                name: "a.png".into(),
                bytes: vec![],
            },
            None,
        );
        let explain = Request::Explain {
            pixels: vec![],
            class: None,
            method: SaliencyMethod::GradCam,
        };
        ledger.asked(2, &explain, Some(1));
        ledger.asked(3, &Request::PauseTraining, None);
        assert_eq!(ledger.get(2), Some(Asked::Explain { result: 1 }));
        assert_eq!(
            ledger.answered(2).map(|(a, _)| a),
            Some(Asked::Explain { result: 1 })
        );
        assert_eq!(
            ledger.answered(2),
            None,
            "a second outcome for one id finds no one"
        );
        assert_eq!(
            ledger.answered(3),
            Some((Asked::TrainingControl, "pausing training"))
        );
        assert!(Asked::TrainingControl.page_wide() && !Asked::Classify.page_wide());
        assert_eq!(ledger.drain(), vec![(1, Asked::Classify)]);
        assert!(ledger.is_empty());
    }
}
