//! Shard sets on real CIFAR-10 records: manifest round trip, and typed errors for a wrong hash, a
//! truncated shard and a manifest with missing fields; `pinhole shard` on the real data folder.

// The CIFAR-10 records and helpers every test binary shares.
#[path = "../../compute/tests/common/mod.rs"]
mod common;

use std::process::Command;

use pinhole_compute::data::{
    MANIFEST_FILE, MAX_MANIFEST_RECORDS, MAX_SHARD_PATH, MAX_SHARD_RECORDS, MAX_SHARDS, Manifest,
    ManifestError, ShardError, Split, check_shard_path, fetch_plan, make_shards, shard_url,
    verify_shard,
};

fn small_set() -> (Manifest, Vec<(String, Vec<u8>)>, usize) {
    let train = common::records("data_batch_1.bin", 300);
    let test = common::records("test_batch.bin", 100);
    let (manifest, files) = make_shards(&[(Split::Train, &train), (Split::Test, &test)], 128);
    (manifest, files, train.len() + test.len())
}

#[test]
fn manifest_round_trips_and_every_shard_verifies_to_the_same_records() {
    let (manifest, files, _) = small_set();
    // 300 → 128 + 128 + 44; 100 → 100.
    let counts: Vec<usize> = manifest.shards.iter().map(|s| s.records).collect();
    assert_eq!(counts, [128, 128, 44, 100]);
    assert_eq!(manifest.records(Split::Train), 300);
    let parsed = Manifest::parse(manifest.to_json().as_bytes(), "manifest.json").unwrap();
    assert_eq!(parsed, manifest);
    let train = common::records("data_batch_1.bin", 300);
    let mut seen = Vec::new();
    for (entry, (name, bytes)) in parsed.shards.iter().zip(&files) {
        assert_eq!(&entry.file, name);
        let records = verify_shard(entry, bytes).unwrap();
        if entry.split == Split::Train {
            seen.extend(records);
        }
    }
    assert_eq!(seen, train);
}

