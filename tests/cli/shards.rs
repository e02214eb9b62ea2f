//! Sharded runs: `predict --shard I/N` parts, `embed` and `issues` parts, read back as one set
//! from a directory.

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

/// `issues` over sharded embeddings (`embed --shard` parts read back with `--embeddings DIR`)
/// finds exactly what one machine finds: the neighbour search spans every part.
#[test]
fn issues_over_embedding_shards_equal_the_single_machine_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 8);
    let parts = dir.path().join("emb");
    let model = [
        "--model",
        "assets/models/fashion_cnn.onnx",
        "--backend",
        "tract",
    ];
    for shard in ["0/2", "1/2"] {
        let mut args = vec!["embed", data.to_str().unwrap()];
        args.extend_from_slice(&model);
        args.extend_from_slice(&["--shard", shard, "--out", parts.to_str().unwrap()]);
        let out = labelscope(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains(&format!("shard {shard}")), "{stderr}");
    }
    assert!(parts.join("part-0-of-2.parquet").is_file());
    assert!(parts.join("part-1-of-2.parquet").is_file());
    let issues = |extra: &[&str]| {
        let mut args = vec!["issues", data.to_str().unwrap()];
        args.extend_from_slice(&model);
        args.extend_from_slice(&[
            "--kinds",
            "outlier,near_duplicate,label",
            "--format",
            "json",
        ]);
        args.extend_from_slice(extra);
        let out = labelscope(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (String::from_utf8(out.stdout).unwrap(), stderr)
    };
    let (single, _) = issues(&[]);
    let (sharded, stderr) = issues(&["--embeddings", parts.to_str().unwrap()]);
    assert!(
        stderr.contains("embeddings: 80 of 80 samples") && stderr.contains("(2 files)"),
        "{stderr}"
    );
    let findings: serde_json::Value = serde_json::from_str(&single).unwrap();
    assert!(
        findings.as_array().is_some_and(|a| !a.is_empty()),
        "the run finds something to compare: {single}"
    );
    assert_eq!(single, sharded);

    // A missing part is a warning; its samples have no embedding, the rest is searched.
    std::fs::remove_file(parts.join("part-1-of-2.parquet")).unwrap();
    let (_, stderr) = issues(&["--embeddings", parts.to_str().unwrap()]);
    assert!(stderr.contains("part 1 of 2 is missing"), "{stderr}");
}

/// `issues --shard I/N` gathers one shard's image facts into a part; the run over every part
/// (`--image-facts DIR`) reads no image a part holds and finds exactly what one machine finds.
#[test]
fn image_facts_gathered_in_shards_give_the_single_machine_findings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 6);
    // Something for each check: an exact copy, a file that does not decode.
    let class = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap();
    let first = std::fs::read_dir(&class)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .min()
        .unwrap();
    std::fs::copy(&first, class.join("zz_copy.png")).unwrap();
    std::fs::write(class.join("zz_broken.png"), b"not a png at all").unwrap();
    let d = data.to_str().unwrap();
    let state = data.join(".labelscope");
    let issues = |extra: &[&str]| {
        let mut args = vec![
            "issues",
            d,
            "--kinds",
            "duplicate,unreadable,odd",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = labelscope(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (String::from_utf8(out.stdout).unwrap(), stderr)
    };
    let (single, _) = issues(&[]);
    let kinds: Vec<String> = serde_json::from_str::<serde_json::Value>(&single)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        kinds.iter().any(|k| k == "duplicate") && kinds.iter().any(|k| k == "unreadable"),
        "the run finds something to compare: {single}"
    );
    std::fs::remove_dir_all(&state).unwrap();

    let parts = dir.path().join("facts");
    for shard in ["0/2", "1/2"] {
        let out = labelscope(&[
            "issues",
            d,
            "--shard",
            shard,
            "--out",
            parts.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains(&format!("shard {shard}")), "{stderr}");
        assert!(stderr.contains("wrote the image facts of"), "{stderr}");
        assert!(out.stdout.is_empty(), "a shard prints no findings");
    }
    assert!(parts.join("part-0-of-2.facts").is_file());
    assert!(parts.join("part-1-of-2.facts").is_file());
    // No cache of this machine's own: what the run knows comes from the parts.
    std::fs::remove_dir_all(&state).unwrap();
    // An image changed behind the stamp's back (same size, same mtime): read again, it would
    // be unreadable; from its part it is the image it was.
    let mtime = std::fs::metadata(&first).unwrap().modified().unwrap();
    let len = std::fs::metadata(&first).unwrap().len() as usize;
    std::fs::write(&first, vec![b'x'; len]).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&first)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let (sharded, stderr) = issues(&["--image-facts", parts.to_str().unwrap()]);
    let n = 6 * 10 + 2;
    assert!(
        stderr.contains(&format!("{n} images' facts read from 2 parts")),
        "{stderr}"
    );
    assert_eq!(single, sharded);

    // A missing part is a warning; its samples are read here.
    std::fs::remove_dir_all(&state).unwrap();
    std::fs::remove_file(parts.join("part-1-of-2.facts")).unwrap();
    let (_, stderr) = issues(&["--image-facts", parts.to_str().unwrap()]);
    assert!(stderr.contains("part 1 of 2 is missing"), "{stderr}");
    // The part never goes where the command reads.
    let out = labelscope(&["issues", d, "--shard", "0/2", "--out", d]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("refusing"),
        "{stderr}"
    );
}
