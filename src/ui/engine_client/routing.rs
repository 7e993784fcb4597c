//! Routing: each event the engine posts goes to the state it updates; each progress and outcome
//! to the state of the action that asked (the [`Ledger`] says which).

use leptos::prelude::*;

use super::*;
use crate::ui::download::save_file;
use crate::ui_state::Asked;
use pinhole_core::protocol::{Event, Outcome, Progress, Reply, Request, RequestId};

impl EngineClient {
    pub(super) fn on_event(self, event: Event) {
        match event {
            Event::Alive => self.on_alive(),
            Event::Backend { status } => self.backend.set(Some(status)),
            Event::Model { info } => {
                // "Which network is in use" is the engine's word: the Teach project follows it.
                self.teach_change(|view| {
                    view.model_changed(&info.classes, info.weights_file.as_deref())
                });
                self.model.set(Some(info));
            }
            Event::Network { kept } => self.kept.set_value(kept),
            Event::SavedRun { summary, problem } => {
                let resume = summary.is_some() && self.resume_saved_run.get_value();
                self.resume_saved_run.set_value(false);
                self.training
                    .update(|view| view.saved_run(summary, problem));
                // A run the stopped engine was training continues from its checkpoint.
                if resume {
                    self.send(Request::ResumeCheckpoint);
                }
            }
            Event::Progress { id, progress } => self.on_progress(id, progress),
            Event::Outcome { id, outcome } => self.on_outcome(id, outcome),
            // Handled with the worker's generation in `spawn_worker`.
            Event::Pool { status } => self.pool.set(Some(status)),
            Event::Fatal { .. } => {}
        }
    }

    fn on_progress(self, id: RequestId, progress: Progress) {
        let Some(asked) = self.ledger.with_value(|ledger| ledger.get(id)) else {
            return;
        };
        if asked == Asked::Training {
            self.training.update(|view| _ = view.apply(id, &progress));
            return;
        }
        if asked == Asked::Teach {
            self.teach
                .update(|view| view.teaching_progress(id, &progress));
            return;
        }
        if let Progress::Step {
            message,
            done,
            total,
        } = progress
            && !self.insight.progress(asked, &message, done, total)
        {
            self.busy.set(Some(message));
        }
    }

    pub(super) fn on_outcome(self, id: RequestId, outcome: Outcome) {
        let Some((asked, what)) = self.ledger.try_update_value(|l| l.answered(id)).flatten() else {
            return;
        };
        self.route_outcome(id, asked, what, outcome);
    }

    /// Hands the outcome of request `id` to the action that asked.
    pub(super) fn route_outcome(self, id: RequestId, asked: Asked, what: &str, outcome: Outcome) {
        if asked.page_wide() {
            self.busy.set(None);
        }
        match asked {
            Asked::Classify => self
                .classify
                .update(|view| view.apply(id, outcome, &mut BrowserUrls)),
            Asked::Explain { result } => self
                .classify
                .update(|view| view.apply_explanation(result, outcome)),
            Asked::Frame => {
                let now = now_ms();
                self.live.update(|view| _ = view.apply(id, outcome, now));
            }
            Asked::Benchmark | Asked::TrainingBenchmark | Asked::TrainingCheck => {
                self.benchmark.update(|view| _ = view.apply(asked, outcome))
            }
            Asked::Training => self.training.update(|view| view.apply_outcome(id, outcome)),
            Asked::Evaluate
            | Asked::RecordImages
            | Asked::Explore
            | Asked::Augment
            | Asked::Inspect => self.insight.outcome(asked, outcome),
            Asked::Sample => self.teach_change(|view| view.sample_answered(id, outcome)),
            Asked::Teach => self.teach_change(|view| view.teaching_answered(id, outcome)),
            Asked::Export => match outcome {
                Ok(Reply::WeightsExported { file_name, bytes }) => {
                    save_file(&file_name, &bytes, "application/octet-stream")
                }
                Ok(_) => {}
                Err(failure) => self.error.set(Some(format!("Export failed: {failure}"))),
            },
            Asked::Start => {
                self.busy.set(None);
                if let Err(failure) = outcome {
                    self.error.set(Some(failure.message));
                }
            }
            Asked::TrainingControl | Asked::ModelChange | Asked::CancelEvaluation => {
                if let Err(failure) = outcome {
                    if asked == Asked::ModelChange {
                        // A taught head that could not be put into use is not in use.
                        self.teach_change(|view| view.model_change_failed());
                    }
                    let mut what = what.to_string();
                    if let Some(first) = what.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    self.error.set(Some(format!("{what} failed: {failure}")));
                }
            }
        }
    }
}
