//! Reading CIFAR-10 from a file, a folder and the official tarball layout.

mod common;

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use pinhole_compute::data::{RECORD_BYTES, Split, load_split, read_tarball, split_dropped_files};

fn raw(file: &str, n: usize) -> Vec<u8> {
    let bytes = std::fs::read(common::cifar_dir().join(file)).unwrap();
    bytes[..n * RECORD_BYTES].to_vec()
}

/// A tar.gz laid out like `cifar-10-binary.tar.gz`, members in a deliberately shuffled order.
fn tarball(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("cifar-10-batches-bin/{name}"),
                &bytes[..],
            )
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn the_tarball_reader_reads_real_records_in_file_order() {
    let (train_2, train_1, test) = (
        raw("data_batch_2.bin", 30),
        raw("data_batch_1.bin", 20),
        raw("test_batch.bin", 10),
    );
    let archive = tarball(&[
        ("batches.meta.txt", b"airplane\n".to_vec()),
        ("data_batch_2.bin", train_2.clone()),
        ("test_batch.bin", test.clone()),
        ("data_batch_1.bin", train_1.clone()),
    ]);
    let train = read_tarball(&archive[..], "made.tar.gz", Split::Train).unwrap();
    assert_eq!(train.len(), 50);
    let expected = pinhole_compute::data::parse_records(&[train_1, train_2].concat(), "x").unwrap();
    assert_eq!(train, expected, "data_batch_1 before data_batch_2");
    let test_records = read_tarball(&archive[..], "made.tar.gz", Split::Test).unwrap();
    assert_eq!(
        test_records,
        pinhole_compute::data::parse_records(&test, "x").unwrap()
    );

    // The same archive from disk, as `--data` takes it.
    let dir = std::env::temp_dir().join(format!("pinhole-tar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cifar-10-binary.tar.gz");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&archive)
        .unwrap();
    assert_eq!(load_split(&path, Split::Train).unwrap(), train);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_broken_tarball_gets_a_message_naming_it() {
    let archive = tarball(&[("data_batch_1.bin", raw("data_batch_1.bin", 5))]);
    let cut = &archive[..archive.len() / 2];
    let err = read_tarball(cut, "cut.tar.gz", Split::Train).unwrap_err();
    assert!(err.to_string().contains("cut.tar.gz"), "{err}");

    let mut short = raw("data_batch_1.bin", 2);
    short.pop();
    let archive = tarball(&[("data_batch_1.bin", short)]);
    let err = read_tarball(&archive[..], "short.tar.gz", Split::Train).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("short.tar.gz") && message.contains("data_batch_1.bin"),
        "{message}"
    );

    let archive = tarball(&[("readme.txt", b"hello".to_vec())]);
    let err = read_tarball(&archive[..], "empty.tar.gz", Split::Test).unwrap_err();
    assert!(err.to_string().contains("no test_batch"), "{err}");
}

#[test]
fn a_folder_gives_the_split_files_and_a_file_is_taken_as_it_is() {
    let train = load_split(&common::cifar_dir(), Split::Train).unwrap();
    assert_eq!(train.len(), 50_000);
    let test = load_split(&common::cifar_dir(), Split::Test).unwrap();
    assert_eq!(test.len(), 10_000);
    let one = load_split(&common::cifar_dir().join("test_batch.bin"), Split::Train).unwrap();
    assert_eq!(one, test, "a single file is read whatever the split");
    let err = load_split(std::path::Path::new("/nonexistent/cifar"), Split::Train).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/cifar"), "{err}");
}