#[test]
fn a_shard_with_a_wrong_hash_or_cut_short_is_rejected_by_name() {
    let (manifest, files, _) = small_set();
    let (entry, bytes) = (&manifest.shards[1], &files[1].1);
    let mut corrupt = bytes.clone();
    corrupt[5000] ^= 0xff;
    let err = verify_shard(entry, &corrupt).unwrap_err();
    assert!(matches!(err, ShardError::Hash { .. }), "{err:?}");
    assert!(err.to_string().contains("train-001.bin"), "{err}");

    let err = verify_shard(entry, &bytes[..bytes.len() - 1000]).unwrap_err();
    assert!(matches!(err, ShardError::Length { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn a_manifest_with_missing_or_bad_fields_gets_a_typed_error() {
    let (manifest, _, _) = small_set();
    let mut json: serde_json::Value = serde_json::from_str(&manifest.to_json()).unwrap();
    json["shards"][0].as_object_mut().unwrap().remove("sha256");
    let err =
        Manifest::parse(json.to_string().as_bytes(), "data/cifar10/manifest.json").unwrap_err();
    assert!(matches!(err, ManifestError::Invalid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("data/cifar10/manifest.json") && text.contains("sha256"),
        "{text}"
    );

    let mut json: serde_json::Value = serde_json::from_str(&manifest.to_json()).unwrap();
    json.as_object_mut().unwrap().remove("class_names");
    let err = Manifest::parse(json.to_string().as_bytes(), "m.json").unwrap_err();
    assert!(err.to_string().contains("class_names"), "{err}");

    let mut bad = manifest.clone();
    bad.format_version = 9;
    let err = Manifest::parse(bad.to_json().as_bytes(), "m.json").unwrap_err();
    assert!(
        matches!(err, ManifestError::Version { found: 9, .. }),
        "{err:?}"
    );

    let mut bad = manifest.clone();
    bad.shards[0].file = "https://elsewhere.example/train-000.bin".into();
    let err = Manifest::parse(bad.to_json().as_bytes(), "m.json").unwrap_err();
    assert!(matches!(err, ManifestError::Entry { .. }), "{err:?}");

    let err = Manifest::parse(b"<html>not found</html>", "m.json").unwrap_err();
    assert!(matches!(err, ManifestError::Invalid { .. }), "{err:?}");
}

#[test]
fn pinhole_shard_writes_a_verifiable_set_from_the_real_data_folder() {
    let out = std::env::temp_dir().join(format!("pinhole-shards-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_pinhole"))
        .args(["shard", "--records-per-shard", "10000", "--data"])
        .arg(common::cifar_dir())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let manifest =
        Manifest::parse(&std::fs::read(out.join(MANIFEST_FILE)).unwrap(), "manifest").unwrap();
    assert_eq!(manifest.records(Split::Train), 50_000);
    assert_eq!(manifest.records(Split::Test), 10_000);
    assert_eq!(manifest.shards.len(), 6);
    for entry in &manifest.shards {
        let bytes = std::fs::read(out.join(&entry.file)).unwrap();
        verify_shard(entry, &bytes).unwrap();
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_fetch_plan_starts_with_one_training_shard_then_the_tests() {
    let train = common::records("data_batch_1.bin", 1000);
    let test = common::records("test_batch.bin", 500);
    let (manifest, _) = make_shards(&[(Split::Train, &train), (Split::Test, &test)], 300);
    let files = |plan: Vec<pinhole_compute::data::ShardEntry>| {
        plan.into_iter().map(|s| s.file).collect::<Vec<_>>()
    };
    assert_eq!(
        files(fetch_plan(&manifest, None, None)),
        [
            "train-000.bin",
            "test-000.bin",
            "test-001.bin",
            "train-001.bin",
            "train-002.bin",
            "train-003.bin"
        ]
    );
    // A quick run: 400 training records need two shards, 200 test records one.
    assert_eq!(
        files(fetch_plan(&manifest, Some(400), Some(200))),
        ["train-000.bin", "test-000.bin", "train-001.bin"]
    );
}

#[test]
fn shard_paths_stay_in_the_manifests_folder_on_its_origin() {
    let (manifest, _, _) = small_set();
    for file in [
        "//host/x.bin",
        "\\\\host\\x.bin",
        "%2e%2e/x.bin",
        "/abs/x.bin",
        "data:application/octet-stream,AAAA",
        "javascript:alert(1)",
        "../x.bin",
        "a/../../x.bin",
        "./x.bin",
        ".hidden",
        "a//b.bin",
        "a/",
        "x.bin?y=1",
        "x.bin#frag",
        "",
        "https://elsewhere.example/train-000.bin",
        "ｘ.bin",
    ] {
        let mut bad = manifest.clone();
        bad.shards[0].file = file.into();
        let err = Manifest::parse(bad.to_json().as_bytes(), "m.json").unwrap_err();
        assert!(
            matches!(err, ManifestError::Entry { .. }),
            "{file:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("manifest's folder") || file.is_empty(),
            "{err}"
        );
        assert!(check_shard_path(file).is_err(), "{file:?}");
    }
    let long = "a".repeat(MAX_SHARD_PATH + 1);
    assert!(check_shard_path(&long).is_err());
    for file in ["train-000.bin", "cifar10/test_batch.v2.bin", "a-b_c/D9.bin"] {
        check_shard_path(file).unwrap();
    }
    // Resolved against the manifest's folder, whatever the manifest URL looks like.
    assert_eq!(
        shard_url("data/cifar10/manifest.json", "train-000.bin"),
        "data/cifar10/train-000.bin"
    );
    assert_eq!(
        shard_url("http://127.0.0.1:8080/app/data/m.json", "sub/t.bin"),
        "http://127.0.0.1:8080/app/data/sub/t.bin"
    );
    assert_eq!(shard_url("manifest.json", "t.bin"), "t.bin");
}

#[test]
fn record_counts_are_bounded_before_any_shard_is_fetched() {
    let (manifest, _, _) = small_set();
    let mut bad = manifest.clone();
    bad.shards[0].records = usize::MAX;
    let err = Manifest::parse(bad.to_json().as_bytes(), "m.json").unwrap_err();
    assert!(matches!(err, ManifestError::Entry { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&MAX_SHARD_RECORDS.to_string()),
        "{err}"
    );
    // Each shard within the bound, the sum over it.
    let mut bad = manifest.clone();
    let entry = bad.shards[0].clone();
    bad.shards = (0..MAX_MANIFEST_RECORDS / MAX_SHARD_RECORDS + 1)
        .map(|i| pinhole_compute::data::ShardEntry {
            file: format!("train-{i}.bin"),
            records: MAX_SHARD_RECORDS,
            ..entry.clone()
        })
        .collect();
    let err = Manifest::parse(bad.to_json().as_bytes(), "m.json").unwrap_err();
    assert!(
        err.to_string().contains("more than a tab can keep"),
        "{err}"
    );
    let mut bad = manifest.clone();
    bad.shards = vec![entry; MAX_SHARDS + 1];
    let err = Manifest::parse(bad.to_json().as_bytes(), "m.json").unwrap_err();
    assert!(err.to_string().contains("shards; at most"), "{err}");
    // A lying count never reaches a multiplication that could wrap.
    let mut entry = manifest.shards[0].clone();
    entry.records = usize::MAX / 2;
    assert!(matches!(
        verify_shard(&entry, &[0; 3073]),
        Err(pinhole_compute::data::ShardError::Length { .. })
    ));
}
