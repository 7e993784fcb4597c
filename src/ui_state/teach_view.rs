//! The Teach page's project as the page holds it: classes with their samples, the settings, the
//! head last trained and whether the classifier uses it, plus the teaching in progress. Every
//! change returns what to persist ([`Persist`]), so that storage follows the view exactly.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::class_names::{ClassNamesError, MAX_CLASS_NAME_CHARS, check_each_name};
use crate::protocol::{Progress, Reply, Request, RequestId};
use crate::teach::{
    FEW_SAMPLES, MAX_CLASS_SAMPLES, MAX_TEACH_CLASSES, Project, ProjectClass, ProjectHead,
    SAMPLE_BYTES, TeachPoint, TeachReport, TeachSettings,
};

/// One sample: its storage id and 96×96 RGB bytes (shared, so thumbnails and requests do not
/// copy them).
#[derive(Clone, Debug, PartialEq)]
pub struct TeachSample {
    pub id: u64,
    pub rgb: Arc<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TeachClass {
    pub id: u64,
    pub name: String,
    pub samples: Vec<TeachSample>,
}

/// The head last trained: its weights file (the backbone with the head) and its report.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainedHead {
    pub file_name: String,
    pub weights: Arc<Vec<u8>>,
    pub report: TeachReport,
}

impl TrainedHead {
    pub fn class_names(&self) -> Vec<String> {
        self.report.classes.iter().map(|c| c.name.clone()).collect()
    }
}

/// What storage must do after a change.
#[derive(Clone, Debug, PartialEq)]
pub enum Persist {
    /// The project's description (names, sample ids, settings, the head's report).
    Meta,
    Sample(u64, Arc<Vec<u8>>),
    Samples(Vec<(u64, Arc<Vec<u8>>)>),
    Delete(Vec<u64>),
    Head(Arc<Vec<u8>>),
}

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

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeachView {
    pub classes: Vec<TeachClass>,
    pub settings: TeachSettings,
    pub head: Option<TrainedHead>,
    /// Whether the classifier uses the head (the page restores it after a reload).
    pub in_use: bool,
    next_id: u64,
    /// The `Teach` request in progress, its progress line and curve so far.
    pub teaching: Option<RequestId>,
    pub progress: Option<String>,
    pub curve: Vec<TeachPoint>,
    /// The last teaching failure or refusal.
    pub message: Option<String>,
    /// Samples being made from files: request id → (class id, file name).
    pub pending: HashMap<RequestId, (u64, String)>,
    /// Files that could not become samples, by message.
    pub sample_errors: Vec<String>,
}

impl TeachView {
    /// A new project: two empty classes to start from.
    pub fn starter() -> Self {
        let mut view = TeachView::default();
        let _ = view.add_class("Class 1");
        let _ = view.add_class("Class 2");
        view
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn class(&self, id: u64) -> Option<&TeachClass> {
        self.classes.iter().find(|c| c.id == id)
    }

    fn names_with(&self, id: Option<u64>, name: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .classes
            .iter()
            .filter(|c| Some(c.id) != id)
            .map(|c| c.name.clone())
            .collect();
        names.push(name.to_string());
        names
    }

    /// A class named `name` (trimmed), if the project has room and the name is new.
    pub fn add_class(&mut self, name: &str) -> Result<(u64, Persist), String> {
        if self.classes.len() >= MAX_TEACH_CLASSES {
            return Err(format!(
                "A project has at most {MAX_TEACH_CLASSES} classes."
            ));
        }
        let name = name.trim();
        check_each_name(&self.names_with(None, name)).map_err(name_message)?;
        let id = self.fresh_id();
        self.classes.push(TeachClass {
            id,
            name: name.to_string(),
            samples: Vec::new(),
        });
        Ok((id, Persist::Meta))
    }

    /// The next free "Class N" name.
    pub fn next_class_name(&self) -> String {
        (1..)
            .map(|n| format!("Class {n}"))
            .find(|name| {
                !self
                    .classes
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(name))
            })
            .expect("a free name")
    }