#[test]
fn dropped_files_split_into_train_and_test_by_name() {
    let archive = tarball(&[
        (
            "cifar-10-batches-bin/test_batch.bin",
            raw("test_batch.bin", 3),
        ),
        (
            "cifar-10-batches-bin/data_batch_1.bin",
            raw("data_batch_1.bin", 4),
        ),
    ]);
    let (train, test) = split_dropped_files(&[("cifar-10-binary.tar.gz", &archive)]).unwrap();
    assert_eq!((train.len(), test.len()), (4, 3));

    let (b2, b1, t) = (
        raw("data_batch_2.bin", 2),
        raw("data_batch_1.bin", 2),
        raw("test_batch.bin", 1),
    );
    // Dropped out of order: data_batch_1 still comes first.
    let files = [
        ("data_batch_2.bin", &b2[..]),
        ("test_batch.bin", &t[..]),
        ("data_batch_1.bin", &b1[..]),
    ];
    let (train, test) = split_dropped_files(&files).unwrap();
    assert_eq!((train.len(), test.len()), (4, 1));
    assert_eq!(train[0].label, b1[0]);
    assert_eq!(train[2].label, b2[0]);

    let err = split_dropped_files(&[("holiday.jpg", &b"\xff\xd8"[..])]).unwrap_err();
    assert!(err.to_string().contains("holiday.jpg"), "{err}");
}

#[test]
fn statistics_of_a_real_training_batch_are_close_to_the_published_ones() {
    use pinhole_compute::data::{channel_statistics, class_counts};
    use pinhole_compute::model::{CIFAR_MEAN, CIFAR_STD};
    let records = common::records("data_batch_1.bin", 10_000);
    let counts = class_counts(&records);
    assert_eq!(counts.iter().sum::<usize>(), 10_000);
    // data_batch_1 is close to balanced (each class between 9% and 11%).
    assert!(
        counts.iter().all(|&n| (900..=1100).contains(&n)),
        "{counts:?}"
    );
    let (mean, std) = channel_statistics(&records);
    for c in 0..3 {
        assert!(
            (mean[c] - CIFAR_MEAN[c] as f64).abs() < 0.01,
            "mean {mean:?}"
        );
        assert!((std[c] - CIFAR_STD[c] as f64).abs() < 0.01, "std {std:?}");
    }
}

#[test]
fn a_tarball_that_lies_or_is_corrupt_is_refused_and_one_of_two_members_is_still_read() {
    // A header claiming 8 GB for a record file, in an archive of a few hundred bytes.
    let mut header = tar::Header::new_gnu();
    header.set_path("data_batch_1.bin").unwrap();
    header.set_size(8 << 30);
    header.set_cksum();
    let mut claim = header.as_bytes().to_vec();
    claim.extend_from_slice(&[0; 1024]);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&claim).unwrap();
    let err = read_tarball(&gz.finish().unwrap()[..], "claim.tar.gz", Split::Train).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("claim.tar.gz") && message.contains("at most"),
        "{message}"
    );

    // A gzip bomb: 300 MB of zeros in about 300 KB, past the inflated-bytes cap.
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let err = read_tarball(&bomb[..], "bomb.tar.gz", Split::Train).unwrap_err();
    assert!(err.to_string().contains("inflates to over"), "{err}");

    // A flipped byte in the last member's deflate data, or in its CRC: refused.
    let archive = tarball(&[("data_batch_1.bin", raw("data_batch_1.bin", 5))]);
    let mut crc = archive.clone();
    let at = crc.len() - 6;
    crc[at] ^= 0xff;
    let err = read_tarball(&crc[..], "crc.tar.gz", Split::Train).unwrap_err();
    assert!(err.to_string().contains("crc.tar.gz"), "{err}");

    // Two gzip members (what `cat a.gz b.gz` makes): the second is read too.
    // Tar's end-of-archive blocks live in the last member: one archive split in two.
    let inner = {
        let mut builder = tar::Builder::new(Vec::new());
        for (file, bytes) in [
            ("data_batch_1.bin", raw("data_batch_1.bin", 3)),
            ("test_batch.bin", raw("test_batch.bin", 2)),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, file, &bytes[..]).unwrap();
        }
        builder.into_inner().unwrap()
    };
    let half = inner.len() / 2;
    let mut joined = Vec::new();
    for part in [&inner[..half], &inner[half..]] {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(part).unwrap();
        joined.extend(gz.finish().unwrap());
    }
    let (train, test) =
        pinhole_compute::data::read_tarball_splits(&joined[..], "two.tar.gz").unwrap();
    assert_eq!((train.len(), test.len()), (3, 2));
}
