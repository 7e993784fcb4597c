//! The names of a network's classes, checked wherever they come from (a weights file's header, a
//! `.safetensors` export's metadata, a Teach project): the UI shows them and the CLI prints them,
//! so each is bounded and the list holds no duplicates.

use crate::data::CLASS_NAMES;

/// A network tells apart at least two classes.
pub const MIN_CLASSES: usize = 2;
/// At most this many in a weights file (the Teach page makes at most [`crate::teach::MAX_TEACH_CLASSES`]).
pub const MAX_CLASSES: usize = 100;
/// A class name fits a table cell and a label.
pub const MAX_CLASS_NAME_CHARS: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassNamesError {
    #[error("{count} classes: a network tells apart {MIN_CLASSES} to {MAX_CLASSES}")]
    Count { count: usize },
    #[error("class {number} has no name")]
    Empty { number: usize },
    #[error("the class name {start:?}… is longer than {MAX_CLASS_NAME_CHARS} characters")]
    TooLong { start: String },
    #[error("two classes are both called {name:?}")]
    Duplicate { name: String },
}

/// Checks a list of class names: 2–100 of them, each 1–48 characters (not only spaces), no
/// two the same ignoring case and surrounding spaces.
pub fn check_class_names(names: &[String]) -> Result<(), ClassNamesError> {
    if !(MIN_CLASSES..=MAX_CLASSES).contains(&names.len()) {
        return Err(ClassNamesError::Count { count: names.len() });
    }
    check_each_name(names)
}

/// [`check_class_names`] without the count (a project being made may have one class so far).
pub fn check_each_name(names: &[String]) -> Result<(), ClassNamesError> {
    let mut seen = std::collections::HashSet::new();
    for (i, name) in names.iter().enumerate() {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(ClassNamesError::Empty { number: i + 1 });
        }
        if trimmed.chars().count() > MAX_CLASS_NAME_CHARS {
            return Err(ClassNamesError::TooLong {
                start: trimmed.chars().take(20).collect(),
            });
        }
        if !seen.insert(trimmed.to_lowercase()) {
            return Err(ClassNamesError::Duplicate {
                name: trimmed.to_string(),
            });
        }
    }
    Ok(())
}

/// CIFAR-10's class names, owned.
pub fn cifar_class_names() -> Vec<String> {
    CLASS_NAMES.iter().map(|s| s.to_string()).collect()
}

/// Whether these are CIFAR-10's classes, in CIFAR-10's order.
pub fn is_cifar(names: &[String]) -> bool {
    names == CLASS_NAMES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn class_lists_are_bounded_named_and_distinct() {
        assert_eq!(check_class_names(&cifar_class_names()), Ok(()));
        assert_eq!(check_class_names(&names(&["mug", "cat"])), Ok(()));
        assert_eq!(
            check_class_names(&names(&["mug"])),
            Err(ClassNamesError::Count { count: 1 })
        );
        assert_eq!(
            check_class_names(&vec!["x".to_string(); 101]),
            Err(ClassNamesError::Count { count: 101 })
        );
        assert_eq!(
            check_class_names(&names(&["mug", "  "])),
            Err(ClassNamesError::Empty { number: 2 })
        );
        assert_eq!(
            check_class_names(&names(&["Mug", " mug "])),
            Err(ClassNamesError::Duplicate { name: "mug".into() })
        );
        let long = "ü".repeat(49);
        assert!(matches!(
            check_class_names(&[long, "cat".into()]),
            Err(ClassNamesError::TooLong { .. })
        ));
        assert!(is_cifar(&cifar_class_names()));
        assert!(!is_cifar(&names(&["mug", "cat"])));
    }
}