    pub fn rename(&mut self, id: u64, name: &str) -> Result<Persist, String> {
        let name = name.trim();
        check_each_name(&self.names_with(Some(id), name)).map_err(name_message)?;
        let class = self
            .classes
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or("That class is gone.")?;
        class.name = name.to_string();
        Ok(Persist::Meta)
    }

    /// Removes a class and its samples (what to delete from storage).
    pub fn remove_class(&mut self, id: u64) -> Vec<Persist> {
        let Some(at) = self.classes.iter().position(|c| c.id == id) else {
            return Vec::new();
        };
        let class = self.classes.remove(at);
        self.pending.retain(|_, (c, _)| *c != id);
        vec![
            Persist::Meta,
            Persist::Delete(class.samples.iter().map(|s| s.id).collect()),
        ]
    }

    /// A sample for class `id`; refused when the class is full or the bytes are not a sample.
    pub fn add_sample(&mut self, class: u64, rgb: Vec<u8>) -> Result<Vec<Persist>, String> {
        if rgb.len() != SAMPLE_BYTES {
            return Err(format!(
                "A sample is 96×96 RGB ({SAMPLE_BYTES} bytes), not {} bytes.",
                rgb.len()
            ));
        }
        let id = self.fresh_id();
        let Some(target) = self.classes.iter_mut().find(|c| c.id == class) else {
            return Err("That class was removed.".into());
        };
        if target.samples.len() >= MAX_CLASS_SAMPLES {
            return Err(format!(
                "{} already has {MAX_CLASS_SAMPLES} samples, the most a class holds.",
                target.name
            ));
        }
        let rgb = Arc::new(rgb);
        target.samples.push(TeachSample {
            id,
            rgb: rgb.clone(),
        });
        Ok(vec![Persist::Sample(id, rgb), Persist::Meta])
    }

    pub fn remove_sample(&mut self, class: u64, sample: u64) -> Vec<Persist> {
        let Some(target) = self.classes.iter_mut().find(|c| c.id == class) else {
            return Vec::new();
        };
        let before = target.samples.len();
        target.samples.retain(|s| s.id != sample);
        if target.samples.len() == before {
            return Vec::new();
        }
        vec![Persist::Meta, Persist::Delete(vec![sample])]
    }

    /// A file on its way to becoming a sample of `class`.
    pub fn sample_asked(&mut self, id: RequestId, class: u64, name: String) {
        self.pending.insert(id, (class, name));
    }

    /// The engine's answer for a file: a sample, or why not (named).
    pub fn sample_answered(
        &mut self,
        id: RequestId,
        outcome: crate::protocol::Outcome,
    ) -> Vec<Persist> {
        let Some((class, name)) = self.pending.remove(&id) else {
            return Vec::new();
        };
        match outcome {
            Ok(Reply::Sample { rgb, .. }) => match self.add_sample(class, rgb) {
                Ok(persist) => persist,
                Err(message) => {
                    self.sample_errors.push(format!("{name}: {message}"));
                    Vec::new()
                }
            },
            Ok(_) => Vec::new(),
            Err(failure) => {
                self.sample_errors.push(failure.message);
                Vec::new()
            }
        }
    }

    /// A file refused before it reached the engine (too large, unreadable).
    pub fn sample_refused(&mut self, message: String) {
        self.sample_errors.push(message);
    }

    pub fn samples(&self) -> usize {
        self.classes.iter().map(|c| c.samples.len()).sum()
    }

    /// Why the project cannot be taught now, if it cannot.
    pub fn blocker(&self) -> Option<String> {
        if self.classes.len() < 2 {
            return Some("Make at least two classes.".into());
        }
        if let Some(empty) = self.classes.iter().find(|c| c.samples.is_empty()) {
            return Some(format!("{} has no samples yet.", empty.name));
        }
        None
    }

    /// Classes with fewer samples than a reliable head needs.
    pub fn warnings(&self) -> Vec<String> {
        self.classes
            .iter()
            .filter(|c| !c.samples.is_empty() && c.samples.len() < FEW_SAMPLES)
            .map(|c| {
                format!(
                    "{} has {} sample{}: {FEW_SAMPLES} or more teach a steadier head.",
                    c.name,
                    c.samples.len(),
                    if c.samples.len() == 1 { "" } else { "s" }
                )
            })
            .collect()
    }

