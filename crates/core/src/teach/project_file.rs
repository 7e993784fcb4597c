//! The project file: everything a Teach project is (class names, every sample, the settings,
//! the trained head and what it measured), so it can be saved, moved to another machine and
//! opened again exactly. No Burn: the page reads and writes it.
//!
//! Layout: `PINPROJ1` | header length (u32 LE) | header JSON | samples | head weights file.
//! The samples are the classes' samples in order, each [`SAMPLE_BYTES`]; the header says how many
//! each class has and how long the head is, and the body must be exactly that long.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::classes::{ClassesError, check_names, check_sample_count};
use super::project::{Project, ProjectHead};
use super::{MAX_CLASS_SAMPLES, MAX_TEACH_CLASSES, SAMPLE_BYTES, TeachReport, TeachSettings};
use crate::model::framing::{FrameError, frame, unframe};
use crate::protocol::MAX_WEIGHTS_FILE_BYTES;

const MAGIC: &[u8; 8] = b"PINPROJ1";
/// The layout this build writes and the newest it reads.
pub const PROJECT_FORMAT_VERSION: u32 = 1;
/// Largest header: class names, settings and a report are a few KB.
const MAX_HEADER_BYTES: usize = 1 << 20;
/// Largest project file: every class full, a header and the largest weights file.
pub const MAX_PROJECT_FILE_BYTES: u64 =
    (MAX_TEACH_CLASSES * MAX_CLASS_SAMPLES * SAMPLE_BYTES + MAX_HEADER_BYTES + 12) as u64
        + MAX_WEIGHTS_FILE_BYTES;

#[derive(Serialize, Deserialize)]
struct Header {
    format_version: u32,
    classes: Vec<ClassHeader>,
    #[serde(default)]
    settings: TeachSettings,
    head: Option<HeadHeader>,
    #[serde(default)]
    in_use: bool,
}

#[derive(Serialize, Deserialize)]
struct ClassHeader {
    name: String,
    samples: usize,
}

#[derive(Serialize, Deserialize)]
struct HeadHeader {
    bytes: u64,
    report: TeachReport,
    /// The name the classifier knows the head by (files before it was kept: a default).
    #[serde(default)]
    file_name: String,
}

/// The head's name when the file gives none, or one too long for a label.
const IMPORTED_HEAD_NAME: &str = "imported-head.bin";
const MAX_HEAD_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectError {
    #[error("{name}: not a Pinhole project file (it does not start with PINPROJ1)")]
    NotProject { name: String },
    #[error("{name}: the file is truncated ({len} bytes; its header describes {expected})")]
    Truncated {
        name: String,
        len: u64,
        expected: u64,
    },
    #[error("{name}: unreadable header: {reason}")]
    BadHeader { name: String, reason: String },
    #[error(
        "{name}: made by a newer version of Pinhole (project format {found}; this page reads up to {PROJECT_FORMAT_VERSION}): reload the page for the latest version"
    )]
    Newer { name: String, found: u32 },
    #[error("{name}: {reason}")]
    Classes { name: String, reason: ClassesError },
    #[error(
        "{name}: the head claims {bytes} bytes; a weights file is at most {MAX_WEIGHTS_FILE_BYTES}"
    )]
    HeadTooLarge { name: String, bytes: u64 },
    #[error(
        "{name}: {extra} bytes after what its header describes: the file lies about its contents"
    )]
    Trailing { name: String, extra: u64 },
    #[error("cannot write the project: {0}")]
    Invalid(ClassesError),
    #[error("cannot write the project: {0}")]
    Save(String),
}

