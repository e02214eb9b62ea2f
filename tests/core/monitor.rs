//! Monitoring statistics against the real libraries (scipy's chi-square, numpy's quantiles,
//! values made by `scripts/make_monitor_reference.py`), and `labelscope monitor` on a device log
//! of the bundled sample whose second week drifts.

use std::io::Write;

use crate::common;
use labelscope::monitor::stats::{chi_square, psi, quantile, smoothed_proportions};

fn reference() -> serde_json::Value {
    let text =
        std::fs::read_to_string(common::repo().join("tests/fixtures/monitor/reference.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn counts(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn chi_square_tests_and_psi_equal_scipy_and_numpy() {
    let r = reference();
    assert_eq!(r["smoothing"], labelscope::monitor::stats::SMOOTHING);
    for case in r["chi_square"].as_array().unwrap() {
        let expected = smoothed_proportions(&counts(&case["reference_counts"]));
        let observed = counts(&case["observed"]);
        let (stat, p) = chi_square(&observed, &expected).unwrap();
        let want = |k: &str| case[k].as_f64().unwrap();
        assert!(close(stat, want("statistic"), 1e-10), "{stat} vs {case}");
        assert!(close(p, want("p_value"), 1e-8), "p {p} vs {case}");
        let reference = counts(&case["reference_counts"]);
        let (stat, p, df) =
            labelscope::monitor::stats::chi_square_homogeneity(&reference, &observed).unwrap();
        assert_eq!(
            df as u64,
            case["homogeneity_df"].as_u64().unwrap(),
            "{case}"
        );
        assert!(
            close(stat, want("homogeneity_statistic"), 1e-10),
            "{stat} vs {case}"
        );
        assert!(
            close(p, want("homogeneity_p_value"), 1e-8),
            "p {p} vs {case}"
        );
        let psi = psi(&observed, &expected).unwrap();
        assert!(close(psi, want("psi"), 1e-10), "psi {psi} vs {case}");
    }
}

#[test]
fn ks_2samp_equals_scipy_exact() {
    let r = reference();
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    for case in r["ks_2samp"].as_array().unwrap() {
        let (a, b) = (floats(&case["a"]), floats(&case["b"]));
        let got = labelscope::monitor::ks::ks_2samp(&a, &b).unwrap();
        let want = |k: &str| case[k].as_f64().unwrap();
        let what = format!("{} vs {}", a.len(), b.len());
        assert!(
            close(got.statistic, want("statistic"), 1e-12),
            "{what}: D {} vs {}",
            got.statistic,
            want("statistic")
        );
        assert!(
            close(got.p_value, want("p_value"), 1e-9),
            "{what}: p {} vs {}",
            got.p_value,
            want("p_value")
        );
        // Symmetric in its samples.
        let swapped = labelscope::monitor::ks::ks_2samp(&b, &a).unwrap();
        assert_eq!(swapped, got, "{what}");
    }
}

#[test]
fn quantiles_equal_numpy() {
    let r = reference();
    let values: Vec<f32> = r["quantile_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    for (q, want) in r["quantiles"].as_object().unwrap() {
        let got = quantile(&values, q.parse().unwrap()).unwrap();
        assert!(
            close(got, want.as_f64().unwrap(), 1e-12),
            "q{q}: {got} vs {want}"
        );
    }
}

/// A week of inferences matching the reference, then a week in which the devices see mostly
/// bags and sandals with lower confidence: only the second week's windows are flagged, and
/// the estimated accuracy of the first week is near the reference's.
#[test]
fn monitor_flags_the_drifted_week_and_not_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 20);
    let repo = common::repo();
    let model = repo.join("assets/models/fashion_cnn.onnx");
    // The model's own predictions on the images make a realistic log.
    let preds = dir.path().join("preds.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .arg("predict")
        .arg(&data)
        .arg("--model")
        .arg(&model)
        .args(["--backend", "tract", "--out"])
        .arg(&preds)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rdr = csv::Reader::from_path(&preds).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (pred, conf, label) = (col("pred"), col("confidence"), col("label"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let log = dir.path().join("device.jsonl");
    let mut f = std::fs::File::create(&log).unwrap();
    let start = 1_764_547_200i64; // 2025-12-01
    let mut line = |t: i64, p: &str, c: f64, l: Option<&str>| {
        let obj = serde_json::json!({
            "timestamp": t, "pred": p, "confidence": c, "label": l,
            "device": if t % 2 == 0 { "cam-a" } else { "cam-b" }, "latency_ms": 3.0 + (t % 7) as f64,
        });
        writeln!(f, "{obj}").unwrap();
    };
    // Week 1: every image once a day, as the reference.
    for day in 0..7 {
        for (i, r) in rows.iter().enumerate() {
            let t = start + day * 86_400 + i as i64 * 30;
            line(t, &r[pred], r[conf].parse().unwrap(), Some(&r[label]));
        }
    }
    // Week 2: bags and sandals only, less sure.
    for day in 7..14 {
        for (i, r) in rows.iter().enumerate() {
            if matches!(&r[label], "Bag" | "Sandal") {
                for k in 0..5 {
                    let t = start + day * 86_400 + (i * 5 + k) as i64 * 11;
                    let c: f64 = r[conf].parse::<f64>().unwrap() * 0.7;
                    line(t, &r[pred], c, None);
                }
            }
        }
    }
    writeln!(f, "{{\"timestamp\": \"later\", \"pred\": \"Bag\"}}").unwrap();
    drop(f);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .arg("monitor")
        .arg(&data)
        .arg("--model")
        .arg(&model)
        .args(["--backend", "tract", "--log"])
        .arg(&log)
        .args(["--window", "1d", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("\"later\""),
        "the bad row is named: {stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 14, "{report}");
    let reference_acc = report["reference"]["accuracy"].as_f64().unwrap();
    for (d, w) in windows.iter().enumerate() {
        let drift = w["drift"].as_bool().unwrap();
        assert_eq!(drift, d >= 7, "day {d}: {w}");
        let p_conf = w["p_values"]["confidence"].as_f64().unwrap();
        if d < 7 {
            assert!(
                p_conf > 0.05,
                "day {d}: the confidences are the reference's: {w}"
            );
            let est = w["estimated_accuracy"].as_f64().unwrap();
            assert!(
                (est - reference_acc).abs() < 0.03,
                "day {d}: {est} vs {reference_acc}"
            );
            assert_eq!(w["accuracy"].as_f64().unwrap(), reference_acc, "day {d}");
            assert!(w["latency_p95"].as_f64().unwrap() > 3.0);
        } else {
            assert!(w["accuracy"].is_null(), "no labels in week 2");
            assert!(w["psi"].as_f64().unwrap() > 0.25, "day {d}: {w}");
            assert!(p_conf < 1e-6, "day {d}: the confidences fell by 30%: {w}");
        }
    }
}

fn matrix(v: &serde_json::Value) -> ndarray::Array2<f32> {
    let rows: Vec<Vec<f32>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect();
    let cols = rows[0].len();
    ndarray::Array2::from_shape_vec((rows.len(), cols), rows.concat()).unwrap()
}

/// The random-feature MMD equals NumPy's on the same features, and its permutation p-value
/// NumPy's within the Monte Carlo error of 2,000 permutations (also on the raw rows: the mean
/// shift); an exact-kernel permutation test (NumPy, the full kernel matrix) reaches the same
/// verdict at 5%.
#[test]
fn mmd_and_mean_shift_tests_agree_with_numpy() {
    use labelscope::monitor::embedding_drift::{RandomFeatures, mmd2, permutation_p_value};
    let r = reference();
    for case in r["mmd"].as_array().unwrap() {
        let (x, y) = (matrix(&case["x"]), matrix(&case["y"]));
        let phase: Vec<f32> = case["phase"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let rff = RandomFeatures {
            omega: matrix(&case["omega"]),
            phase: phase.into(),
        };
        let (fx, fy) = (rff.map(x.view()), rff.map(y.view()));
        let want = |k: &str| case[k].as_f64().unwrap();
        let got = mmd2(fx.view(), fy.view());
        assert!(
            close(got, want("rff_mmd2"), 1e-4),
            "{got} vs {}",
            want("rff_mmd2")
        );
        // The features approximate the kernel: within a few hundredths of its MMD².
        assert!(
            (got - want("exact_mmd2")).abs() < 0.004,
            "{got} vs exact {}",
            want("exact_mmd2")
        );
        let permutations = case["permutations"].as_u64().unwrap() as usize;
        // Monte Carlo error of each p-value (and the features' approximation): 4 sigma + 0.02.
        let agree = |ours: f64, theirs: f64| {
            let sd = (theirs * (1.0 - theirs) / permutations as f64).sqrt();
            (ours - theirs).abs() <= 4.0 * 2f64.sqrt() * sd + 0.02
        };
        let p = permutation_p_value(fx.view(), fy.view(), permutations, 7);
        assert!(
            agree(p, want("rff_p_value")),
            "MMD p {p} vs NumPy {}",
            want("rff_p_value")
        );
        // And the exact kernel reaches the same verdict at 5%.
        assert_eq!(
            p < 0.05,
            want("exact_p_value") < 0.05,
            "{p} vs exact-kernel {}",
            want("exact_p_value")
        );
        let p_mean = permutation_p_value(x.view(), y.view(), permutations, 8);
        assert!(
            agree(p_mean, want("mean_p_value")),
            "mean p {p_mean} vs {}",
            want("mean_p_value")
        );
    }
}

#[test]
fn auc_equals_sklearn() {
    let r = reference();
    let scores: Vec<f64> = r["auc"]["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let labels: Vec<u32> = r["auc"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let got = labelscope::monitor::embedding_drift::auc(&scores, &labels);
    let want = r["auc"]["auc"].as_f64().unwrap();
    assert!(close(got, want, 1e-12), "{got} vs {want}");
}