    /// The `Teach` request for the project as it is, or why there is none.
    pub fn teach_request(&self) -> Result<Request, String> {
        if let Some(blocker) = self.blocker() {
            return Err(blocker);
        }
        Ok(Request::Teach {
            classes: self.classes.iter().map(|c| c.name.clone()).collect(),
            samples: self
                .classes
                .iter()
                .map(|c| {
                    c.samples
                        .iter()
                        .map(|s| serde_bytes::ByteBuf::from(s.rgb.as_slice()))
                        .collect()
                })
                .collect(),
            settings: self.settings.clone(),
        })
    }

    pub fn teaching_started(&mut self, id: RequestId) {
        self.teaching = Some(id);
        self.curve.clear();
        self.message = None;
        self.progress = Some("Starting…".into());
    }

    pub fn teaching_progress(&mut self, id: RequestId, progress: &Progress) {
        if self.teaching != Some(id) {
            return;
        }
        match progress {
            Progress::TeachPoint { point } => {
                self.progress = Some(format!("Training the head: step {}", point.step));
                self.curve.push(point.clone());
            }
            Progress::Step { message, .. } => self.progress = Some(message.clone()),
            _ => {}
        }
    }

    /// The head arrived (or teaching failed); a new head replaces the old one.
    pub fn teaching_answered(
        &mut self,
        id: RequestId,
        outcome: crate::protocol::Outcome,
    ) -> Vec<Persist> {
        if self.teaching != Some(id) {
            return Vec::new();
        }
        self.teaching = None;
        self.progress = None;
        match outcome {
            Ok(Reply::Taught {
                file_name,
                weights,
                report,
            }) => {
                let weights = Arc::new(weights);
                self.head = Some(TrainedHead {
                    file_name,
                    weights: weights.clone(),
                    report: *report,
                });
                self.in_use = false;
                vec![Persist::Head(weights), Persist::Meta]
            }
            Ok(_) => Vec::new(),
            Err(failure) => {
                self.message = Some(format!("Teaching failed: {}", failure.message));
                Vec::new()
            }
        }
    }

    /// Whether the classes changed since the head was trained (names or order).
    pub fn head_is_stale(&self) -> bool {
        self.head.as_ref().is_some_and(|h| {
            h.class_names()
                != self
                    .classes
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
        })
    }

    pub fn set_in_use(&mut self, in_use: bool) -> Persist {
        self.in_use = in_use && self.head.is_some();
        Persist::Meta
    }

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
        let view = TeachView {
            classes,
            settings: meta.settings,
            in_use: meta.in_use && head.is_some(),
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
        *self = fresh;
        persist.push(Persist::Meta);
        persist
    }
}

