//! What the page knows about the training run, built from the engine's progress and outcome for
//! the run's request (the engine owns the run; the page only draws it).

use pinhole_core::protocol::{
    BackendKind, CheckpointSummary, EpochPoint, Outcome, Progress, Reply, RequestId, StepPoint,
    TrainSettings, TrainingHistory, TrainingPace, TrainingState,
};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingView {
    /// The request of the run shown; progress of any other is stale.
    pub run_id: Option<RequestId>,
    pub state: Option<TrainingState>,
    /// Why the state changed, when it was not the visitor's doing (an error, early stopping).
    pub message: Option<String>,
    pub run: Option<RunInfo>,
    pub history: TrainingHistory,
    pub pace: Option<TrainingPace>,
    /// The latest data step: (message, done bytes, total bytes).
    pub data: Option<(String, u64, u64)>,
    /// Step of the latest checkpoint saved in the browser.
    pub checkpoint_step: Option<usize>,
    /// Why the latest save failed, if it did (cleared by the next good save).
    pub checkpoint_failed: Option<String>,
    /// A run saved in the browser that can be resumed.
    pub saved: Option<CheckpointSummary>,
    /// Why saved runs cannot be read, if they cannot.
    pub saved_problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub settings: TrainSettings,
    pub source: String,
    pub backend: BackendKind,
    pub total_steps: usize,
    pub steps_per_epoch: usize,
    pub train_records: usize,
    pub test_records: usize,
}

impl TrainingView {
    /// A run was asked for (`Train` or `ResumeCheckpoint` request `id`): it is the one shown.
    pub fn asked(&mut self, id: RequestId) {
        *self = TrainingView {
            run_id: Some(id),
            state: Some(TrainingState::Loading),
            saved: self.saved.take(),
            saved_problem: self.saved_problem.take(),
            ..TrainingView::default()
        };
    }

    /// The saved run the engine reported.
    pub fn saved_run(&mut self, summary: Option<CheckpointSummary>, problem: Option<String>) {
        self.saved = summary;
        self.saved_problem = problem;
    }

    /// Progress of run `id`; false if it is not the run shown.
    pub fn apply(&mut self, id: RequestId, progress: &Progress) -> bool {
        if self.run_id != Some(id) {
            return false;
        }
        match progress {
            Progress::Step { message, .. } => self.data = Some((message.clone(), 0, 0)),
            Progress::Data {
                message,
                done_bytes,
                total_bytes,
            } => self.data = Some((message.clone(), *done_bytes, *total_bytes)),
            Progress::TrainingStarted {
                settings,
                source,
                backend,
                total_steps,
                steps_per_epoch,
                train_records,
                test_records,
                history,
            } => {
                self.run = Some(RunInfo {
                    settings: settings.clone(),
                    source: source.clone(),
                    backend: *backend,
                    total_steps: *total_steps,
                    steps_per_epoch: *steps_per_epoch,
                    train_records: *train_records,
                    test_records: *test_records,
                });
                self.history = history.clone();
                self.pace = None;
                // A resumed run starts from its checkpoint, which is kept until a newer one.
                self.checkpoint_step = history.steps.last().map(|point| point.step);
                // Resuming the saved run: it is the current run now.
                self.saved = None;
            }
            Progress::TrainingStep { point, pace } => {
                self.history.steps.push(point.clone());
                self.pace = Some(pace.clone());
            }
            Progress::EpochEnded { point } => {
                self.history.epochs.push(point.clone());
                // The epoch's evaluation is over: its "Testing…" line goes.
                self.data = None;
            }
            Progress::TrainingStatus { state, message } => {
                self.state = Some(*state);
                self.message = message.clone();
            }
            Progress::CheckpointSaved { step } => {
                self.checkpoint_step = Some(*step);
                self.checkpoint_failed = None;
            }
            Progress::CheckpointFailed { message } => {
                self.checkpoint_failed = Some(message.clone())
            }
            Progress::TeachPoint { .. } => return false,
        }
        true
    }

    /// How run `id` ended.
    pub fn apply_outcome(&mut self, id: RequestId, outcome: Outcome) {
        if self.run_id != Some(id) {
            return;
        }
        self.data = None;
        match outcome {
            Ok(Reply::TrainingEnded { state, message }) => {
                self.state = Some(state);
                self.message = message;
            }
            Ok(other) => {
                self.state = Some(TrainingState::Failed);
                self.message = Some(format!("unexpected answer from the engine: {other:?}"));
            }
            Err(failure) => {
                // A run that never started failed; one that ran keeps its network.
                if !self.state.is_some_and(|s| s.has_model()) || self.run.is_none() {
                    self.state = Some(TrainingState::Failed);
                }
                self.message = Some(failure.message);
            }
        }
    }

    /// The engine stopped mid-run: says what is kept, truthfully.
    /// The engine stopped (a lost GPU, a bug). A run that was going is marked failed with what
    /// is kept; returns whether it should be resumed from its checkpoint by the restarted
    /// engine (it was running and a checkpoint is kept). A finished, stopped or paused run is
    /// left as it is.
    pub fn engine_stopped(&mut self) -> bool {
        let going = matches!(
            self.state,
            Some(TrainingState::Loading | TrainingState::Running)
        );
        if !going && self.state != Some(TrainingState::Paused) {
            return false;
        }
        self.state = Some(TrainingState::Failed);
        let resume = going && self.checkpoint_step.is_some();
        self.message = Some(match (self.checkpoint_step, &self.checkpoint_failed) {
            (Some(step), None) if resume => format!(
                "The engine stopped during training; it continues from the checkpoint of step {step}."
            ),
            (Some(step), Some(why)) if resume => format!(
                "The engine stopped during training. Later saves failed ({why}); it continues from the checkpoint of step {step}, the last one kept."
            ),
            (Some(step), None) => format!(
                "The engine stopped during training. The checkpoint of step {step} is kept: resume it below."
            ),
            (Some(step), Some(why)) => format!(
                "The engine stopped during training. Later saves failed ({why}); the checkpoint of step {step} is the last one kept."
            ),
            (None, _) => {
                "The engine stopped during training before any checkpoint was saved.".into()
            }
        });
        resume
    }

