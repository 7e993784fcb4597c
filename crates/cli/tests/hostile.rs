//! The hostile-input corpus (`tests/hostile/make_corpus.py`: bombs, lies, truncations and a few
//! good files of every kind the page and the CLI read) fed to the library calls they use. Each
//! file must end in a result (`ok-*` files) or an error whose message names it, never a panic, an
//! abort or a hang, and under a memory cap: an allocation past it aborts the test.

use std::alloc::System;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use burn::tensor::Device;
use cap::Cap;
use pinhole_compute::data::{Manifest, images_to_tensor, parse_records, split_dropped_files};
use pinhole_compute::model::{Classifier, load_any_weights, top_k};
use pinhole_compute::teach::Project;
use pinhole_compute::train::Trainer;
use pinhole_compute::vision::preprocess;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// What one file may add to the process's allocations: the largest good input (a 4000x4000
/// PNG, 48 MB decoded) with its copies, far below what a bomb would ask for.
const MEMORY_CAP: usize = 400 << 20;
/// The corpus's files: 124 images, weights, manifests, shards, tarballs and checkpoints, and
/// 20 Teach project files (docs/guide.md, "Hostile input").
const CORPUS_FILES: usize = 144;
/// Longest any one file may take (a hang fails the test instead of stalling CI).
const TIME_CAP: Duration = Duration::from_secs(120);

/// The corpus, written into a folder of its own for each test (`tag`): the tests run in parallel.
fn corpus(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pinhole-hostile-{}-{tag}", std::process::id()));
    let script = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/hostile/make_corpus.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .status()
        .expect("python3 runs the corpus script");
    assert!(status.success(), "{} failed", script.display());
    dir
}

fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for kind in std::fs::read_dir(dir).unwrap() {
        let kind = kind.unwrap().path();
        for file in std::fs::read_dir(&kind).unwrap() {
            let path = file.unwrap().path();
            let kind = kind.file_name().unwrap().to_string_lossy().into_owned();
            files.push((kind, path));
        }
    }
    files.sort();
    files
}

/// The library call the page and the CLI make for a file of this kind; `Ok` carries what the
/// file produced, in words.
fn read(kind: &str, name: &str, bytes: &[u8], model: &Classifier) -> Result<String, String> {
    let device = Device::flex();
    let e = |e: &dyn std::fmt::Display| e.to_string();
    match kind {
        "images" => {
            let input = preprocess(bytes, name).map_err(|x| e(&x))?;
            let logits = model
                .forward(images_to_tensor([&*input.pixels], &device))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let top = &top_k(&logits, 1)[0];
            assert!(top.probability.is_finite(), "{name}: {top:?}");
            Ok(format!(
                "{} {:.1}%",
                top.class_name,
                top.probability * 100.0
            ))
        }
        "weights" => {
            let loaded = load_any_weights(bytes, name, &device).map_err(|x| e(&x))?;
            let pixels = [128u8; 3072];
            let logits = loaded
                .forward(images_to_tensor([&pixels], &device))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            // A file that loads must predict: all-NaN weights are refused before this.
            assert!(logits.iter().all(|v| v.is_finite()), "{name}: {logits:?}");
            Ok(format!("{} loaded", loaded.preset()))
        }
        "manifests" => Manifest::parse(bytes, name)
            .map(|m| format!("{} shards", m.shards.len()))
            .map_err(|x| e(&x)),
        "shards" => parse_records(bytes, name)
            .map(|r| format!("{} records", r.len()))
            .map_err(|x| e(&x)),
        "tarballs" => split_dropped_files(&[(name, bytes)])
            .map(|(train, test)| format!("{} + {} records", train.len(), test.len()))
            .map_err(|x| e(&x)),
        "checkpoints" => Trainer::resume(bytes, name, 1000, &device.clone().autodiff())
            .map(|t| format!("step {}", t.step))
            .map_err(|x| e(&x)),
        // As the Teach page imports a project: decode it, then load its head to use it.
        "projects" => {
            let project = Project::decode(bytes, name).map_err(|x| e(&x))?;
            let head = match &project.head {
                Some(head) => {
                    let loaded =
                        load_any_weights(&head.weights, name, &device).map_err(|x| e(&x))?;
                    format!(", a {} head", loaded.preset())
                }
                None => String::new(),
            };
            Ok(format!(
                "{} classes, {} samples{head}",
                project.classes.len(),
                project.sample_count()
            ))
        }
        other => panic!("no reader for {other}"),
    }
}

