//! The built binary: exit codes, stdout JSON, written files, and errors naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

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
    assert_eq!(v["num_samples"], 1212);
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
        expected.extend(["model_top1", "model_top1_prob", "model_top5", "error"]);
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
    common::cat_dog(dir.path(), 5);
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
    let (v, stderr) = common::evaluate_json(dir.path(), &[&preds]);
    assert!(
        stderr.contains("fox/9.png"),
        "unknown path reported: {stderr}"
    );
    assert!(stderr.contains("line 6"), "garbage line reported: {stderr}");
    // 5 samples: 2 right, 1 off-label (`other`), 1 empty (`unparsed`), 1 with no row (missing).
    assert_eq!(v["num_samples"], 5);
    assert_eq!(v["num_missing"], 1);
    assert_eq!(v["num_other"], 1);
    assert_eq!(v["num_unparsed"], 1);
    assert_eq!(v["num_evaluated"], 4);
    assert!((v["accuracy"].as_f64().unwrap() - 0.5).abs() < 1e-9);
}

#[test]
fn vlm_endpoint_answers_become_predictions_with_logprobs_off_label_unparsed_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    common::cat_dog(dir.path(), 5);
    let with_logprobs =
        serde_json::json!({"choices": [{"message": {"content": "{\"label\": \"cat\"}"},
        "logprobs": {"content": [
            {"token": "{\"label\": \"", "logprob": 0.0},
            {"token": "cat", "logprob": -0.105, "top_logprobs": [
                {"token": "cat", "logprob": -0.105}, {"token": "dog", "logprob": -2.303}]},
            {"token": "\"}", "logprob": 0.0}]}}]})
        .to_string();
    let (url, seen) = common::canned_vlm_server(vec![
        (200, with_logprobs),                              // cat/1: right, with logprobs
        (200, common::completion("{\"label\": \"fox\"}")), // cat/2: off-label
        (200, common::completion("I think it's a dog?")),  // dog/3: malformed
        (500, "{\"error\": \"overloaded\"}".to_string()),  // dog/4: retried...
        (200, common::completion("{\"label\": \"dog\"}")), // ...and right
        (200, common::completion("{\"label\": \"dog\"}")), // dog/5: right
    ]);
    let out_file = dir.path().join("vlm.csv");
    let data = dir.path().to_str().unwrap().to_string();
    let args = [
        "--vlm-endpoint",
        &url,
        "--vlm-model",
        "test-vlm",
        "--vlm-concurrency",
        "1",
    ];
    let out = labelscope()
        .args(["predict", &data, "--out"])
        .arg(&out_file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 6, "five samples and one retry");
    for r in &requests {
        assert_eq!(r["model"], "test-vlm");
        let url = r["messages"][1]["content"][0]["image_url"]["url"]
            .as_str()
            .unwrap();
        assert!(url.starts_with("data:image/jpeg;base64,"), "{url}");
        let schema = &r["response_format"]["json_schema"]["schema"];
        assert_eq!(
            schema["properties"]["label"]["enum"],
            serde_json::json!(["cat", "dog"])
        );
    }
    let t = labelscope::table::read_table(&out_file).unwrap();
    let col = |name: &str| t.column(name).unwrap().to_vec();
    assert_eq!(
        col("pred"),
        ["cat", "other", "unparsed", "dog", "dog"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        col("raw_output")[1].as_deref(),
        Some("{\"label\": \"fox\"}")
    );
    let conf: f64 = col("confidence")[0].as_deref().unwrap().parse().unwrap();
    assert!(
        (conf - 0.9).abs() < 0.01,
        "exp(-0.105) / (exp(-0.105) + exp(-2.303)) = 0.9: {conf}"
    );
    // Evaluating again answers from the cache (the server has no answers left).
    let eval = labelscope()
        .args(["evaluate", &data, "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(
        (v["num_other"].as_u64(), v["num_unparsed"].as_u64()),
        (Some(1), Some(1))
    );
    assert!((v["accuracy"].as_f64().unwrap() - 0.6).abs() < 1e-9);
    assert_eq!(seen.lock().unwrap().len(), 6);
}

#[test]
fn evaluate_compares_two_prediction_sets() {
    let dir = tempfile::tempdir().unwrap();
    common::cat_dog(dir.path(), 3);
    let a = dir.path().join("small.csv");
    let b = dir.path().join("big.jsonl");
    common::write(
        &a,
        "path,pred\ncat/1.png,cat\ncat/2.png,dog\ndog/3.png,cat\n",
    );
    common::write(
        &b,
        "{\"path\": \"cat/1.png\", \"pred\": \"cat\"}\n{\"path\": \"cat/2.png\", \"pred\": \"cat\"}\n{\"path\": \"dog/3.png\", \"pred\": \"dog\"}\n",
    );
    let (v, _) = common::evaluate_json(dir.path(), &[&a, &b]);
    assert!((v["sets"][0]["accuracy"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(v["sets"][1]["accuracy"], 1.0);
    assert_eq!(v["comparison"]["disagree"], 2);
    assert_eq!(v["comparison"]["only_second_right"], 2);
}
