//! The built binary: exit codes, stdout JSON, written files, and errors naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

fn labelscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
}

#[test]
fn evaluate_prints_the_documented_json() {
    let repo = common::repo();
    let out = labelscope()
        .args([
            "evaluate",
            "sample_data/fashion",
            "--model",
            "assets/models/fashion_cnn.onnx",
            "--format",
            "json",
            "--no-cache",
            "--backend",
            "tract",
        ])
        .current_dir(&repo)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("backend: tract"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "num_samples",
        "num_failed",
        "accuracy",
        "balanced_accuracy",
        "macro_f1",
        "weighted_f1",
        "per_class",
        "confusion",
        "ece",
        "latency_ms",
        "backend",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["num_samples"], 1200);
    assert_eq!(v["per_class"].as_array().unwrap().len(), 10);
    assert_eq!(v["per_class"][0]["label"], "T-shirt/top");
    assert_eq!(v["confusion"]["matrix"].as_array().unwrap().len(), 10);
    assert!(v["latency_ms"]["p95"].as_f64().unwrap() >= v["latency_ms"]["p50"].as_f64().unwrap());
    assert!(v["accuracy"].as_f64().unwrap() > 0.8);
}

#[test]
fn predict_writes_one_row_per_sample_and_evaluate_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 3);
    std::fs::write(data.join("Coat/broken.png"), b"garbage").unwrap();
    let model = common::repo().join("assets/models/fashion_cnn.onnx");
    for ext in ["csv", "parquet"] {
        let out_file = dir.path().join(format!("preds.{ext}"));
        let out = labelscope()
            .args([
                "predict",
                data.to_str().unwrap(),
                "--model",
                model.to_str().unwrap(),
                "--backend",
                "tract",
                "--threads",
                "2",
                "--out",
            ])
            .arg(&out_file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t = labelscope::table::read_table(&out_file).unwrap();
        assert_eq!(t.num_rows, 31);
        let mut expected = vec!["path", "label", "split", "pred", "confidence"];
        let probs: Vec<String> = [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ]
        .iter()
        .map(|c| format!("prob_{c}"))
        .collect();
        expected.extend(probs.iter().map(String::as_str));
        expected.push("error");
        assert_eq!(t.names, expected);
        let paths = t.column("path").unwrap();
        let row = paths
            .iter()
            .position(|p| p.as_deref() == Some("Coat/broken.png"))
            .unwrap();
        assert!(
            t.column("error").unwrap()[row]
                .as_deref()
                .unwrap()
                .contains("broken.png")
        );
        assert_eq!(t.column("pred").unwrap()[row], None);

        let eval = labelscope()
            .args([
                "evaluate",
                data.to_str().unwrap(),
                "--format",
                "json",
                "--predictions",
            ])
            .arg(&out_file)
            .output()
            .unwrap();
        assert!(
            eval.status.success(),
            "{}",
            String::from_utf8_lossy(&eval.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
        assert_eq!(
            (
                v["num_samples"].as_u64(),
                v["num_failed"].as_u64(),
                v["num_evaluated"].as_u64()
            ),
            (Some(31), Some(1), Some(30))
        );
    }
}

#[test]
fn fatal_errors_exit_non_zero_with_a_one_line_reason_naming_the_path() {
    let out = labelscope()
        .args(["evaluate", "/nonexistent/data", "--model", "x.onnx"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error:") && l.contains("/nonexistent/data")),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    common::png(&dir.path().join("a/1.png"), [1, 1, 1]);
    let bad_model = dir.path().join("broken.onnx");
    std::fs::write(&bad_model, b"not onnx").unwrap();
    let out = labelscope()
        .args([
            "evaluate",
            dir.path().to_str().unwrap(),
            "--backend",
            "tract",
            "--model",
            bad_model.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.onnx"));
}

#[test]
fn scan_lists_problems_with_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    common::png(&dir.path().join("cat/1.png"), [1, 1, 1]);
    std::fs::create_dir_all(dir.path().join("dog")).unwrap();
    let out = labelscope()
        .args(["scan", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["num_samples"], 1);
    assert_eq!(v["issues"][0]["kind"], "empty_class");
    assert!(v["issues"][0]["path"].as_str().unwrap().ends_with("dog"));
}

#[test]
fn jsonl_predictions_with_probs_objects_off_label_answers_unknown_paths_and_missing_rows() {
    let dir = tempfile::tempdir().unwrap();
    for (p, c) in [
        ("cat/1.png", [1, 1, 1]),
        ("cat/2.png", [2, 2, 2]),
        ("dog/3.png", [3, 3, 3]),
        ("dog/4.png", [4, 4, 4]),
        ("dog/5.png", [5, 5, 5]),
    ] {
        common::png(&dir.path().join(p), c);
    }
    let preds = dir.path().join("vlm.jsonl");
    common::write(
        &preds,
        concat!(
            r#"{"path": "cat/1.png", "pred": "cat", "probs": {"cat": 0.9, "dog": 0.1}}"#,
            "\n",
            r#"{"path": "dog/3.png", "pred": "dog", "confidence": 0.7, "raw_output": "{\"label\": \"dog\"}"}"#,
            "\n",
            r#"{"path": "dog/4.png", "pred": "a wolf, probably", "raw_output": "a wolf, probably"}"#,
            "\n",
            r#"{"path": "dog/5.png", "pred": ""}"#,
            "\n",
            r#"{"path": "fox/9.png", "pred": "dog"}"#,
            "\n",
            "this line is garbage\n",
        ),
    );
    let out = labelscope()
        .args([
            "evaluate",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--predictions",
        ])
        .arg(&preds)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("fox/9.png"),
        "unknown path reported: {stderr}"
    );
    assert!(stderr.contains("line 6"), "garbage line reported: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 5 samples: 2 right, 1 off-label (`other`), 1 empty (`unparsed`), 1 with no row (missing).
    assert_eq!(v["num_samples"], 5);
    assert_eq!(v["num_missing"], 1);
    assert_eq!(v["num_other"], 1);
    assert_eq!(v["num_unparsed"], 1);
    assert_eq!(v["num_evaluated"], 4);
    assert!((v["accuracy"].as_f64().unwrap() - 0.5).abs() < 1e-9);
}