#[test]
fn every_hostile_file_ends_in_a_result_or_a_clear_error_within_the_memory_and_time_caps() {
    let dir = corpus("library");
    let all = files(&dir);
    assert_eq!(
        all.len(),
        CORPUS_FILES,
        "the corpus's files (docs/guide.md states the count)"
    );
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds.len(),
        7,
        "every kind of file is in the corpus: {kinds:?}"
    );
    let shipped = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("weights/fast.bin");
    let model = load_any_weights(
        &std::fs::read(&shipped).unwrap(),
        "fast.bin",
        &Device::flex(),
    )
    .unwrap();
    let mut wrong = Vec::new();
    for (kind, path) in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let expect_ok = name.starts_with("ok-");
        let before = ALLOCATOR.allocated();
        ALLOCATOR.set_limit(before + MEMORY_CAP).unwrap();
        let started = Instant::now();
        // On a thread: a panic is caught as a failure and a hang runs into the time cap.
        let (send, receive) = mpsc::channel();
        let (k, n, m) = (kind.clone(), name.clone(), model.clone());
        // A panic ends the thread and drops the sender: `Disconnected` below.
        std::thread::spawn(move || {
            let _ = send.send(read(&k, &n, &bytes, &m));
        });
        let result = receive.recv_timeout(TIME_CAP);
        ALLOCATOR.set_limit(usize::MAX).unwrap();
        let took = started.elapsed();
        let verdict = match result {
            Err(RecvTimeoutError::Timeout) => Err(format!("no answer within {TIME_CAP:?}")),
            Err(RecvTimeoutError::Disconnected) => Err("panicked".to_string()),
            Ok(Ok(what)) if expect_ok => Ok(what),
            Ok(Ok(what)) => Err(format!("accepted: {what}")),
            Ok(Err(message)) if expect_ok => Err(format!("refused: {message}")),
            Ok(Err(message)) if !message.contains(&name) => {
                Err(format!("the message does not name the file: {message}"))
            }
            Ok(Err(message)) => Ok(message),
        };
        match verdict {
            Ok(what) => println!("{kind}/{name} ({took:.1?}): {what}"),
            Err(why) => {
                println!("{kind}/{name} ({took:.1?}): WRONG: {why}");
                wrong.push(format!("{kind}/{name}: {why}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        wrong.is_empty(),
        "{} of {} files:\n{}",
        wrong.len(),
        all.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_cli_refuses_hostile_images_and_weights_with_a_message_and_no_crash() {
    let dir = corpus("cli");
    let pinhole = env!("CARGO_BIN_EXE_pinhole");
    let shipped = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("weights/fast.bin");
    let mut wrong = Vec::new();
    for (kind, path) in files(&dir) {
        let (weights, image) = match kind.as_str() {
            "images" => (shipped.clone(), path.clone()),
            "weights" => (path.clone(), dir.join("images/ok-noise-64.png")),
            _ => continue,
        };
        let output = Command::new(pinhole)
            .args(["classify", "--weights"])
            .arg(&weights)
            .arg(&image)
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        let fine = if name.starts_with("ok-") {
            output.status.success()
        } else {
            // 1: a handled error; a panic exits 101 and an abort has no code.
            code == Some(1) && stderr.contains(&name)
        };
        if !fine {
            wrong.push(format!("{kind}/{name}: exit {code:?}: {stderr}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