impl Project {
    /// The project as one file.
    pub fn encode(&self) -> Result<Vec<u8>, ProjectError> {
        self.check().map_err(ProjectError::Invalid)?;
        let header = Header {
            format_version: PROJECT_FORMAT_VERSION,
            classes: self
                .classes
                .iter()
                .map(|c| ClassHeader {
                    name: c.name.clone(),
                    samples: c.samples.len(),
                })
                .collect(),
            settings: self.settings.clone(),
            head: self.head.as_ref().map(|h| HeadHeader {
                bytes: h.weights.len() as u64,
                report: h.report.clone(),
                file_name: h.file_name.clone(),
            }),
            in_use: self.in_use,
        };
        let mut body: Vec<&[u8]> = self
            .classes
            .iter()
            .flat_map(|c| c.samples.iter().map(|s| s.rgb.as_slice()))
            .collect();
        if let Some(head) = &self.head {
            body.push(&head.weights);
        }
        frame(MAGIC, &header, &body).map_err(|e| ProjectError::Save(e.to_string()))
    }

    /// Reads a project file; `name` names it in errors. Every count and length is checked
    /// against the limits and the file's real length before anything is allocated.
    pub fn decode(bytes: &[u8], name: &str) -> Result<Project, ProjectError> {
        let name_owned = || name.to_string();
        // The header's end: what a file cut short within its first part needed.
        let mut header_end = 12;
        if bytes.len() >= 12 && bytes.starts_with(MAGIC) {
            let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
            header_end += header_len as u64;
            if header_len > MAX_HEADER_BYTES {
                return Err(ProjectError::BadHeader {
                    name: name_owned(),
                    reason: format!("its header claims {header_len} bytes"),
                });
            }
        }
        let (header, body): (Header, &[u8]) = unframe(bytes, MAGIC).map_err(|e| match e {
            FrameError::WrongMagic => ProjectError::NotProject { name: name_owned() },
            FrameError::Truncated => ProjectError::Truncated {
                name: name_owned(),
                len: bytes.len() as u64,
                expected: header_end,
            },
            FrameError::BadHeader(reason) => ProjectError::BadHeader {
                name: name_owned(),
                reason,
            },
        })?;
        if header.format_version > PROJECT_FORMAT_VERSION {
            return Err(ProjectError::Newer {
                name: name_owned(),
                found: header.format_version,
            });
        }
        let classes_error = |reason| ProjectError::Classes {
            name: name_owned(),
            reason,
        };
        let names: Vec<String> = header.classes.iter().map(|c| c.name.clone()).collect();
        check_names(&names).map_err(classes_error)?;
        let mut expected = 0u64;
        for class in &header.classes {
            check_sample_count(&class.name, class.samples).map_err(classes_error)?;
            expected += (class.samples * SAMPLE_BYTES) as u64;
        }
        let head_bytes = header.head.as_ref().map_or(0, |h| h.bytes);
        if head_bytes > MAX_WEIGHTS_FILE_BYTES {
            return Err(ProjectError::HeadTooLarge {
                name: name_owned(),
                bytes: head_bytes,
            });
        }
        expected += head_bytes;
        let len = body.len() as u64;
        if len < expected {
            return Err(ProjectError::Truncated {
                name: name_owned(),
                len: bytes.len() as u64,
                expected: bytes.len() as u64 - len + expected,
            });
        }
        if len > expected {
            return Err(ProjectError::Trailing {
                name: name_owned(),
                extra: len - expected,
            });
        }
        let mut rest = body;
        let samples = header
            .classes
            .iter()
            .map(|c| {
                let (samples, after) = rest.split_at(c.samples * SAMPLE_BYTES);
                rest = after;
                samples.chunks(SAMPLE_BYTES).map(<[u8]>::to_vec).collect()
            })
            .collect();
        let mut project =
            Project::with_classes(names, samples, header.settings).map_err(classes_error)?;
        project.head = header.head.map(|h| ProjectHead {
            file_name: head_name(h.file_name),
            weights: Arc::new(rest.to_vec()),
            report: h.report,
        });
        project.in_use = header.in_use && project.head.is_some();
        Ok(project)
    }
}

