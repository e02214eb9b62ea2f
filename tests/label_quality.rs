//! Label quality: the numerics equal their references (scikit-learn's logistic regression,
//! cleanlab's confident learning, from `scripts/make_label_quality_reference.py`), and the
//! review queue finds the bundled Fashion sample's injected label flips, better with the
//! out-of-sample evidence than from the model alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::process::Command;

use labelscope::dataset::ClassId;
use labelscope::linear::lbfgs::LbfgsOptions;
use labelscope::linear::{LogRegOptions, fit};
use labelscope::problems::label_issues::confident_learning;
use ndarray::Array2;
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/label_quality/reference.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn matrix(v: &Value) -> Array2<f32> {
    let rows: Vec<Vec<f32>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

#[test]
fn logistic_regression_gives_scikit_learns_probabilities() {
    for case in reference()["logreg"].as_array().unwrap() {
        let x = matrix(&case["x"]);
        let y: Vec<u32> = serde_json::from_value(case["y"].clone()).unwrap();
        let want = matrix(&case["probs"]);
        let classes = case["classes"].as_u64().unwrap() as usize;
        let opts = LogRegOptions {
            c: case["c"].as_f64().unwrap(),
            class_weights: serde_json::from_value(case["class_weights"].clone()).unwrap(),
            lbfgs: LbfgsOptions {
                max_iter: 10_000,
                gtol: 1e-9,
                ftol: 0.0,
                ..LbfgsOptions::default()
            },
        };
        let fitted = fit(x.view(), &y, classes, &opts, None, |_, _| true);
        let got = fitted.model.probabilities(x.view());
        let worst = (&got - &want).mapv(f32::abs).fold(0f32, |m, &v| m.max(v));
        assert!(worst < 1e-4, "largest difference {worst} (C = {})", opts.c);
    }
}

#[test]
fn confident_learning_flags_what_cleanlab_flags() {
    for case in reference()["confident_learning"].as_array().unwrap() {
        let labels: Vec<u32> = serde_json::from_value(case["labels"].clone()).unwrap();
        let probs: Vec<Vec<f32>> = serde_json::from_value(case["probs"].clone()).unwrap();
        let classes = case["classes"].as_u64().unwrap() as usize;
        let want: HashSet<usize> = serde_json::from_value(case["issues"].clone()).unwrap();
        let rows: Vec<(usize, ClassId, Vec<f32>)> = labels
            .iter()
            .zip(probs)
            .enumerate()
            .map(|(i, (&y, p))| (i, ClassId(y), p))
            .collect();
        let got: HashSet<usize> = confident_learning(&rows, classes)
            .issues
            .iter()
            .map(|x| x.sample)
            .collect();
        assert_eq!(got, want, "{} classes", classes);
    }
}

/// Average precision of a ranking (most suspicious first) at finding `positives`.
fn average_precision(ranked: &[String], positives: &HashSet<String>) -> f64 {
    let (mut hits, mut sum) = (0usize, 0f64);
    for (i, path) in ranked.iter().enumerate() {
        if positives.contains(path) {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / positives.len().max(1) as f64
}

fn queue(dir: &std::path::Path, evidence: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["issues"])
        .arg(dir)
        .args(["--model"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/models/fashion_cnn.onnx"
        ))
        .args([
            "--kinds",
            "label",
            "--top",
            "0",
            "--label-evidence",
            evidence,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["path", "label", "suggested", "score", "rank", "flagged", "evidence"]
    );
    reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect()
}

#[test]
fn the_queue_finds_the_sample_flips_and_embeddings_help() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fashion");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_data/fashion");
    let status = Command::new("cp").arg("-r").arg(src).arg(&dir).status().unwrap();
    assert!(status.success());
    let injections = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample_data/fashion_injections.csv"
    ))
    .unwrap();
    let flips: HashSet<String> = injections
        .lines()
        .filter(|l| l.contains(",label_flip,"))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(flips.len(), 36);
    let combined = queue(&dir, "model,probe,neighbours");
    let model_only = queue(&dir, "model");
    assert_eq!(combined.len(), 1212);
    let (ap_all, ap_model) = (
        average_precision(&combined, &flips),
        average_precision(&model_only, &flips),
    );
    let found_at = |q: &[String], k: usize| q.iter().take(k).filter(|p| flips.contains(*p)).count();
    eprintln!(
        "AP combined {ap_all:.3}, model only {ap_model:.3}; flips in top 36: {} vs {}",
        found_at(&combined, 36),
        found_at(&model_only, 36)
    );
    assert!(ap_all >= ap_model, "{ap_all} < {ap_model}");
    assert!(found_at(&combined, 50) >= 30, "{}", found_at(&combined, 50));
}
