//! The project as it is stored (IndexedDB: a description, each sample and the head's bytes apart)
//! and as a project file: from and back into the view.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use pinhole_core::teach::{Project, ProjectClass, ProjectHead, SAMPLE_BYTES};

use super::*;

/// The project's description as stored (samples and the head's bytes are stored apart).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredMeta {
    pub classes: Vec<StoredClass>,
    pub settings: TeachSettings,
    pub head: Option<StoredHead>,
    pub in_use: bool,
    pub next_id: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredClass {
    pub id: u64,
    pub name: String,
    pub samples: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredHead {
    pub file_name: String,
    pub report: TeachReport,
}

impl TeachView {
    /// The stored description of the project.
    pub fn meta(&self) -> StoredMeta {
        StoredMeta {
            classes: self
                .classes
                .iter()
                .map(|c| StoredClass {
                    id: c.id,
                    name: c.name.clone(),
                    samples: c.samples.iter().map(|s| s.id).collect(),
                })
                .collect(),
            settings: self.settings.clone(),
            head: self.head.as_ref().map(|h| StoredHead {
                file_name: h.file_name.clone(),
                report: h.report.clone(),
            }),
            in_use: self.in_use,
            next_id: self.next_id,
        }
    }

    /// The project from storage: its description, the samples it names (`sample(id)`; one that
    /// is missing is dropped and counted) and the head's bytes.
    pub fn restore(
        meta: StoredMeta,
        mut sample: impl FnMut(u64) -> Option<Vec<u8>>,
        head: Option<Vec<u8>>,
    ) -> (Self, usize) {
        let mut missing = 0;
        let classes = meta
            .classes
            .into_iter()
            .map(|c| TeachClass {
                id: c.id,
                name: c.name,
                samples: c
                    .samples
                    .into_iter()
                    .filter_map(|id| match sample(id).filter(|s| s.len() == SAMPLE_BYTES) {
                        Some(rgb) => Some(TeachSample {
                            id,
                            rgb: Arc::new(rgb),
                        }),
                        None => {
                            missing += 1;
                            None
                        }
                    })
                    .collect(),
            })
            .collect();
        let head = match (meta.head, head) {
            (Some(h), Some(weights)) => Some(TrainedHead {
                file_name: h.file_name,
                weights: Arc::new(weights),
                report: h.report,
            }),
            _ => None,
        };
        let in_use = meta.in_use && head.is_some();
        let view = TeachView {
            classes,
            settings: meta.settings,
            in_use,
            awaiting_use: in_use,
            head,
            next_id: meta.next_id,
            ..TeachView::default()
        };
        (view, missing)
    }

    /// The project as a project file's contents.
    pub fn project(&self) -> Project {
        Project {
            classes: self
                .classes
                .iter()
                .map(|c| ProjectClass {
                    name: c.name.clone(),
                    samples: c.samples.iter().map(|s| s.rgb.to_vec()).collect(),
                })
                .collect(),
            settings: self.settings.clone(),
            head: self.head.as_ref().map(|h| ProjectHead {
                weights: h.weights.to_vec(),
                report: h.report.clone(),
            }),
            in_use: self.in_use,
        }
    }

    /// Replaces the project with an imported one; returns what storage must do (delete the old
    /// samples, write the new ones, the head and the description).
    pub fn replace_with(&mut self, project: Project) -> Vec<Persist> {
        let old: Vec<u64> = self
            .classes
            .iter()
            .flat_map(|c| c.samples.iter().map(|s| s.id))
            .collect();
        let mut fresh = TeachView {
            next_id: self.next_id,
            settings: project.settings,
            ..TeachView::default()
        };
        let mut written = Vec::new();
        for class in project.classes {
            let id = fresh.fresh_id();
            let samples = class
                .samples
                .into_iter()
                .map(|rgb| {
                    let sample = TeachSample {
                        id: fresh.fresh_id(),
                        rgb: Arc::new(rgb),
                    };
                    written.push((sample.id, sample.rgb.clone()));
                    sample
                })
                .collect();
            fresh.classes.push(TeachClass {
                id,
                name: class.name,
                samples,
            });
        }
        let mut persist = vec![Persist::Delete(old), Persist::Samples(written)];
        if let Some(head) = project.head {
            let weights = Arc::new(head.weights);
            persist.push(Persist::Head(weights.clone()));
            fresh.head = Some(TrainedHead {
                file_name: "imported-head.bin".into(),
                weights,
                report: head.report,
            });
        }
        fresh.in_use = project.in_use && fresh.head.is_some();
        fresh.awaiting_use = fresh.in_use;
        *self = fresh;
        persist.push(Persist::Meta);
        persist
    }
}
