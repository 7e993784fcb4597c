//! A Teach project, the one shape the page edits, stores and saves as a file: classes with their
//! samples, the settings, the head last trained and whether the classifier uses it. Every edit
//! goes through the validator ([`super::classes`]); ids (unique within the project) let storage
//! keep each sample apart. The file layout: [`super::project_file`].

use std::sync::Arc;

use super::classes::{
    ClassesError, check_class_count, check_classes, check_names, check_sample, check_sample_count,
};
use super::{TeachReport, TeachSettings};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    pub classes: Vec<ProjectClass>,
    pub settings: TeachSettings,
    /// The last head trained, if any.
    pub head: Option<ProjectHead>,
    /// Whether the classifier uses the head (kept across reloads).
    pub in_use: bool,
    /// The last id given to a class or a sample.
    pub last_id: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProjectClass {
    pub id: u64,
    pub name: String,
    pub samples: Vec<Sample>,
}

/// One sample: its id and 96×96 interleaved RGB bytes (shared: thumbnails, requests and storage
/// do not copy them).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub id: u64,
    pub rgb: Arc<Vec<u8>>,
}

impl AsRef<[u8]> for Sample {
    fn as_ref(&self) -> &[u8] {
        &self.rgb
    }
}

/// The head last trained: a Pinhole weights file (the backbone with the head, its class names in
/// its header), the name the classifier knows it by, and what teaching measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectHead {
    pub file_name: String,
    pub weights: Arc<Vec<u8>>,
    pub report: TeachReport,
}

impl ProjectHead {
    pub fn class_names(&self) -> Vec<String> {
        self.report.classes.iter().map(|c| c.name.clone()).collect()
    }
}

