//! The bookkeeping of a training run, apart from the device: each step's point and pace, the
//! epoch tallies, the best test accuracy and early stopping. The engine's run feeds it what a
//! step measured and forwards what it emits (through a sink) to the page; natively the tests
//! feed it numbers and read the sink.

use crate::protocol::{
    EpochPoint, Progress, StepPoint, TrainingHistory, TrainingPace, TrainingState,
};

/// The loss stopped being a number: the run cannot go on as it is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "the loss became {loss} at step {step}: lower the learning rate, or (on WebGPU, where the \
     fast and full networks are known to diverge on some adapters) switch to the CPU"
)]
pub struct DivergedError {
    pub loss: f32,
    pub step: usize,
}

/// What the run should do after an epoch.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Continue,
    /// The last step was taken.
    Finished,
    /// Test accuracy did not improve for `patience` epochs; the message says so.
    EarlyStopped(String),
}

impl Verdict {
    /// The state the run ends in, if it ends.
    pub fn end_state(&self) -> Option<(TrainingState, Option<String>)> {
        match self {
            Verdict::Continue => None,
            Verdict::Finished => Some((TrainingState::Finished, None)),
            Verdict::EarlyStopped(message) => {
                Some((TrainingState::EarlyStopped, Some(message.clone())))
            }
        }
    }
}

/// What one optimiser step measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepMeasure {
    /// Steps done in the run after this one (1 after the first).
    pub step: usize,
    pub loss: f32,
    /// Records of the batch classified right (before the update).
    pub correct: usize,
    pub lr: f64,
    pub millis: f64,
    /// CPU workers that computed the step's slices (1: one worker, or WebGPU).
    pub workers: usize,
}

#[derive(Clone, Debug, Default)]
struct EpochTally {
    loss_sum: f64,
    correct: usize,
    images: usize,
    steps: usize,
    started_ms: f64,
}

pub struct RunTracker {
    pub history: TrainingHistory,
    total_steps: usize,
    steps_per_epoch: usize,
    batch_size: usize,
    patience: Option<usize>,
    tally: EpochTally,
    best_test: Option<f32>,
    epochs_without_gain: usize,
    /// Smoothed milliseconds per step, for the pace and ETA.
    step_ms: Option<f64>,
}

impl RunTracker {
    /// A tracker for a run of `total_steps`, continuing `history` (empty for a new run).
    pub fn new(
        history: TrainingHistory,
        total_steps: usize,
        steps_per_epoch: usize,
        batch_size: usize,
        patience: Option<usize>,
        now_ms: f64,
    ) -> Self {
        let best_test = history
            .epochs
            .iter()
            .map(|e| e.test_accuracy)
            .filter(|a| a.is_finite())
            .fold(None, |best: Option<f32>, a| {
                Some(best.map_or(a, |b| b.max(a)))
            });
        RunTracker {
            history,
            total_steps,
            steps_per_epoch: steps_per_epoch.max(1),
            batch_size,
            patience,
            tally: EpochTally {
                started_ms: now_ms,
                ..EpochTally::default()
            },
            best_test,
            epochs_without_gain: 0,
            step_ms: None,
        }
    }

    /// Whether the next step starts an epoch (nothing of the current one tallied yet).
    pub fn at_epoch_start(&self, step: usize) -> bool {
        step.is_multiple_of(self.steps_per_epoch) && self.tally.steps == 0
    }

    /// Records a step and emits its point and pace. `Ok(Some(epoch))` when the step ends epoch
    /// `epoch` (1-based): evaluate, then call [`RunTracker::end_epoch`]. A loss that is not
    /// finite is an error that says what to do.
    pub fn record_step(
        &mut self,
        measure: StepMeasure,
        sink: &mut dyn FnMut(Progress),
    ) -> Result<Option<usize>, DivergedError> {
        let StepMeasure {
            step,
            loss,
            correct,
            lr,
            millis,
            workers,
        } = measure;
        if !loss.is_finite() {
            return Err(DivergedError { loss, step });
        }
        let mean = self.step_ms.map_or(millis, |m| 0.9 * m + 0.1 * millis);
        self.step_ms = Some(mean);
        let epoch = (step.max(1) - 1) / self.steps_per_epoch + 1;
        let point = StepPoint {
            step,
            epoch,
            loss,
            train_accuracy: correct as f32 / self.batch_size.max(1) as f32,
        };
        self.history.steps.push(point.clone());
        self.tally.loss_sum += loss as f64;
        self.tally.correct += correct;
        self.tally.images += self.batch_size;
        self.tally.steps += 1;
        let left = self.total_steps.saturating_sub(step);
        sink(Progress::TrainingStep {
            point,
            pace: TrainingPace {
                step,
                total_steps: self.total_steps,
                images_per_second: self.batch_size as f64 / (mean.max(1e-3) / 1000.0),
                step_ms: millis,
                eta_seconds: left as f64 * mean / 1000.0,
                lr,
                workers,
            },
        });
        let ends_epoch = step.is_multiple_of(self.steps_per_epoch) || step >= self.total_steps;
        Ok(ends_epoch.then_some(epoch))
    }

