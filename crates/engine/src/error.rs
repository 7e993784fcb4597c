//! What can go wrong in the engine, typed: the library errors it meets, and its own. A request's
//! failure is one of these turned into a [`Failure`] (kind and message) only where it is posted.

use pinhole_compute::data::{ManifestError, RecordError, ShardError, SourceError};
use pinhole_compute::model::{PackError, ReadbackError, WeightsError};
use pinhole_compute::teach::TeachError;
use pinhole_compute::train::{CheckpointError, DataParallelError, DivergedError, SettingsError};
use pinhole_compute::vision::VisionError;
use pinhole_core::protocol::{Failure, FailureKind};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Image(#[from] VisionError),
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error(transparent)]
    Diverged(#[from] DivergedError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Teach(#[from] TeachError),
    #[error(transparent)]
    Pack(#[from] PackError),
    /// A data-parallel training step's slices did not fit together.
    #[error(transparent)]
    DataParallel(#[from] DataParallelError),
    /// A fetch failed: network error, HTTP status, unreadable body.
    #[error("{0}")]
    Network(String),
    /// IndexedDB or Cache Storage refused.
    #[error("{0}")]
    Storage(String),
    /// The request's own values cannot be used (sizes, indices, settings).
    #[error("{0}")]
    InvalidRequest(String),
    /// What the request needs is not there (a trained network, a saved run, a running run).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Cancelled(String),
    /// The device failed in a way that is not a read-back (e.g. the WebGPU self-test).
    #[error("{0}")]
    Device(String),
    /// Another error, with what it means for the visitor after it.
    #[error("{source}. {then}")]
    Then {
        source: Box<EngineError>,
        then: String,
    },
}

impl EngineError {
    /// The same error, followed by what it means (e.g. "The current model is unchanged.").
    pub fn then(self, then: impl Into<String>) -> Self {
        EngineError::Then {
            source: Box::new(self),
            then: then.into(),
        }
    }

    pub fn kind(&self) -> FailureKind {
        match self {
            EngineError::Image(_)
            | EngineError::Weights(_)
            | EngineError::Checkpoint(_)
            | EngineError::Records(_)
            | EngineError::Source(_)
            | EngineError::Settings(_)
            | EngineError::Pack(_)
            | EngineError::InvalidRequest(_) => FailureKind::InvalidInput,
            EngineError::Manifest(_) | EngineError::Shard(_) | EngineError::Network(_) => {
                FailureKind::Data
            }
            EngineError::Readback(_)
            | EngineError::Device(_)
            | EngineError::Diverged(_)
            | EngineError::DataParallel(_) => FailureKind::Device,
            EngineError::Storage(_) => FailureKind::Storage,
            EngineError::Unavailable(_) => FailureKind::Unavailable,
            EngineError::Cancelled(_) => FailureKind::Cancelled,
            EngineError::Teach(TeachError::Readback(_)) => FailureKind::Device,
            EngineError::Teach(_) => FailureKind::InvalidInput,
            EngineError::Then { source, .. } => source.kind(),
        }
    }
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        Failure::new(error.kind(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_the_kind_and_message_the_page_shows() {
        let image: EngineError = VisionError::Empty {
            name: "cat.png".into(),
        }
        .into();
        let failure = Failure::from(image.then("Nothing else changed."));
        assert_eq!(failure.kind, FailureKind::InvalidInput);
        assert_eq!(
            failure.message,
            "cat.png: the file is empty. Nothing else changed."
        );

        let shard: EngineError = ShardError::Hash {
            file: "train-000.bin".into(),
            expected: "aa".into(),
            actual: "bb".into(),
        }
        .into();
        assert_eq!(shard.kind(), FailureKind::Data);
        assert!(shard.to_string().contains("train-000.bin"));

        let cases = [
            (EngineError::Storage("quota".into()), FailureKind::Storage),
            (
                EngineError::Unavailable("no run".into()),
                FailureKind::Unavailable,
            ),
            (
                EngineError::Cancelled("replaced".into()),
                FailureKind::Cancelled,
            ),
            (EngineError::Network("HTTP 404".into()), FailureKind::Data),
            (EngineError::Device("lost".into()), FailureKind::Device),
        ];
        for (error, kind) in cases {
            let message = error.to_string();
            let failure = Failure::from(error);
            assert_eq!((failure.kind, failure.message), (kind, message));
        }
    }
}