    pub fn latest_step(&self) -> Option<&StepPoint> {
        self.history.steps.last()
    }

    pub fn latest_epoch(&self) -> Option<&EpochPoint> {
        self.history.epochs.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinhole_core::protocol::{EpochPoint, Failure, FailureKind, StepPoint};

    fn started() -> Progress {
        Progress::TrainingStarted {
            settings: TrainSettings::default(),
            source: "data/cifar10/manifest.json".into(),
            backend: BackendKind::Cpu,
            total_steps: 10,
            steps_per_epoch: 5,
            train_records: 320,
            test_records: 200,
            history: TrainingHistory::default(),
        }
    }

    #[test]
    fn the_testing_line_goes_at_the_epochs_end_and_a_resumed_run_keeps_its_checkpoint() {
        let mut view = TrainingView::default();
        view.asked(1);
        view.apply(1, &started());
        view.apply(
            1,
            &Progress::Data {
                message: "Testing: 0 of 200 records…".into(),
                done_bytes: 0,
                total_bytes: 0,
            },
        );
        assert!(view.data.is_some());
        let point = EpochPoint {
            epoch: 1,
            train_loss: 2.0,
            train_accuracy: 0.2,
            test_accuracy: 0.3,
            seconds: 1.0,
        };
        view.apply(1, &Progress::EpochEnded { point });
        assert_eq!(view.data, None);

        // Resuming from a checkpoint of step 5: that checkpoint is kept until a newer one.
        let mut history = TrainingHistory::default();
        history.steps.push(StepPoint {
            step: 5,
            epoch: 1,
            loss: 2.0,
            train_accuracy: 0.2,
        });
        let mut resumed = TrainingView::default();
        resumed.asked(2);
        let mut start = started();
        if let Progress::TrainingStarted { history: h, .. } = &mut start {
            *h = history;
        }
        resumed.apply(2, &start);
        assert_eq!(resumed.checkpoint_step, Some(5));
    }

    #[test]
    fn a_run_is_drawn_from_its_own_progress_only() {
        let mut view = TrainingView::default();
        view.asked(4);
        assert_eq!(view.state, Some(TrainingState::Loading));
        assert!(
            !view.apply(3, &started()),
            "an older run's progress is stale"
        );
        assert!(view.apply(4, &started()));
        view.apply(
            4,
            &Progress::TrainingStatus {
                state: TrainingState::Running,
                message: None,
            },
        );
        view.apply(4, &Progress::CheckpointSaved { step: 5 });
        assert_eq!(view.run.as_ref().map(|r| r.total_steps), Some(10));
        view.apply_outcome(
            4,
            Ok(Reply::TrainingEnded {
                state: TrainingState::Finished,
                message: None,
            }),
        );
        assert_eq!(view.state, Some(TrainingState::Finished));
    }

    #[test]
    fn a_run_that_cannot_start_fails_with_the_reason() {
        let mut view = TrainingView::default();
        view.asked(1);
        view.apply_outcome(
            1,
            Err(Failure::new(FailureKind::Data, "manifest.json: HTTP 404")),
        );
        assert_eq!(view.state, Some(TrainingState::Failed));
        assert_eq!(view.message.as_deref(), Some("manifest.json: HTTP 404"));
    }

    #[test]
    fn after_a_crash_the_notice_tells_the_truth_about_saves() {
        let mut view = TrainingView::default();
        view.asked(1);
        view.apply(1, &started());
        view.apply(
            1,
            &Progress::TrainingStatus {
                state: TrainingState::Running,
                message: None,
            },
        );
        let mut never_saved = view.clone();
        assert!(!never_saved.engine_stopped(), "nothing to resume from");
        assert!(
            never_saved
                .message
                .unwrap()
                .contains("before any checkpoint")
        );
        view.apply(1, &Progress::CheckpointSaved { step: 5 });
        view.apply(
            1,
            &Progress::CheckpointFailed {
                message: "quota exceeded".into(),
            },
        );
        let mut paused = view.clone();
        assert!(
            view.engine_stopped(),
            "a running run resumes from its checkpoint"
        );
        let message = view.message.unwrap();
        assert!(
            message.contains("quota exceeded")
                && message.contains("continues from the checkpoint of step 5"),
            "{message}"
        );
        assert_eq!(view.state, Some(TrainingState::Failed));

        // A paused run waits for the visitor; a finished one is left alone.
        paused.state = Some(TrainingState::Paused);
        assert!(!paused.engine_stopped());
        let message = paused.message.unwrap();
        assert!(
            message.contains("step 5 is the last one kept") && !message.contains("continues"),
            "{message}"
        );
        let mut finished = TrainingView {
            state: Some(TrainingState::Finished),
            ..TrainingView::default()
        };
        assert!(!finished.engine_stopped());
        assert_eq!(finished.state, Some(TrainingState::Finished));
    }
}
