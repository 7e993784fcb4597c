//! Teach natively: a head on the shipped `full` backbone's features of real CIFAR-10 records,
//! the project file with real samples and a real head, `pinhole teach` on a folder tree, and
//! a taught network through `.safetensors` giving the same logits in the CLI and the engine's
//! loader.

// The CIFAR-10 records and helpers every test binary shares.
#[path = "../../compute/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use burn::tensor::{Device, Tensor, TensorData};
use pinhole_compute::data::{CifarRecord, IMAGE_SIDE, images_to_tensor};
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{
    Classifier, FoldedClassifier, Precision, load_any_network, load_weights, save_network_as,
    top_k_named,
};
use pinhole_compute::teach::{
    Project, ProjectHead, Taught, TeachError, TeachSettings, teach, teach_with,
};
use pinhole_compute::vision::{sample_from_image, sample_input};

const CLASSES: [(&str, u8); 3] = [("airplane", 0), ("cat", 3), ("truck", 9)];

fn backbone(device: &Device) -> Classifier {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("weights/full.bin");
    load_weights(&std::fs::read(path).unwrap(), "weights/full.bin", device).unwrap()
}

/// A record as a 96×96 sample, as the page stores an uploaded 32×32 image.
fn sample(record: &CifarRecord) -> Vec<u8> {
    let rgb = record.to_rgb_interleaved();
    let image = image::RgbImage::from_raw(32, 32, rgb).unwrap();
    sample_from_image(&image::DynamicImage::ImageRgb8(image), "record").unwrap()
}

/// The first `per_class` test records of each of [`CLASSES`], skipping the first `skip`.
fn class_records(skip: usize, per_class: usize) -> Vec<Vec<CifarRecord>> {
    let all = common::records("test_batch.bin", 10_000);
    CLASSES
        .iter()
        .map(|&(_, label)| {
            all.iter()
                .filter(|r| r.label == label)
                .skip(skip)
                .take(per_class)
                .cloned()
                .collect()
        })
        .collect()
}

/// Each class's records as samples.
fn samples_of(records: &[Vec<CifarRecord>]) -> Vec<Vec<Vec<u8>>> {
    records
        .iter()
        .map(|c| c.iter().map(sample).collect())
        .collect()
}

fn quarter_held_out() -> TeachSettings {
    TeachSettings {
        held_out: 0.25,
        ..TeachSettings::default()
    }
}

fn names() -> Vec<String> {
    CLASSES.iter().map(|(n, _)| n.to_string()).collect()
}

fn taught(samples: &[Vec<Vec<u8>>], settings: &TeachSettings, device: &Device) -> Taught {
    let borrowed: Vec<Vec<&[u8]>> = samples
        .iter()
        .map(|c| c.iter().map(Vec::as_slice).collect())
        .collect();
    let clock = std::time::Instant::now();
    futures::executor::block_on(teach(
        &backbone(device),
        &names(),
        &borrowed,
        settings,
        device,
        || clock.elapsed().as_secs_f64() * 1000.0,
        |_| {},
    ))
    .unwrap()
}