/// An edit named a class the project no longer has (removed meanwhile).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("that class was removed")]
pub struct ClassGone;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Invalid(#[from] ClassesError),
    #[error("{0}")]
    Gone(#[from] ClassGone),
}

impl Project {
    /// A project whose classes are `names`, each with its samples, ids given in order.
    pub fn with_classes(
        names: Vec<String>,
        samples: Vec<Vec<Vec<u8>>>,
        settings: TeachSettings,
    ) -> Result<Self, ClassesError> {
        check_classes(&names, &samples)?;
        let mut project = Project {
            settings,
            ..Project::default()
        };
        for (name, samples) in names.into_iter().zip(samples) {
            let id = project.fresh_id();
            let samples = samples
                .into_iter()
                .map(|rgb| Sample {
                    id: project.fresh_id(),
                    rgb: Arc::new(rgb),
                })
                .collect();
            project.classes.push(ProjectClass { id, name, samples });
        }
        Ok(project)
    }

    fn fresh_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Every class, name and sample within the limits.
    pub fn check(&self) -> Result<(), ClassesError> {
        let samples: Vec<&[Sample]> = self.classes.iter().map(|c| &c.samples[..]).collect();
        check_classes(&self.class_names(), &samples)
    }

    pub fn class(&self, id: u64) -> Option<&ProjectClass> {
        self.classes.iter().find(|c| c.id == id)
    }

    pub fn class_names(&self) -> Vec<String> {
        self.classes.iter().map(|c| c.name.clone()).collect()
    }

    /// Every sample's id.
    pub fn sample_ids(&self) -> Vec<u64> {
        self.classes
            .iter()
            .flat_map(|c| c.samples.iter().map(|s| s.id))
            .collect()
    }

    pub fn sample_count(&self) -> usize {
        self.classes.iter().map(|c| c.samples.len()).sum()
    }

    /// The names if class `except` were called `name`, or a class `name` were added.
    fn names_with(&self, except: Option<u64>, name: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .classes
            .iter()
            .filter(|c| Some(c.id) != except)
            .map(|c| c.name.clone())
            .collect();
        names.push(name.to_string());
        names
    }

    /// A class named `name` (trimmed), if the project has room and the name is new.
    pub fn add_class(&mut self, name: &str) -> Result<u64, ClassesError> {
        check_class_count(self.classes.len() + 1)?;
        let name = name.trim();
        check_names(&self.names_with(None, name))?;
        let id = self.fresh_id();
        self.classes.push(ProjectClass {
            id,
            name: name.to_string(),
            samples: Vec::new(),
        });
        Ok(id)
    }

    pub fn rename(&mut self, id: u64, name: &str) -> Result<(), EditError> {
        let name = name.trim();
        check_names(&self.names_with(Some(id), name))?;
        let class = self
            .classes
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or(ClassGone)?;
        class.name = name.to_string();
        Ok(())
    }

    /// Removes a class, returned with its samples.
    pub fn remove_class(&mut self, id: u64) -> Option<ProjectClass> {
        let at = self.classes.iter().position(|c| c.id == id)?;
        Some(self.classes.remove(at))
    }

    /// A sample for class `class`; refused when the class is full or the bytes are not a sample.
    pub fn add_sample(&mut self, class: u64, rgb: Vec<u8>) -> Result<Sample, EditError> {
        let target = self.class(class).ok_or(ClassGone)?;
        check_sample(&target.name, target.samples.len() + 1, rgb.len())?;
        check_sample_count(&target.name, target.samples.len() + 1)?;
        let sample = Sample {
            id: self.fresh_id(),
            rgb: Arc::new(rgb),
        };
        let target = self.classes.iter_mut().find(|c| c.id == class);
        target.expect("found above").samples.push(sample.clone());
        Ok(sample)
    }

    /// Removes a sample; whether it was there.
    pub fn remove_sample(&mut self, class: u64, sample: u64) -> bool {
        let Some(target) = self.classes.iter_mut().find(|c| c.id == class) else {
            return false;
        };
        let before = target.samples.len();
        target.samples.retain(|s| s.id != sample);
        target.samples.len() != before
    }

    /// Whether the classes changed since the head was trained (names or order).
    pub fn head_is_stale(&self) -> bool {
        self.head
            .as_ref()
            .is_some_and(|h| h.class_names() != self.class_names())
    }

    /// The same project with every id after `last_id`, in order: an imported project takes ids
    /// the one it replaces never used, so storage can delete the old samples in any order.
    pub fn renumbered_after(mut self, last_id: u64) -> Self {
        self.last_id = last_id;
        for c in 0..self.classes.len() {
            self.classes[c].id = self.fresh_id();
            for s in 0..self.classes[c].samples.len() {
                self.classes[c].samples[s].id = self.fresh_id();
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MAX_CLASS_SAMPLES, MAX_TEACH_CLASSES, SAMPLE_BYTES};
    use super::*;

    #[test]
    fn edits_go_through_the_validator() {
        let mut p = Project::default();
        let mug = p.add_class(" mug ").unwrap();
        assert_eq!(p.class(mug).unwrap().name, "mug");
        assert!(matches!(p.add_class("MUG"), Err(ClassesError::Names(_))));
        assert!(p.add_class("  ").is_err());
        let cat = p.add_class("cat").unwrap();
        assert!(p.rename(cat, "Mug").is_err());
        assert_eq!(p.rename(99, "dog"), Err(EditError::Gone(ClassGone)));
        assert!(matches!(
            p.add_sample(mug, vec![0; 5]),
            Err(EditError::Invalid(ClassesError::BadSample { len: 5, .. }))
        ));
        for _ in 0..MAX_CLASS_SAMPLES {
            p.add_sample(mug, vec![1; SAMPLE_BYTES]).unwrap();
        }
        assert!(matches!(
            p.add_sample(mug, vec![1; SAMPLE_BYTES]),
            Err(EditError::Invalid(ClassesError::TooManySamples { .. }))
        ));
        while p.classes.len() < MAX_TEACH_CLASSES {
            p.add_class(&format!("c{}", p.classes.len())).unwrap();
        }
        assert!(matches!(
            p.add_class("one more"),
            Err(ClassesError::TooManyClasses { .. })
        ));
        assert_eq!(p.check(), Ok(()));
        let first = p.classes[0].samples[0].id;
        assert!(p.remove_sample(mug, first));
        assert!(!p.remove_sample(mug, first));
        assert_eq!(p.remove_class(cat).unwrap().name, "cat");
        assert!(p.remove_class(cat).is_none());
    }

    #[test]
    fn renumbering_keeps_order_and_leaves_old_ids_unused() {
        let p = Project::with_classes(
            vec!["a".into(), "b".into()],
            vec![vec![vec![0; SAMPLE_BYTES]; 2], vec![vec![1; SAMPLE_BYTES]]],
            TeachSettings::default(),
        )
        .unwrap();
        assert_eq!(p.sample_ids(), [2, 3, 5]);
        let q = p.clone().renumbered_after(10);
        assert_eq!(q.classes[0].id, 11);
        assert_eq!(q.sample_ids(), [12, 13, 15]);
        assert_eq!(q.last_id, 15);
        assert_eq!(q.class_names(), p.class_names());
    }
}
