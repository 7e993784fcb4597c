//! The project as IndexedDB stores it: a description, each sample and the head's bytes apart.
//! (The project file's layout: `pinhole_core::teach`.)

use serde::{Deserialize, Serialize};

use pinhole_core::teach::{SAMPLE_BYTES, TeachReport, TeachSettings};

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
        let project = &self.project;
        StoredMeta {
            classes: project
                .classes
                .iter()
                .map(|c| StoredClass {
                    id: c.id,
                    name: c.name.clone(),
                    samples: c.samples.iter().map(|s| s.id).collect(),
                })
                .collect(),
            settings: project.settings.clone(),
            head: project.head.as_ref().map(|h| StoredHead {
                file_name: h.file_name.clone(),
                report: h.report.clone(),
            }),
            in_use: project.in_use,
            next_id: project.last_id,
        }
    }

    /// The project from storage: its description, the samples it names (`sample(id)`; one that
    /// is missing or not a sample is dropped and counted) and the head's bytes.
    pub fn restore(
        meta: StoredMeta,
        mut sample: impl FnMut(u64) -> Option<Vec<u8>>,
        head: Option<Vec<u8>>,
    ) -> (Self, usize) {
        let mut missing = 0;
        let classes = meta
            .classes
            .into_iter()
            .map(|c| ProjectClass {
                id: c.id,
                name: c.name,
                samples: c
                    .samples
                    .into_iter()
                    .filter_map(|id| match sample(id).filter(|s| s.len() == SAMPLE_BYTES) {
                        Some(rgb) => Some(Sample {
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
            (Some(h), Some(weights)) => Some(ProjectHead {
                file_name: h.file_name,
                weights: Arc::new(weights),
                report: h.report,
            }),
            _ => None,
        };
        let in_use = meta.in_use && head.is_some();
        let view = TeachView {
            project: Project {
                classes,
                settings: meta.settings,
                head,
                in_use,
                last_id: meta.next_id,
            },
            awaiting_use: in_use,
            ..TeachView::default()
        };
        (view, missing)
    }

    /// Replaces the project with an imported one; returns what storage must do (delete the old
    /// samples, write the new ones, the head and the description).
    pub fn replace_with(&mut self, project: Project) -> Vec<Persist> {
        let old = self.project.sample_ids();
        // Fresh ids: the old samples' keys are deleted, never overwritten.
        let project = project.renumbered_after(self.project.last_id);
        let written = project
            .classes
            .iter()
            .flat_map(|c| c.samples.iter().map(|s| (s.id, s.rgb.clone())))
            .collect();
        let mut persist = vec![Persist::Delete(old), Persist::Samples(written)];
        if let Some(head) = &project.head {
            persist.push(Persist::Head(head.weights.clone()));
        }
        let in_use = project.in_use && project.head.is_some();
        *self = TeachView {
            project: Project { in_use, ..project },
            awaiting_use: in_use,
            ..TeachView::default()
        };
        persist.push(Persist::Meta);
        persist
    }
}