fn logits(model: &Classifier, inputs: &[Box<[u8; 3072]>], device: &Device) -> Vec<f32> {
    model
        .forward(images_to_tensor(inputs.iter().map(|b| &**b), device))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

/// 40 records a class (30 train, 10 held out). The backbone never saw the test records, and a
/// head fitted to 30 samples of each class must recover what its features know: `full` scores
/// about 94% on all ten CIFAR-10 classes, so three distinct classes held out should be well
/// above 80% (chance is 33%). New records (not used at all) must score alike.
#[test]
fn a_head_on_the_full_backbone_learns_three_classes_from_30_samples_each() {
    let device = Device::flex();
    let records = class_records(0, 40);
    let samples = samples_of(&records);
    let settings = quarter_held_out();
    let taught = taught(&samples, &settings, &device);
    let report = &taught.report;
    let held = report.held_out_accuracy().unwrap();
    println!(
        "held-out {:.1}% over {} samples; loss {:?} after {} steps; features {:.0} ms, head {:.0} ms",
        held * 100.0,
        report.classes.iter().map(|c| c.held_out).sum::<usize>(),
        report.final_loss(),
        settings.steps,
        report.feature_ms,
        report.head_ms
    );
    assert!(held >= 0.8, "held-out accuracy {held}");
    assert!(
        report
            .classes
            .iter()
            .all(|c| c.trained == 30 && c.held_out == 10)
    );
    assert_eq!(report.views, 90 * 6);
    assert_eq!(report.confusion.len(), 3);
    let first = report.curve.first().unwrap().loss;
    assert!(
        report.final_loss().unwrap() < first * 0.5,
        "the loss fell from {first}"
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    // Records the head never saw, through the whole network (as the classifier runs it).
    let fresh = class_records(40, 30);
    let mut right = 0;
    for (class, records) in fresh.iter().enumerate() {
        let inputs: Vec<_> = records
            .iter()
            .map(|r| sample_input(&sample(r)).unwrap())
            .collect();
        let logits = logits(&taught.network.model, &inputs, &device);
        for row in logits.chunks(3) {
            right +=
                (top_k_named(row, 1, &taught.network.classes)[0].class_index == class) as usize;
        }
    }
    let fresh_accuracy = right as f32 / 90.0;
    println!("unseen records: {:.1}%", fresh_accuracy * 100.0);
    assert!(fresh_accuracy >= 0.8, "{fresh_accuracy}");
    assert_eq!(taught.network.model.num_classes(), 3);
}

/// The page teaches on the CPU from the packed kernels' features (split across its workers):
/// they must teach the head that Burn's features teach, to float noise.
#[test]
fn the_packed_kernels_features_teach_the_head_that_burns_teach() {
    let device = Device::flex();
    let samples = samples_of(&class_records(0, 20));
    let settings = quarter_held_out();
    let by_burn = taught(&samples, &settings, &device);

    let backbone = backbone(&device);
    let packed = FoldedClassifier::fold(&backbone, &device, &device)
        .pack()
        .expect("an airbench network packs")
        .unwrap();
    let features = async |views: &[Box<[u8; 3072]>]| {
        let images = Activations::from_planar_rgb(views.iter().map(|v| v.as_slice()), IMAGE_SIDE);
        let values = TensorData::new(
            packed.features(&images),
            [views.len(), packed.feature_width()],
        );
        Ok::<_, TeachError>(Tensor::<2>::from_data(values, &device))
    };
    let borrowed: Vec<Vec<&[u8]>> = samples
        .iter()
        .map(|c| c.iter().map(Vec::as_slice).collect())
        .collect();
    let by_packed = futures::executor::block_on(teach_with(
        &backbone,
        features,
        &names(),
        &borrowed,
        &settings,
        || 0.0,
        |_| {},
    ))
    .unwrap();

    assert_eq!(by_packed.report.confusion, by_burn.report.confusion);
    assert_eq!(by_packed.report.views, by_burn.report.views);
    let inputs: Vec<Box<[u8; 3072]>> = samples
        .iter()
        .flatten()
        .map(|s| sample_input(s).unwrap())
        .collect();
    let a = logits(&by_burn.network.model, &inputs, &device);
    let b = logits(&by_packed.network.model, &inputs, &device);
    let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let gap = a
        .iter()
        .zip(&b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    println!("taught on packed features: logits within {gap:e} of Burn's (scale {scale})");
    assert!(
        gap <= 1e-3 * scale,
        "logits differ by {gap} at scale {scale}"
    );
}

#[test]
fn few_samples_warn_and_a_project_with_a_real_head_round_trips() {
    let device = Device::flex();
    let records = class_records(0, 3);
    let mut samples: Vec<Vec<Vec<u8>>> = records
        .iter()
        .map(|c| c.iter().map(sample).collect())
        .collect();
    samples[1].truncate(1);
    let settings = TeachSettings {
        steps: 20,
        shifts: false,
        ..TeachSettings::default()
    };
    let taught = taught(&samples, &settings, &device);
    assert_eq!(
        taught.report.warnings.len(),
        3,
        "{:?}",
        taught.report.warnings
    );
    assert!(taught.report.warnings[1].contains("one sample"));
    assert_eq!(taught.report.classes[1].held_out, 0);

    let weights = save_network_as(
        taught.network.model.clone(),
        &taught.network.classes,
        Precision::Full,
    )
    .unwrap();
    let mut project = Project::with_classes(names(), samples.clone(), settings).unwrap();
    project.head = Some(ProjectHead {
        file_name: "three-head.bin".into(),
        weights: Arc::new(weights),
        report: taught.report.clone(),
    });
    project.in_use = true;
    let bytes = project.encode().unwrap();
    let back = Project::decode(&bytes, "three.pinhole").unwrap();
    assert_eq!(back, project);
    let network = load_any_network(&back.head.unwrap().weights, "head", &device).unwrap();
    assert_eq!(network.classes, names());
    let inputs: Vec<_> = samples[0]
        .iter()
        .map(|s| sample_input(s).unwrap())
        .collect();
    assert_eq!(
        logits(&network.model, &inputs, &device),
        logits(&taught.network.model, &inputs, &device)
    );
    // A taught network is not a CIFAR-10 network: training and evaluation refuse it.
    let cifar_only = save_network_as(network.model, &network.classes, Precision::Full).unwrap();
    assert!(load_weights(&cifar_only, "mine.bin", &device).is_err());
}

fn pinhole(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pinhole"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("the pinhole binary runs")
}

fn write_png(path: &Path, record: &CifarRecord) {
    image::RgbImage::from_raw(32, 32, record.to_rgb_interleaved())
        .unwrap()
        .save(path)
        .unwrap();
}

/// `pinhole teach` on `DIR/CLASS/*.png` made from real records (plus a corrupt file, skipped by
/// name), then `pinhole classify` with the result; its top-5 match the engine's loader's logits.
#[test]
fn pinhole_teach_on_an_image_folder_and_classify_with_the_result() {
    let dir = std::env::temp_dir().join(format!("pinhole-teach-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    for ((name, _), records) in CLASSES.iter().zip(class_records(0, 20)) {
        std::fs::create_dir_all(data.join(name)).unwrap();
        for (i, r) in records.iter().enumerate() {
            write_png(&data.join(name).join(format!("{i:02}.png")), r);
        }
    }
    std::fs::write(data.join("cat/broken.png"), b"\x89PNG\r\n\x1a\n not really").unwrap();
    let out_file = dir.join("mine.safetensors");
    let report = dir.join("report.json");
    let out = pinhole(&[
        "teach",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
        "--steps",
        "150",
        "--report",
        report.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped: ") && stderr.contains("broken.png"),
        "{stderr}"
    );
    assert!(stdout.contains("held-out accuracy"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["classes"].as_array().unwrap().len(), 3);

    // New images of each class, classified by the CLI with the taught network.
    let device = Device::flex();
    let network = load_any_network(&std::fs::read(&out_file).unwrap(), "mine", &device).unwrap();
    assert_eq!(network.classes, names());
    let fresh = class_records(60, 2);
    let mut files = Vec::new();
    for ((name, _), records) in CLASSES.iter().zip(&fresh) {
        for (i, r) in records.iter().enumerate() {
            let path = dir.join(format!("new-{name}-{i}.png"));
            write_png(&path, r);
            files.push(path);
        }
    }
    let mut args = vec!["classify", "--weights", out_file.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = pinhole(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    let mut right = 0;
    for (line, file) in printed.lines().zip(&files) {
        // The engine's path: the same file decoded and preprocessed, the network from the same
        // loader; the CLI's top-5 must be exactly those probabilities.
        let input =
            pinhole_compute::vision::preprocess(&std::fs::read(file).unwrap(), "x").unwrap();
        let row = logits(&network.model, &[input.pixels], &device);
        let top: Vec<String> = top_k_named(&row, 5, &network.classes)
            .iter()
            .map(|p| format!("{} {:.1}%", p.class_name, p.probability * 100.0))
            .collect();
        assert_eq!(line, format!("{}: {}", file.display(), top.join(", ")));
        let truth = file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('-')
            .nth(1)
            .unwrap()
            .to_string();
        right += line.split(": ").nth(1).unwrap().starts_with(&truth) as usize;
    }
    assert!(right >= 5, "{right} of 6 right:\n{printed}");
    // The same network as a Pinhole weights file classifies identically.
    let bin = dir.join("mine.bin");
    std::fs::write(
        &bin,
        save_network_as(network.model.clone(), &network.classes, Precision::Full).unwrap(),
    )
    .unwrap();
    let again = pinhole(&[
        "classify",
        "--weights",
        bin.to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout)
            .trim_end()
            .split(": ")
            .nth(1),
        printed.lines().next().unwrap().split(": ").nth(1)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
