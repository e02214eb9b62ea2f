//! `labelscope calibrate` on real files: it fits on the validation split, writes a calibrated
//! copy of the spec (never the model's own), and a run with that copy uses the temperature
//! from the same prediction cache.

use std::path::Path;
use std::process::Output;

use crate::common;

fn labelscope(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .current_dir(common::repo())
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> (serde_json::Value, String) {
    let out = labelscope(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

fn refused(args: &[&str]) -> String {
    let out = labelscope(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail");
    err
}

/// The Fashion sample as `train/` (15 per class) and `val/` (the next 10 per class).
fn split_dataset(dst: &Path) {
    let src = common::repo().join("sample_data/fashion");
    let mut classes: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.file_name())
        .collect();
    classes.sort();
    for c in classes {
        let mut files: Vec<_> = std::fs::read_dir(src.join(&c))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for (i, f) in files.iter().take(25).enumerate() {
            let split = if i < 15 { "train" } else { "val" };
            let out = dst.join(split).join(&c);
            std::fs::create_dir_all(&out).unwrap();
            std::fs::copy(f, out.join(f.file_name().unwrap())).unwrap();
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn calibrate_fits_on_val_writes_a_copy_and_later_runs_use_it() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    split_dataset(&ds);
    let spec = tmp.path().join("out/calibrated.json");
    let model = "assets/models/fashion_cnn.json";
    let args = ["calibrate", s(&ds), "--model", model, "--format", "json"];
    let (first, _) = json(&[&args[..], &["--out", s(&spec)]].concat());
    assert_eq!(first["split"], "val");
    assert_eq!(first["in_sample"], false);
    assert_eq!(first["before"]["n"], 100);
    let t = first["temperature"].as_f64().unwrap();
    assert!(t.is_finite() && t > 0.0 && t != 1.0, "{first}");
    let nll = |v: &serde_json::Value, k: &str| v[k]["nll"].as_f64().unwrap();
    assert!(nll(&first, "after") < nll(&first, "before"), "{first}");
    assert_eq!(first["before"]["accuracy"], first["after"]["accuracy"]);

    // The copy: same model, the temperature, labels inline; the model's own spec untouched.
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spec).unwrap()).unwrap();
    assert_eq!(written["output"]["temperature"].as_f64(), Some(t));
    assert_eq!(written["labels"].as_array().unwrap().len(), 10);
    let own: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::repo().join(model)).unwrap()).unwrap();
    assert!(own["output"].get("temperature").is_none());

    // A run with the copy: answered from the cache the first run filled, scaled by T, so
    // calibrating again finds (almost) nothing left to fix.
    let (again, err) = json(&["calibrate", s(&ds), "--model", s(&spec), "--format", "json"]);
    assert!(err.contains(", 0 run,"), "the cache was not reused: {err}");
    assert_eq!(again["previous_temperature"].as_f64(), Some(t));
    assert!(
        (nll(&again, "before") - nll(&first, "after")).abs() < 1e-5,
        "{again}"
    );
    let refit = again["fit"]["temperature"].as_f64().unwrap();
    assert!((refit - 1.0).abs() < 1e-3, "refit {refit}");
}

#[test]
fn calibrate_refuses_to_write_over_an_input_or_fit_on_a_missing_split() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    split_dataset(&ds);
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    for f in ["fashion_cnn.onnx", "fashion_cnn.json"] {
        std::fs::copy(common::repo().join("assets/models").join(f), work.join(f)).unwrap();
    }
    let before = std::fs::read(work.join("fashion_cnn.json")).unwrap();
    let model = work.join("fashion_cnn.json");
    for out in [work.join("fashion_cnn.json"), ds.join("val/Bag/x.json")] {
        let err = refused(&["calibrate", s(&ds), "--model", s(&model), "--out", s(&out)]);
        assert!(err.contains("refusing"), "{}: {err}", out.display());
    }
    assert_eq!(
        std::fs::read(work.join("fashion_cnn.json")).unwrap(),
        before
    );
    assert!(!ds.join("val/Bag/x.json").exists());
    let err = refused(&["calibrate", s(&ds), "--model", s(&model), "--split", "test"]);
    assert!(
        err.contains("no split `test`") && err.contains("train, val"),
        "{err}"
    );
}

#[test]
fn a_vlms_label_probabilities_are_calibrated_and_no_spec_is_written_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    common::cat_dog(tmp.path(), 6); // cat/1, cat/2, dog/3..6
    // Sure answers: right on 4 of 6, so the fit softens them (T > 1).
    let answer = |label: &str, other: &str| {
        serde_json::json!({"choices": [{"message": {"content": format!("{{\"label\": \"{label}\"}}")},
            "logprobs": {"content": [
                {"token": "{\"label\": \"", "logprob": 0.0},
                {"token": label, "logprob": -0.02, "top_logprobs": [
                    {"token": label, "logprob": -0.02}, {"token": other, "logprob": -4.0}]},
                {"token": "\"}", "logprob": 0.0}]}}]})
        .to_string()
    };
    let answers = vec![
        (200, answer("cat", "dog")),
        (200, answer("dog", "cat")),
        (200, answer("dog", "cat")),
        (200, answer("cat", "dog")),
        (200, answer("dog", "cat")),
        (200, answer("dog", "cat")),
    ];
    let (url, _seen) = common::canned_vlm_server(answers);
    let dir = tmp.path().to_str().unwrap();
    let vlm = [
        "--vlm-endpoint",
        &url,
        "--vlm-model",
        "v",
        "--vlm-concurrency",
        "1",
    ];
    let (v, _) = json(&[&["calibrate", dir, "--format", "json"][..], &vlm[..]].concat());
    assert_eq!(v["before"]["n"], 6, "{v}");
    assert!(v["temperature"].as_f64().unwrap() > 1.0, "{v}");
    assert!(v["spec"].is_null());
    let err = refused(&[&["calibrate", dir, "--out", "/tmp/x.json"][..], &vlm[..]].concat());
    assert!(err.contains("--out writes a model spec"), "{err}");
}