fn name_message(e: ClassNamesError) -> String {
    match e {
        ClassNamesError::Empty { .. } => "A class needs a name.".into(),
        ClassNamesError::TooLong { .. } => {
            format!("A class name has at most {MAX_CLASS_NAME_CHARS} characters.")
        }
        ClassNamesError::Duplicate { name } => format!("There is already a class called {name}."),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Failure, FailureKind};

    fn sample(v: u8) -> Vec<u8> {
        vec![v; SAMPLE_BYTES]
    }

    #[test]
    fn classes_are_named_distinct_and_bounded() {
        let mut view = TeachView::starter();
        assert_eq!(view.classes.len(), 2);
        assert_eq!(view.next_class_name(), "Class 3");
        let (mug, _) = view.add_class(" mug ").unwrap();
        assert_eq!(view.class(mug).unwrap().name, "mug");
        assert_eq!(
            view.add_class("MUG").unwrap_err(),
            "There is already a class called MUG."
        );
        assert!(view.add_class("  ").is_err());
        assert!(view.rename(mug, "Class 1").is_err());
        assert_eq!(view.rename(mug, "cup"), Ok(Persist::Meta));
        while view.classes.len() < MAX_TEACH_CLASSES {
            let name = view.next_class_name();
            view.add_class(&name).unwrap();
        }
        assert!(view.add_class("one more").is_err());
    }

    #[test]
    fn samples_are_checked_counted_and_persisted() {
        let mut view = TeachView::starter();
        let a = view.classes[0].id;
        let b = view.classes[1].id;
        assert!(view.add_sample(a, vec![0; 5]).is_err());
        let persist = view.add_sample(a, sample(1)).unwrap();
        assert!(matches!(persist[0], Persist::Sample(_, _)));
        assert_eq!(view.blocker(), Some("Class 2 has no samples yet.".into()));
        assert!(view.teach_request().is_err());
        view.sample_asked(7, b, "cat.png".into());
        view.sample_asked(8, b, "junk.png".into());
        view.sample_answered(
            7,
            Ok(Reply::Sample {
                name: "cat.png".into(),
                rgb: sample(2),
            }),
        );
        view.sample_answered(
            8,
            Err(Failure::new(
                FailureKind::InvalidInput,
                "junk.png: not an image",
            )),
        );
        assert_eq!(view.sample_errors, ["junk.png: not an image"]);
        assert_eq!(view.blocker(), None);
        assert_eq!(view.warnings().len(), 2);
        match view.teach_request().unwrap() {
            Request::Teach {
                classes, samples, ..
            } => {
                assert_eq!(classes, ["Class 1", "Class 2"]);
                assert_eq!(samples[1][0].as_slice(), sample(2).as_slice());
            }
            other => panic!("{other:?}"),
        }
        let sid = view.classes[0].samples[0].id;
        assert_eq!(
            view.remove_sample(a, sid),
            vec![Persist::Meta, Persist::Delete(vec![sid])]
        );
        // An answer for a removed class is dropped, not added elsewhere.
        view.sample_asked(9, b, "late.png".into());
        view.remove_class(b);
        assert!(
            view.sample_answered(
                9,
                Ok(Reply::Sample {
                    name: "late.png".into(),
                    rgb: sample(3)
                })
            )
            .is_empty()
        );
    }

    #[test]
    fn storage_and_project_files_hold_the_whole_project() {
        let mut view = TeachView::starter();
        let a = view.classes[0].id;
        view.add_sample(a, sample(4)).unwrap();
        view.add_sample(a, sample(5)).unwrap();
        view.teaching_started(3);
        view.teaching_progress(
            3,
            &Progress::TeachPoint {
                point: TeachPoint {
                    step: 10,
                    loss: 0.5,
                    held_out_accuracy: Some(1.0),
                },
            },
        );
        assert_eq!(view.curve.len(), 1);
        let persist = view.teaching_answered(
            3,
            Ok(Reply::Taught {
                file_name: "h.bin".into(),
                weights: vec![1, 2, 3],
                report: Box::default(),
            }),
        );
        assert!(matches!(persist[0], Persist::Head(_)));
        view.set_in_use(true);

        let meta = view.meta();
        let stored: HashMap<u64, Vec<u8>> = view.classes[0]
            .samples
            .iter()
            .map(|s| (s.id, s.rgb.to_vec()))
            .collect();
        let (back, missing) = TeachView::restore(
            meta.clone(),
            |id| stored.get(&id).cloned(),
            Some(vec![1, 2, 3]),
        );
        assert_eq!(missing, 0);
        assert_eq!(back.classes, view.classes);
        assert_eq!(back.head, view.head);
        assert!(back.in_use);
        // A lost sample is dropped and counted; a lost head is not claimed as in use.
        let (partial, missing) = TeachView::restore(meta, |_| None, None);
        assert_eq!(
            (missing, partial.in_use, partial.head.is_none()),
            (2, false, true)
        );

        let project = view.project();
        let mut other = TeachView::starter();
        other.add_sample(other.classes[1].id, sample(9)).unwrap();
        let persist = other.replace_with(project.clone());
        assert_eq!(other.project(), project);
        assert!(matches!(&persist[0], Persist::Delete(ids) if ids.len() == 1));
    }
}
