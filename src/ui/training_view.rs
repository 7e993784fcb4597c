//! What the page knows about the training run, built from engine events (the engine owns the
//! run; the page only draws it).

use crate::protocol::{
    BackendKind, CheckpointSummary, EpochPoint, Event, StepPoint, TrainSettings, TrainingHistory,
    TrainingPace, TrainingState,
};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingView {
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
    /// A run saved in the browser that can be resumed.
    pub saved: Option<CheckpointSummary>,
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
    /// Applies a training event; returns false for events that are not about training.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::DataProgress {
                message,
                done_bytes,
                total_bytes,
            } => self.data = Some((message.clone(), *done_bytes, *total_bytes)),
            Event::TrainingStarted {
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
                self.checkpoint_step = None;
                // Resuming the saved run: it is the current run now.
                self.saved = None;
            }
            Event::TrainingStep { point, pace } => {
                self.history.steps.push(point.clone());
                self.pace = Some(pace.clone());
            }
            Event::EpochEnded { point } => self.history.epochs.push(point.clone()),
            Event::TrainingStatus { state, message } => {
                if *state == TrainingState::Loading {
                    *self = TrainingView {
                        saved: self.saved.take(),
                        ..TrainingView::default()
                    };
                }
                self.state = Some(*state);
                self.message = message.clone();
            }
            Event::CheckpointSaved { step } => self.checkpoint_step = Some(*step),
            Event::CheckpointAvailable { summary } => self.saved = summary.clone(),
            _ => return false,
        }
        true
    }

    pub fn latest_step(&self) -> Option<&StepPoint> {
        self.history.steps.last()
    }

    pub fn latest_epoch(&self) -> Option<&EpochPoint> {
        self.history.epochs.last()
    }
}
