//! The training requests: start a run (new or the saved one), pause, resume, stop, discard the
//! saved run. A run's own outcome comes when it ends; these requests are answered at once.

use burn::tensor::Device;

use super::EngineError;
use super::checkpoint_store;
use super::cpu_pool::CpuPool;
use super::training::TrainingRun;
use super::worker::{Reporter, post};
use pinhole_compute::model::Classifier;
use pinhole_core::protocol::{
    BackendKind, DataSource, Event, ModelCard, Reply, TrainSettings, TrainingState,
};

/// The run in progress or the last one (whose network can still be used or exported).
#[derive(Default)]
pub struct Training {
    pub run: Option<TrainingRun>,
}

impl Training {
    /// Whether a step is waiting to be taken.
    pub fn running(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|run| run.state == TrainingState::Running)
    }

    /// One step of the running run (split across the CPU pool where it can be).
    pub async fn tick(&mut self, pool: &CpuPool) {
        if let Some(run) = self
            .run
            .as_mut()
            .filter(|r| r.state == TrainingState::Running)
        {
            run.tick(pool).await;
        }
    }

    /// Starts a run, replacing the current one. `Ok` once it runs: its outcome comes when it
    /// ends.
    pub async fn start(
        &mut self,
        reporter: Reporter,
        source: DataSource,
        settings: TrainSettings,
        saved: Option<(pinhole_core::protocol::CheckpointSummary, Vec<u8>)>,
        device: &Device,
        backend: BackendKind,
    ) -> Result<(), EngineError> {
        if let Some(mut old) = self.run.take() {
            old.cancel("a new run replaced it");
        }
        reporter.progress(pinhole_core::protocol::Progress::TrainingStatus {
            state: TrainingState::Loading,
            message: None,
        });
        let device = device.clone().autodiff();
        let run = TrainingRun::start(reporter, source, settings, saved, &device, backend).await?;
        self.run = Some(run);
        Ok(())
    }

    /// The saved run's source and settings, with its checkpoint.
    pub async fn saved_run(
        &self,
    ) -> Result<
        (
            DataSource,
            TrainSettings,
            (pinhole_core::protocol::CheckpointSummary, Vec<u8>),
        ),
        EngineError,
    > {
        let saved = checkpoint_store::load()
            .await?
            .ok_or_else(|| EngineError::Unavailable("There is no saved run to resume.".into()))?;
        if !saved.0.refetchable {
            return Err(EngineError::Unavailable(format!(
                "The saved run trained on dropped files ({}); drop them again and start a new run.",
                saved.0.source
            )));
        }
        let source = DataSource::Manifest {
            url: saved.0.source.clone(),
        };
        Ok((source, saved.0.settings.clone(), saved))
    }

    pub async fn pause(&mut self) -> Result<Reply, EngineError> {
        let run = self.in_state(&[TrainingState::Running], "pause")?;
        run.set_state(TrainingState::Paused, None);
        run.save_checkpoint().await;
        Ok(Reply::Done)
    }

    pub fn resume(&mut self) -> Result<Reply, EngineError> {
        let run = self.in_state(&[TrainingState::Paused], "resume")?;
        run.set_state(TrainingState::Running, None);
        Ok(Reply::Done)
    }

    pub async fn stop(&mut self) -> Result<Reply, EngineError> {
        let run = self.in_state(&[TrainingState::Running, TrainingState::Paused], "stop")?;
        run.end(TrainingState::Stopped, None);
        run.save_checkpoint().await;
        Ok(Reply::Done)
    }

    pub async fn discard_saved(&self) -> Result<Reply, EngineError> {
        checkpoint_store::discard().await?;
        post(&Event::SavedRun {
            summary: None,
            problem: None,
        });
        Ok(Reply::Done)
    }

    /// The network trained so far, a name for it and its card.
    pub fn trained(&self) -> Result<(Classifier, String, ModelCard), EngineError> {
        let run = self
            .run
            .as_ref()
            .filter(|run| run.state.has_model())
            .ok_or_else(|| EngineError::Unavailable("there is no trained network yet".into()))?;
        let name = format!("trained in this tab ({} epochs)", run.epochs_done());
        Ok((run.model(), name, run.card()))
    }

    fn in_state(
        &mut self,
        states: &[TrainingState],
        action: &str,
    ) -> Result<&mut TrainingRun, EngineError> {
        let state = self.run.as_ref().map(|run| run.state);
        self.run
            .as_mut()
            .filter(|run| states.contains(&run.state))
            .ok_or_else(|| {
                EngineError::Unavailable(match state {
                    Some(state) => {
                        format!("cannot {action} a run that is {state:?}").to_lowercase()
                    }
                    None => format!("there is no training run to {action}"),
                })
            })
    }
}

/// Tells the page whether a saved run can be resumed.
pub async fn post_saved_run() {
    post(&match checkpoint_store::load().await {
        Ok(saved) => Event::SavedRun {
            summary: saved.map(|(summary, _)| summary),
            problem: None,
        },
        Err(error) => Event::SavedRun {
            summary: None,
            problem: Some(format!("Saved training runs are unavailable: {error}")),
        },
    });
}
