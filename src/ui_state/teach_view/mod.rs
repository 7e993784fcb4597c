//! The Teach page's state: the project (`pinhole_core::teach::Project`, the one shape the file
//! and storage also hold) plus the teaching in progress and the files on their way to samples.
//! Every change returns what to persist ([`Persist`]), so that storage follows the view exactly.

mod stored;

pub use stored::{StoredClass, StoredHead, StoredMeta};

use std::collections::HashMap;
use std::sync::Arc;

use pinhole_core::model::class_names::is_cifar;
use pinhole_core::protocol::{Progress, Reply, Request, RequestId};
use pinhole_core::teach::{FEW_SAMPLES, Project, ProjectClass, ProjectHead, Sample, TeachPoint};

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

#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeachView {
    /// The project: classes, samples, settings, the head and whether the classifier uses it
    /// (restored after a reload). "In use" follows the engine's `Model` events
    /// ([`TeachView::model_changed`]): the head is in use exactly while the engine's classifier
    /// is this head.
    pub project: Project,
    /// The head was put into use (or restored as in use) and the engine has not reported it as
    /// its classifier yet: other networks reported meanwhile (the shipped one at start-up) are
    /// the engine's earlier state, not the visitor's later choice.
    awaiting_use: bool,
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

    pub fn class(&self, id: u64) -> Option<&ProjectClass> {
        self.project.class(id)
    }

    /// A class named `name` (trimmed), if the project has room and the name is new.
    pub fn add_class(&mut self, name: &str) -> Result<(u64, Persist), String> {
        let id = self.project.add_class(name).map_err(sentence)?;
        Ok((id, Persist::Meta))
    }

    /// The next free "Class N" name.
    pub fn next_class_name(&self) -> String {
        (1..)
            .map(|n| format!("Class {n}"))
            .find(|name| {
                !self
                    .project
                    .classes
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(name))
            })
            .expect("a free name")
    }

    pub fn rename(&mut self, id: u64, name: &str) -> Result<Persist, String> {
        self.project.rename(id, name).map_err(sentence)?;
        Ok(Persist::Meta)
    }

    /// Removes a class and its samples (what to delete from storage).
    pub fn remove_class(&mut self, id: u64) -> Vec<Persist> {
        let Some(class) = self.project.remove_class(id) else {
            return Vec::new();
        };
        self.pending.retain(|_, (c, _)| *c != id);
        vec![
            Persist::Meta,
            Persist::Delete(class.samples.iter().map(|s| s.id).collect()),
        ]
    }

    /// A sample for class `id`; refused when the class is full or the bytes are not a sample.
    pub fn add_sample(&mut self, class: u64, rgb: Vec<u8>) -> Result<Vec<Persist>, String> {
        let Sample { id, rgb } = self.project.add_sample(class, rgb).map_err(sentence)?;
        Ok(vec![Persist::Sample(id, rgb), Persist::Meta])
    }

    pub fn remove_sample(&mut self, class: u64, sample: u64) -> Vec<Persist> {
        if !self.project.remove_sample(class, sample) {
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
        outcome: pinhole_core::protocol::Outcome,
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
        self.project.sample_count()
    }

    /// Why the project cannot be taught now, if it cannot.
    pub fn blocker(&self) -> Option<String> {
        if self.project.classes.len() < 2 {
            return Some("Make at least two classes.".into());
        }
        if let Some(empty) = self.project.classes.iter().find(|c| c.samples.is_empty()) {
            return Some(format!("{} has no samples yet.", empty.name));
        }
        None
    }

    /// Classes with fewer samples than a reliable head needs.
    pub fn warnings(&self) -> Vec<String> {
        self.project
            .classes
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
            classes: self.project.class_names(),
            samples: self
                .project
                .classes
                .iter()
                .map(|c| {
                    c.samples
                        .iter()
                        .map(|s| serde_bytes::ByteBuf::from(s.rgb.as_slice()))
                        .collect()
                })
                .collect(),
            settings: self.project.settings.clone(),
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
        outcome: pinhole_core::protocol::Outcome,
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
                self.project.head = Some(ProjectHead {
                    file_name,
                    weights: weights.clone(),
                    report: *report,
                });
                self.project.in_use = false;
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
        self.project.head_is_stale()
    }

    pub fn set_in_use(&mut self, in_use: bool) -> Persist {
        self.project.in_use = in_use && self.project.head.is_some();
        self.awaiting_use = self.project.in_use;
        Persist::Meta
    }

    /// A change of network failed while the head was being put into use: the head is not in
    /// use (the engine keeps its network), and a reload must not try it again.
    pub fn model_change_failed(&mut self) -> Vec<Persist> {
        if !self.awaiting_use {
            return Vec::new();
        }
        self.awaiting_use = false;
        self.project.in_use = false;
        vec![Persist::Meta]
    }

    /// The engine reported its classifier (a `Model` event): the head is in use exactly when
    /// that classifier is this head. Another network chosen anywhere in the page (Train's
    /// preset, an import, a trained network) ends the head's use, so a reload does not put the
    /// head back over the visitor's later choice. Returns what storage must do.
    pub fn model_changed(
        &mut self,
        classes: &[String],
        weights_file: Option<&str>,
    ) -> Vec<Persist> {
        let is_head = self
            .project
            .head
            .as_ref()
            .is_some_and(|h| !is_cifar(classes) && weights_file == Some(h.file_name.as_str()));
        if self.awaiting_use && !is_head {
            return Vec::new();
        }
        self.awaiting_use = false;
        if self.project.in_use == is_head {
            return Vec::new();
        }
        self.project.in_use = is_head;
        vec![Persist::Meta]
    }
}

/// A validator's message as a sentence for the page.
fn sentence(e: impl std::fmt::Display) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}

#[cfg(test)]
mod tests;
