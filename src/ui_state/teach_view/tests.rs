use super::*;
use pinhole_core::protocol::{Failure, FailureKind};
use pinhole_core::teach::{MAX_TEACH_CLASSES, SAMPLE_BYTES};

fn sample(v: u8) -> Vec<u8> {
    vec![v; SAMPLE_BYTES]
}

#[test]
fn classes_are_named_distinct_and_bounded() {
    let mut view = TeachView::starter();
    assert_eq!(view.project.classes.len(), 2);
    assert_eq!(view.next_class_name(), "Class 3");
    let (mug, _) = view.add_class(" mug ").unwrap();
    assert_eq!(view.class(mug).unwrap().name, "mug");
    assert_eq!(
        view.add_class("MUG").unwrap_err(),
        "Two classes are both called \"MUG\"."
    );
    assert!(view.add_class("  ").is_err());
    assert!(view.rename(mug, "Class 1").is_err());
    assert_eq!(view.rename(mug, "cup"), Ok(Persist::Meta));
    while view.project.classes.len() < MAX_TEACH_CLASSES {
        let name = view.next_class_name();
        view.add_class(&name).unwrap();
    }
    assert!(view.add_class("one more").is_err());
}

#[test]
fn samples_are_checked_counted_and_persisted() {
    let mut view = TeachView::starter();
    let a = view.project.classes[0].id;
    let b = view.project.classes[1].id;
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
    let sid = view.project.classes[0].samples[0].id;
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
    let a = view.project.classes[0].id;
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
    let stored: HashMap<u64, Vec<u8>> = view.project.classes[0]
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
    assert_eq!(back.project.classes, view.project.classes);
    assert_eq!(back.project.head, view.project.head);
    assert!(back.project.in_use);
    // A lost sample is dropped and counted; a lost head is not claimed as in use.
    let (partial, missing) = TeachView::restore(meta, |_| None, None);
    assert_eq!(
        (
            missing,
            partial.project.in_use,
            partial.project.head.is_none()
        ),
        (2, false, true)
    );

    let project = view.project.clone();
    let mut other = TeachView::starter();
    other
        .add_sample(other.project.classes[1].id, sample(9))
        .unwrap();
    let persist = other.replace_with(project.clone());
    let content = |p: &Project| {
        let samples: Vec<Vec<Vec<u8>>> = p
            .classes
            .iter()
            .map(|c| c.samples.iter().map(|s| s.rgb.to_vec()).collect())
            .collect();
        (p.class_names(), samples, p.head.clone(), p.in_use)
    };
    assert_eq!(content(&other.project), content(&project));
    // The imported samples take ids the replaced project never used: deleting the old keys
    // cannot remove a new sample, whatever order storage runs them in.
    let (Persist::Delete(old), Persist::Samples(new)) = (&persist[0], &persist[1]) else {
        panic!("{persist:?}");
    };
    assert_eq!(old.len(), 1);
    assert!(new.iter().all(|(id, _)| !old.contains(id)));
}

/// A head taught as `head.bin` (weights `[1, 2, 3]`).
fn teach_head(view: &mut TeachView) {
    view.teaching_started(3);
    view.teaching_answered(
        3,
        Ok(Reply::Taught {
            file_name: "head.bin".into(),
            weights: vec![1, 2, 3],
            report: Box::default(),
        }),
    );
}

/// The bug this guards (read from the code, 2026-12-07): the Train page changed the network
/// without telling the Teach project, whose stored `in_use` stayed true, so a reload
/// imported the taught head over the visitor's later choice.
#[test]
fn another_network_chosen_anywhere_ends_the_heads_use_for_good() {
    let mut view = TeachView::starter();
    let a = view.project.classes[0].id;
    view.add_sample(a, sample(4)).unwrap();
    teach_head(&mut view);
    let own = vec!["mug".to_string(), "pen".to_string()];
    let cifar = pinhole_core::model::class_names::cifar_class_names();

    // Use these classes: the shipped network reported before the import is no change of
    // mind; the head reported by the engine is.
    view.set_in_use(true);
    assert!(view.model_changed(&cifar, Some("full.bin")).is_empty());
    assert!(view.project.in_use);
    assert!(view.model_changed(&own, Some("head.bin")).is_empty());
    assert!(view.project.in_use);

    // The visitor picks the shipped `full` on the Train page: the head is no longer in use,
    // and storage is told, so a reload reads `in_use: false`.
    assert_eq!(
        view.model_changed(&cifar, Some("full.bin")),
        vec![Persist::Meta]
    );
    assert!(!view.project.in_use && !view.meta().in_use);
    let (reloaded, _) = TeachView::restore(view.meta(), |_| Some(sample(4)), Some(vec![1, 2, 3]));
    assert!(!reloaded.project.in_use);

    // A reload while the head was in use restores it, and waits for the engine's import.
    view.set_in_use(true);
    let (mut reloaded, _) =
        TeachView::restore(view.meta(), |_| Some(sample(4)), Some(vec![1, 2, 3]));
    assert!(reloaded.model_changed(&cifar, Some("full.bin")).is_empty());
    assert!(reloaded.project.in_use);
    assert!(reloaded.model_changed(&own, Some("head.bin")).is_empty());
    assert!(reloaded.project.in_use);
    // An imported network with its own classes is not the head either.
    assert_eq!(
        reloaded.model_changed(&own, Some("someone-elses.safetensors")),
        vec![Persist::Meta]
    );
    assert!(!reloaded.project.in_use);
}

/// A head whose import fails (a storage or device fault) is not in use, and a network chosen
/// afterwards is not waited past: otherwise a reload would try the broken head again.
#[test]
fn a_head_that_could_not_be_put_into_use_is_not_in_use() {
    let mut view = TeachView::starter();
    teach_head(&mut view);
    view.set_in_use(true);
    assert_eq!(view.model_change_failed(), vec![Persist::Meta]);
    assert!(!view.project.in_use && !view.meta().in_use);
    // No longer waiting: nothing more to change, and a later report is read as it is.
    assert!(view.model_change_failed().is_empty());
    let cifar = pinhole_core::model::class_names::cifar_class_names();
    assert!(view.model_changed(&cifar, Some("full.bin")).is_empty());
    assert!(!view.project.in_use);
}
