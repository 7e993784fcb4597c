//! The Speed page: the last inference benchmark, training benchmark and training check, each
//! with the failure of its last run.

use pinhole_core::protocol::{
    BenchmarkResult, OpCheck, Outcome, Reply, TrainingBenchmarkResult, TrainingCheck,
};

use super::Asked;

/// The layer-gradient checks and each preset's training check.
pub type TrainingChecks = (Vec<OpCheck>, Vec<TrainingCheck>);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BenchmarkView {
    pub inference: Option<Result<Vec<BenchmarkResult>, String>>,
    pub training: Option<Result<Vec<TrainingBenchmarkResult>, String>>,
    pub check: Option<Result<TrainingChecks, String>>,
}

impl BenchmarkView {
    /// A run of `asked` started: its last result is cleared.
    pub fn started(&mut self, asked: Asked) {
        match asked {
            Asked::Benchmark => self.inference = None,
            Asked::TrainingBenchmark => self.training = None,
            Asked::TrainingCheck => self.check = None,
            _ => {}
        }
    }

    /// The outcome of a benchmark or check; false for other requests.
    pub fn apply(&mut self, asked: Asked, outcome: Outcome) -> bool {
        let unexpected = |reply: &Reply| format!("unexpected answer from the engine: {reply:?}");
        match asked {
            Asked::Benchmark => {
                self.inference = Some(match outcome {
                    Ok(Reply::Benchmark { results }) => Ok(results),
                    Ok(other) => Err(unexpected(&other)),
                    Err(failure) => Err(failure.message),
                })
            }
            Asked::TrainingBenchmark => {
                self.training = Some(match outcome {
                    Ok(Reply::TrainingBenchmark { results }) => Ok(results),
                    Ok(other) => Err(unexpected(&other)),
                    Err(failure) => Err(failure.message),
                })
            }
            Asked::TrainingCheck => {
                self.check = Some(match outcome {
                    Ok(Reply::TrainingChecked { ops, checks }) => Ok((ops, checks)),
                    Ok(other) => Err(unexpected(&other)),
                    Err(failure) => Err(format!("The training check could not run: {failure}")),
                })
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinhole_core::model::Preset;
    use pinhole_core::protocol::{BackendKind, Failure, FailureKind};

    #[test]
    fn each_result_goes_to_its_own_panel() {
        let mut view = BenchmarkView::default();
        let result = BenchmarkResult {
            preset: Preset::Fast,
            backend: BackendKind::Cpu,
            latency_ms: 7.0,
            batch: 64,
            images_per_second: 180.0,
            workers: 2,
        };
        assert!(view.apply(
            Asked::Benchmark,
            Ok(Reply::Benchmark {
                results: vec![result.clone()]
            })
        ));
        assert!(view.apply(
            Asked::TrainingCheck,
            Err(Failure::new(FailureKind::Data, "manifest.json: HTTP 404"))
        ));
        assert_eq!(view.inference, Some(Ok(vec![result])));
        assert_eq!(view.training, None);
        assert_eq!(
            view.check,
            Some(Err(
                "The training check could not run: manifest.json: HTTP 404".into()
            ))
        );
        assert!(!view.apply(Asked::Export, Ok(Reply::Done)));
        view.started(Asked::Benchmark);
        assert_eq!(view.inference, None);
    }
}
