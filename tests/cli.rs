//! The `pinhole` command line on the shipped weights and real CIFAR-10 records.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn pinhole(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pinhole"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the pinhole binary runs")
}

/// Every model listed in weights/index.json with its model card (at least one must ship: the
/// page is meant to be useful the moment it opens).
fn shipped() -> Vec<(String, serde_json::Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("weights");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let models = index["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let file = m["file"].as_str().unwrap().to_string();
            let card = dir.join(m["card"].as_str().unwrap());
            let card = serde_json::from_slice(&std::fs::read(&card).unwrap()).unwrap();
            (format!("weights/{file}"), card)
        })
        .collect::<Vec<_>>();
    assert!(
        !models.is_empty(),
        "weights/index.json lists no shipped model"
    );
    models
}

#[test]
fn eval_of_shipped_weights_on_real_test_records_matches_their_card() {
    let test_batch = common::cifar_dir().join("test_batch.bin");
    for (file, card) in shipped() {
        let out = pinhole(&[
            "eval",
            "--weights",
            &file,
            "--data",
            test_batch.to_str().unwrap(),
            "--limit",
            "500",
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["records"], 500);
        let accuracy = report["accuracy"].as_f64().unwrap();
        let card_accuracy = card["test_accuracy"].as_f64().unwrap();
        // 500 records: a binomial standard error of about 2 points; 6 points is a broken file.
        assert!(
            (accuracy - card_accuracy).abs() < 0.06,
            "{file}: {accuracy} on 500 records, the card says {card_accuracy}"
        );
        // An absolute floor too, so a worse model cannot ship with a matching card: the issue's
        // 88% on these 500 records (the shipped `fast` scores 89.8% here, `full` 89.2%).
        assert!(accuracy > 0.88, "{file}: {accuracy} on 500 records");
        // One-vs-rest ROC-AUC of each class: a model at 80%+ ranks far better than chance.
        let aucs: Vec<f64> = report["roc_auc"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect();
        assert_eq!(aucs.len(), 10);
        assert!(
            aucs.iter().all(|&a| (0.85..=1.0).contains(&a)),
            "{file}: {aucs:?}"
        );
        let mean = report["mean_roc_auc"].as_f64().unwrap();
        assert!((mean - aucs.iter().sum::<f64>() / 10.0).abs() < 1e-12);
    }
}

#[test]
fn classify_names_a_class_and_rejects_a_corrupt_file() {
    let (file, _) = shipped()
        .into_iter()
        .next()
        .expect("shipped() checks there is one");
    let dir = std::env::temp_dir().join(format!("pinhole-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = &common::records("test_batch.bin", 1)[0];
    let png = dir.join("record.png");
    image::RgbImage::from_raw(32, 32, record.to_rgb_interleaved())
        .unwrap()
        .save(&png)
        .unwrap();
    let broken = dir.join("broken.jpg");
    std::fs::write(&broken, b"\xFF\xD8\xFF\xE0 definitely not a whole JPEG").unwrap();

    let out = pinhole(&[
        "classify",
        "--weights",
        &file,
        png.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "one file was broken");
    assert!(
        stdout.contains("record.png: ") && stdout.contains('%'),
        "{stdout}"
    );
    assert!(stderr.contains("broken.jpg"), "{stderr}");
}