    /// Closes epoch `epoch` with its test accuracy (NaN without test records): emits its point
    /// and says whether the run goes on.
    pub fn end_epoch(
        &mut self,
        epoch: usize,
        step: usize,
        test_accuracy: f32,
        now_ms: f64,
        sink: &mut dyn FnMut(Progress),
    ) -> Verdict {
        let tally = std::mem::take(&mut self.tally);
        self.tally.started_ms = now_ms;
        let point = EpochPoint {
            epoch,
            train_loss: (tally.loss_sum / tally.steps.max(1) as f64) as f32,
            train_accuracy: tally.correct as f32 / tally.images.max(1) as f32,
            test_accuracy,
            seconds: (now_ms - tally.started_ms) / 1000.0,
        };
        self.history.epochs.push(point.clone());
        sink(Progress::EpochEnded { point });
        if !test_accuracy.is_finite() {
            // No test records: nothing to stop early on.
        } else if self.best_test.is_none_or(|best| test_accuracy > best) {
            self.best_test = Some(test_accuracy);
            self.epochs_without_gain = 0;
        } else {
            self.epochs_without_gain += 1;
        }
        if step >= self.total_steps {
            Verdict::Finished
        } else if let Some(patience) = self.patience
            && self.epochs_without_gain >= patience.max(1)
        {
            Verdict::EarlyStopped(format!(
                "test accuracy has not improved for {} epochs (best {:.1}%)",
                self.epochs_without_gain,
                100.0 * self.best_test.unwrap_or(0.0)
            ))
        } else {
            Verdict::Continue
        }
    }

    pub fn latest_test_accuracy(&self) -> Option<f32> {
        self.history.epochs.last().map(|e| e.test_accuracy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(step: usize, loss: f32) -> StepMeasure {
        StepMeasure {
            step,
            loss,
            correct: 3,
            lr: 0.1,
            millis: 100.0,
            workers: 1,
        }
    }

    /// Runs `epochs` epochs of `steps_per_epoch` steps with the given test accuracies.
    fn run(tracker: &mut RunTracker, accuracies: &[f32], steps_per_epoch: usize) -> Vec<Verdict> {
        let mut events = Vec::new();
        let mut verdicts = Vec::new();
        let mut step = tracker.history.steps.len();
        for &accuracy in accuracies {
            for _ in 0..steps_per_epoch {
                step += 1;
                let ended = tracker
                    .record_step(measure(step, 1.0), &mut |p| events.push(p))
                    .unwrap();
                if let Some(epoch) = ended {
                    verdicts.push(
                        tracker.end_epoch(epoch, step, accuracy, 0.0, &mut |p| events.push(p)),
                    );
                }
            }
        }
        let steps = events
            .iter()
            .filter(|p| matches!(p, Progress::TrainingStep { .. }))
            .count();
        assert_eq!(steps, accuracies.len() * steps_per_epoch);
        verdicts
    }

    #[test]
    fn epochs_end_on_their_last_step_and_the_run_finishes_at_the_total() {
        let mut tracker = RunTracker::new(TrainingHistory::default(), 6, 2, 8, None, 0.0);
        assert!(tracker.at_epoch_start(0));
        let verdicts = run(&mut tracker, &[0.5, 0.6, 0.7], 2);
        assert_eq!(
            verdicts,
            [Verdict::Continue, Verdict::Continue, Verdict::Finished]
        );
        let epochs: Vec<usize> = tracker.history.epochs.iter().map(|e| e.epoch).collect();
        assert_eq!(epochs, [1, 2, 3]);
        assert_eq!(tracker.history.epochs[0].train_accuracy, 3.0 / 8.0);
        assert_eq!(tracker.history.steps[3].epoch, 2);
    }

    #[test]
    fn early_stopping_waits_for_patience_epochs_without_gain() {
        let mut tracker = RunTracker::new(TrainingHistory::default(), 100, 1, 8, Some(2), 0.0);
        let verdicts = run(&mut tracker, &[0.5, 0.6, 0.6, 0.55], 1);
        assert_eq!(
            verdicts[..3],
            [Verdict::Continue, Verdict::Continue, Verdict::Continue]
        );
        match &verdicts[3] {
            Verdict::EarlyStopped(message) => {
                assert!(
                    message.contains("2 epochs") && message.contains("60.0%"),
                    "{message}"
                )
            }
            other => panic!("expected an early stop, got {other:?}"),
        }
        assert_eq!(
            verdicts[3].end_state().map(|(s, _)| s),
            Some(TrainingState::EarlyStopped)
        );
    }

    #[test]
    fn a_resumed_run_remembers_its_best_epoch() {
        let mut first = RunTracker::new(TrainingHistory::default(), 100, 1, 8, Some(1), 0.0);
        run(&mut first, &[0.8], 1);
        let mut resumed = RunTracker::new(first.history.clone(), 100, 1, 8, Some(1), 0.0);
        // 0.7 is below the saved best 0.8: one epoch without gain is the patience.
        let verdicts = run(&mut resumed, &[0.7], 1);
        assert!(
            matches!(verdicts[0], Verdict::EarlyStopped(_)),
            "{verdicts:?}"
        );
    }

    #[test]
    fn without_test_records_it_never_stops_early() {
        let mut tracker = RunTracker::new(TrainingHistory::default(), 100, 1, 8, Some(1), 0.0);
        let verdicts = run(&mut tracker, &[f32::NAN, f32::NAN, f32::NAN], 1);
        assert!(
            verdicts.iter().all(|v| *v == Verdict::Continue),
            "{verdicts:?}"
        );
    }

    #[test]
    fn a_loss_that_is_not_finite_is_an_error_and_records_nothing() {
        let mut tracker = RunTracker::new(TrainingHistory::default(), 10, 5, 8, None, 0.0);
        let mut events = Vec::new();
        let error = tracker
            .record_step(measure(1, f32::NAN), &mut |p| events.push(p))
            .unwrap_err();
        assert_eq!((error.step, error.loss.is_nan()), (1, true));
        assert!(error.to_string().contains("NaN at step 1"), "{error}");
        assert!(events.is_empty() && tracker.history.steps.is_empty());
    }
}
