//! The one validator for a project's classes and samples. The page calls it as the visitor
//! edits, the project file decoder before it allocates, and the teacher before it teaches, so a
//! limit is written once and refused with one error type everywhere.

use super::{MAX_CLASS_SAMPLES, MAX_TEACH_CLASSES, SAMPLE_BYTES};
use crate::model::class_names::{ClassNamesError, MIN_CLASSES, check_each_name};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassesError {
    #[error("{count} classes: a project has at most {MAX_TEACH_CLASSES}")]
    TooManyClasses { count: usize },
    #[error("{count} class(es): teaching needs at least {MIN_CLASSES}")]
    TooFewClasses { count: usize },
    #[error("{0}")]
    Names(#[from] ClassNamesError),
    #[error("{class:?} has {count} samples: a class holds at most {MAX_CLASS_SAMPLES}")]
    TooManySamples { class: String, count: usize },
    #[error("{class:?} has no samples: add some, or remove the class")]
    EmptyClass { class: String },
    #[error("sample {number} of {class:?} is {len} bytes, not a 96×96 RGB sample ({SAMPLE_BYTES})")]
    BadSample {
        class: String,
        number: usize,
        len: usize,
    },
    #[error("{names} class names for {samples} classes of samples")]
    Mismatch { names: usize, samples: usize },
}

/// A project may hold `count` classes.
pub fn check_class_count(count: usize) -> Result<(), ClassesError> {
    if count > MAX_TEACH_CLASSES {
        return Err(ClassesError::TooManyClasses { count });
    }
    Ok(())
}

/// A project's class names: each named, bounded and distinct (a project being made may have
/// fewer than two).
pub fn check_names(names: &[String]) -> Result<(), ClassesError> {
    check_class_count(names.len())?;
    Ok(check_each_name(names)?)
}

/// `class` may hold `count` samples.
pub fn check_sample_count(class: &str, count: usize) -> Result<(), ClassesError> {
    if count > MAX_CLASS_SAMPLES {
        return Err(ClassesError::TooManySamples {
            class: class.to_string(),
            count,
        });
    }
    Ok(())
}

/// Sample `number` (from 1) of `class` is `len` bytes: is it a sample?
pub fn check_sample(class: &str, number: usize, len: usize) -> Result<(), ClassesError> {
    if len != SAMPLE_BYTES {
        return Err(ClassesError::BadSample {
            class: class.to_string(),
            number,
            len,
        });
    }
    Ok(())
}

/// A whole project's classes: names, counts and every sample's length (empty classes allowed:
/// a project being made has them).
pub fn check_classes<S: AsRef<[u8]>>(
    names: &[String],
    samples: &[impl AsRef<[S]>],
) -> Result<(), ClassesError> {
    check_names(names)?;
    if names.len() != samples.len() {
        return Err(ClassesError::Mismatch {
            names: names.len(),
            samples: samples.len(),
        });
    }
    for (class, samples) in names.iter().zip(samples) {
        let samples = samples.as_ref();
        check_sample_count(class, samples.len())?;
        for (i, sample) in samples.iter().enumerate() {
            check_sample(class, i + 1, sample.as_ref().len())?;
        }
    }
    Ok(())
}

/// [`check_classes`], and what teaching needs besides: at least two classes, none empty.
pub fn check_teachable<S: AsRef<[u8]>>(
    names: &[String],
    samples: &[impl AsRef<[S]>],
) -> Result<(), ClassesError> {
    check_classes(names, samples)?;
    if names.len() < MIN_CLASSES {
        return Err(ClassesError::TooFewClasses { count: names.len() });
    }
    if let Some((class, _)) = names
        .iter()
        .zip(samples)
        .find(|(_, s)| s.as_ref().is_empty())
    {
        return Err(ClassesError::EmptyClass {
            class: class.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_limit_is_refused_with_its_own_reason() {
        let ok = vec![0u8; SAMPLE_BYTES];
        let two = names(&["mug", "cat"]);
        assert_eq!(
            check_teachable(&two, &[vec![&ok[..]], vec![&ok[..]]]),
            Ok(())
        );
        assert_eq!(
            check_teachable(&two, &[vec![&ok[..]], vec![]]),
            Err(ClassesError::EmptyClass {
                class: "cat".into()
            })
        );
        // A project being made may have an empty class or a single one; teaching may not.
        assert_eq!(check_classes(&two, &[vec![&ok[..]], vec![]]), Ok(()));
        assert_eq!(
            check_teachable(&names(&["mug"]), &[vec![&ok[..]]]),
            Err(ClassesError::TooFewClasses { count: 1 })
        );
        assert_eq!(
            check_classes(&two, &[vec![&ok[..]], vec![&ok[..], &ok[..5]]]),
            Err(ClassesError::BadSample {
                class: "cat".into(),
                number: 2,
                len: 5
            })
        );
        let full = vec![&ok[..]; MAX_CLASS_SAMPLES + 1];
        assert_eq!(
            check_classes(&two, &[vec![], full]),
            Err(ClassesError::TooManySamples {
                class: "cat".into(),
                count: MAX_CLASS_SAMPLES + 1
            })
        );
        let many: Vec<String> = (0..=MAX_TEACH_CLASSES).map(|i| format!("c{i}")).collect();
        assert_eq!(
            check_names(&many),
            Err(ClassesError::TooManyClasses {
                count: MAX_TEACH_CLASSES + 1
            })
        );
        assert!(matches!(
            check_names(&names(&["Mug", " mug "])),
            Err(ClassesError::Names(ClassNamesError::Duplicate { .. }))
        ));
        assert_eq!(
            check_classes(&two, &[vec![&ok[..]]]),
            Err(ClassesError::Mismatch {
                names: 2,
                samples: 1
            })
        );
    }
}