/// The head's name as written, or the default when it is missing or too long for a label.
fn head_name(written: String) -> String {
    let n = written.chars().count();
    if n == 0 || n > MAX_HEAD_NAME_CHARS || written.chars().any(char::is_control) {
        IMPORTED_HEAD_NAME.into()
    } else {
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        let sample = |seed: u8| {
            (0..SAMPLE_BYTES)
                .map(|i| (i as u8).wrapping_mul(seed))
                .collect()
        };
        let mut project = Project::with_classes(
            vec!["mug".into(), "cat".into(), "empty".into()],
            vec![
                vec![sample(1), sample(2), sample(3)],
                vec![sample(5)],
                vec![],
            ],
            TeachSettings {
                steps: 77,
                ..TeachSettings::default()
            },
        )
        .unwrap();
        project.head = Some(ProjectHead {
            file_name: "mine-head.bin".into(),
            weights: Arc::new(b"PINHOLE1 pretend weights".to_vec()),
            report: TeachReport {
                backbone: "full".into(),
                views: 24,
                ..TeachReport::default()
            },
        });
        project.in_use = true;
        project
    }

    #[test]
    fn a_project_round_trips_exactly() {
        let p = project();
        let bytes = p.encode().unwrap();
        assert_eq!(Project::decode(&bytes, "p.pinhole").unwrap(), p);
        let bare = Project::default();
        assert_eq!(
            Project::decode(&bare.encode().unwrap(), "bare").unwrap(),
            bare
        );
    }

    #[test]
    fn truncated_newer_or_lying_files_are_refused_by_name() {
        let bytes = project().encode().unwrap();
        for cut in [0, 5, 11, 40, bytes.len() / 2, bytes.len() - 1] {
            let e = Project::decode(&bytes[..cut], "cut.pinhole").unwrap_err();
            assert!(e.to_string().starts_with("cut.pinhole: "), "{e}");
            assert!(
                matches!(
                    e,
                    ProjectError::Truncated { .. } | ProjectError::BadHeader { .. }
                ),
                "{cut}: {e}"
            );
            // A cut file is told how long it should have been: longer than it is.
            if let ProjectError::Truncated { len, expected, .. } = e {
                assert!(expected > len, "{cut}: {e}");
            }
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"extra");
        assert!(matches!(
            Project::decode(&longer, "x").unwrap_err(),
            ProjectError::Trailing { extra: 5, .. }
        ));
        // Same length keeps the header length field right.
        let edit = |from: &str, to: &str| {
            assert_eq!(from.len(), to.len());
            let at = bytes
                .windows(from.len())
                .position(|w| w == from.as_bytes())
                .unwrap();
            let mut out = bytes.clone();
            out[at..at + to.len()].copy_from_slice(to.as_bytes());
            out
        };
        let newer = edit("\"format_version\":1", "\"format_version\":9");
        let e = Project::decode(&newer, "new.pinhole").unwrap_err();
        assert!(matches!(e, ProjectError::Newer { found: 9, .. }), "{e}");
        let lies = edit("\"samples\":3", "\"samples\":9");
        assert!(matches!(
            Project::decode(&lies, "x").unwrap_err(),
            ProjectError::Truncated { .. }
        ));
        let dup = edit("\"cat\"", "\"mug\"");
        assert!(matches!(
            Project::decode(&dup, "x").unwrap_err(),
            ProjectError::Classes {
                reason: ClassesError::Names(_),
                ..
            }
        ));
        assert!(matches!(
            Project::decode(b"PINHOLE1 weights, not a project", "w.bin").unwrap_err(),
            ProjectError::NotProject { .. }
        ));
    }

    #[test]
    fn counts_beyond_the_limits_are_refused_before_allocating() {
        let header = serde_json::json!({
            "format_version": 1,
            "classes": [{"name": "a", "samples": 1_000_000_000usize}],
            "head": null,
        });
        let bytes = frame(MAGIC, &header, &[]).unwrap();
        assert!(matches!(
            Project::decode(&bytes, "x").unwrap_err(),
            ProjectError::Classes {
                reason: ClassesError::TooManySamples { .. },
                ..
            }
        ));
        let header = serde_json::json!({
            "format_version": 1, "classes": [],
            "head": {"bytes": u64::MAX, "report": TeachReport::default()},
        });
        let bytes = frame(MAGIC, &header, &[]).unwrap();
        assert!(matches!(
            Project::decode(&bytes, "x").unwrap_err(),
            ProjectError::HeadTooLarge { .. }
        ));
    }
}
