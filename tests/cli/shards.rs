//! Sharded prediction: `predict --shard I/N` parts, read back as one set from a directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

fn labelscope(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .current_dir(common::repo())
        .output()
        .unwrap()
}

/// `predict DATA --model <bundled CNN> --backend tract --no-cache EXTRA...`.
fn predict(data: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "predict",
        data.to_str().unwrap(),
        "--model",
        "assets/models/fashion_cnn.onnx",
        "--backend",
        "tract",
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    labelscope(&args)
}

#[test]
fn shards_cover_every_sample_once_and_read_back_as_one_set() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 8);
    let parts = dir.path().join("parts");
    let whole = dir.path().join("whole.csv");
    let mut rows = 0;
    for shard in ["0/3", "1/3", "2/3"] {
        let out = predict(&data, &["--shard", shard, "--out", parts.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let n: usize = stderr
            .split("wrote ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{stderr}"));
        assert!(n > 0 && n < 80, "shard {shard} has {n} of 80 samples");
        rows += n;
    }
    assert_eq!(rows, 80, "the shards partition the samples");
    for i in 0..3 {
        assert!(parts.join(format!("part-{i}-of-3.parquet")).is_file());
    }
    // No temporary file is left beside the parts.
    assert_eq!(std::fs::read_dir(&parts).unwrap().count(), 3);
    let out = predict(&data, &["--out", whole.to_str().unwrap()]);
    assert!(out.status.success());

    let (from_parts, _) = common::evaluate_json(&data, &[&parts]);
    let (from_whole, _) = common::evaluate_json(&data, &[&whole]);
    assert_eq!(from_parts["num_samples"], 80);
    assert_eq!(from_parts["num_missing"], 0);
    assert_eq!(from_parts["accuracy"], from_whole["accuracy"]);
    assert_eq!(from_parts["confusion"], from_whole["confusion"]);

    // A missing part is reported, and its samples count as missing rather than vanishing.
    std::fs::remove_file(parts.join("part-1-of-3.parquet")).unwrap();
    let (partial, stderr) = common::evaluate_json(&data, &[&parts]);
    assert!(stderr.contains("part 1 of 3 is missing"), "{stderr}");
    assert_eq!(partial["num_samples"], 80);
    assert!(partial["num_missing"].as_u64().unwrap() > 0);
}

#[test]
fn a_directory_without_parts_and_a_bad_shard_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 1);
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = labelscope(&[
        "evaluate",
        data.to_str().unwrap(),
        "--predictions",
        empty.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no prediction parts") && stderr.contains("empty"),
        "{stderr}"
    );
    let out = predict(&data, &["--shard", "3/3", "--out", empty.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("0 <= I < N"), "{stderr}");
}
