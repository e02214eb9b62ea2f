//! The hand-off's references: temperature scaling equals scipy's optimiser on the same
//! log-probabilities, and its NLL scikit-learn's `log_loss` (`scripts/make_calibration_reference.py`);
//! the export's balanced class weights equal scikit-learn's `compute_class_weight`
//! (`scripts/make_class_weight_reference.py`). The results are committed in `tests/fixtures/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use labelscope::dataset::ClassId;
use labelscope::eval::temperature::calibrate;
use labelscope::eval::{Entry, PredictionSet, predictions_from_probs};

#[test]
fn the_fitted_temperature_and_its_figures_equal_scipy_and_sklearn() {
    let text =
        std::fs::read(common::repo().join("tests/fixtures/calibration/reference.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let probs: Vec<Vec<f32>> = serde_json::from_value(case["probs"].clone()).unwrap();
        let labels: Vec<u32> = serde_json::from_value(case["labels"].clone()).unwrap();
        let k = probs[0].len();
        let mut set = PredictionSet::empty("reference", "fixture", probs.len());
        for (e, p) in set.entries.iter_mut().zip(&probs) {
            *e = Entry::Predicted(predictions_from_probs(p, k, None));
        }
        let truth: Vec<Option<ClassId>> = labels.iter().map(|&y| Some(ClassId(y))).collect();
        let c = calibrate(&set, &truth, &|_| true, 1.0, "").unwrap();
        let want = |key: &str| case[key].as_f64().unwrap();
        let rel = (c.temperature - want("temperature")).abs() / want("temperature");
        assert!(
            rel < 1e-9,
            "{name}: T {} vs scipy {}",
            c.temperature,
            want("temperature")
        );
        // scipy's bounded minimiser alone stops at its own tolerance (~1e-8 relative).
        assert!(
            (c.temperature - want("temperature_minimize_scalar")).abs() < 1e-6,
            "{name}"
        );
        for (got, key) in [
            (c.before.nll, "nll_before"),
            (c.after.nll, "nll_after"),
            (c.fit.nll_after, "nll_after"),
            (c.before.ece, "ece_before"),
            (c.after.ece, "ece_after"),
        ] {
            assert!(
                (got - want(key)).abs() < 1e-6,
                "{name}: {key} {got} vs {}",
                want(key)
            );
        }
        assert!(c.after.nll <= c.before.nll + 1e-12, "{name}");
        assert_eq!(
            c.after.accuracy, c.before.accuracy,
            "{name}: a label changed"
        );
        assert_eq!(c.after.n, probs.len());
    }
}

#[test]
fn a_second_calibration_composes_with_the_first() {
    let probs = [
        vec![0.9f32, 0.05, 0.05],
        vec![0.2, 0.7, 0.1],
        vec![0.6, 0.3, 0.1],
    ];
    let mut set = PredictionSet::empty("m", "s", 3);
    for (e, p) in set.entries.iter_mut().zip(&probs) {
        *e = Entry::Predicted(predictions_from_probs(p, 3, None));
    }
    let truth = vec![Some(ClassId(0)), Some(ClassId(0)), Some(ClassId(1))];
    let c = calibrate(&set, &truth, &|_| true, 2.0, "").unwrap();
    assert!((c.temperature - 2.0 * c.fit.temperature).abs() < 1e-12);
    let none = vec![None, None, None];
    assert!(calibrate(&set, &none, &|_| true, 1.0, "").is_err());
}

#[test]
fn balanced_class_weights_equal_sklearn() {
    let text =
        std::fs::read(common::repo().join("tests/fixtures/class_weights/reference.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_slice(&text).unwrap();
    for case in reference["cases"].as_array().unwrap() {
        let k = case["num_classes"].as_u64().unwrap() as usize;
        let labels: Vec<u32> = serde_json::from_value(case["labels"].clone()).unwrap();
        let want: Vec<f64> = serde_json::from_value(case["weights"].clone()).unwrap();
        let got = labelscope::export::balanced_class_weights(labels.iter().map(|&l| ClassId(l)), k);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }
}
