//! Confidence intervals and significance equal statsmodels (`scripts/make_stats_reference.py`):
//! Wilson score intervals and McNemar's exact test; `evaluate --format json` reports them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use labelscope::eval::intervals::{Z95, mcnemar_exact, wilson};

fn reference() -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(common::repo().join("tests/fixtures/stats/reference.json")).unwrap(),
    )
    .unwrap()
}

#[test]
fn wilson_intervals_equal_statsmodels() {
    for case in reference()["wilson_95"].as_array().unwrap() {
        let (k, n) = (case["k"].as_u64().unwrap(), case["n"].as_u64().unwrap());
        let want: Vec<f64> = serde_json::from_value(case["ci"].clone()).unwrap();
        let got = wilson(k, n, Z95).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{k}/{n}: {got:?} vs {want:?}");
        }
    }
    assert_eq!(wilson(0, 0, Z95), None);
}

#[test]
fn mcnemar_exact_p_values_equal_statsmodels() {
    for case in reference()["mcnemar_exact"].as_array().unwrap() {
        let (b, c) = (case["b"].as_u64().unwrap(), case["c"].as_u64().unwrap());
        let want = case["p"].as_f64().unwrap();
        let got = mcnemar_exact(b, c);
        assert!(
            (got - want).abs() < 1e-10 * want.max(1e-300).max(1e-12) + 1e-14,
            "{b} vs {c}: {got} vs {want}"
        );
    }
}

#[test]
fn evaluate_reports_intervals_and_compare_reports_mcnemar() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 8);
    let model = common::repo().join("assets/models/fashion_cnn.onnx");
    let data = tmp.path().to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["evaluate", data];
        args.extend_from_slice(extra);
        args.extend(["--backend", "tract", "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&common::labelscope_ok(&args)).unwrap()
    };
    let v = run(&["--model", model.to_str().unwrap()]);
    let acc = v["accuracy"].as_f64().unwrap();
    let ci: Vec<f64> = serde_json::from_value(v["accuracy_ci"].clone()).unwrap();
    assert!(ci[0] < acc && acc < ci[1], "{ci:?} around {acc}");
    assert_eq!(v["ci_level"], 0.95);
    assert!(v["ci_method"].as_str().unwrap().contains("Wilson"));
    let f1: Vec<f64> = serde_json::from_value(v["macro_f1_ci"].clone()).unwrap();
    let macro_f1 = v["macro_f1"].as_f64().unwrap();
    assert!(
        f1[0] <= macro_f1 && macro_f1 <= f1[1],
        "{f1:?} around {macro_f1}"
    );
    assert_eq!(v["per_class_ci"].as_array().unwrap().len(), 10);

    // Two sets: the same predictions twice agree everywhere, so nothing is significant.
    let preds = tmp.path().join("preds.csv");
    common::labelscope_ok(&[
        "predict",
        data,
        "--model",
        model.to_str().unwrap(),
        "--backend",
        "tract",
        "--out",
        preds.to_str().unwrap(),
    ]);
    let p = preds.to_str().unwrap();
    let v = run(&["--predictions", p, "--predictions", p]);
    let sig = &v["significance"];
    assert_eq!(sig["mcnemar_p"], 1.0);
    assert_eq!(sig["only_first_right"], 0);
    assert!(
        sig["verdict"]
            .as_str()
            .unwrap()
            .starts_with("no significant difference")
    );
    assert!(v["sets"][0]["accuracy_ci"].is_array());
}
