//! Several models in one run (`evaluate --model A --model B`): each image decoded once, each
//! model's predictions exactly those of its own run, and per model the size and memory; the
//! bundled fp32 / int8-weight CNN pair as the worked example.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use labelscope::dataset::{OpenOptions, open_dataset};
use labelscope::jobs::JobControl;
use labelscope::model::multi::{ModelEntry, predict_models};
use labelscope::model::{
    BackendKind, PredictOptions, SampleOutcome, load_model, predict_dataset, resolve_backend,
};

fn probs(o: &Option<SampleOutcome>) -> Vec<f32> {
    match o {
        Some(SampleOutcome::Predicted(p)) => p.probs.clone(),
        other => panic!("not predicted: {other:?}"),
    }
}

#[test]
fn one_pass_over_two_models_equals_two_runs() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 3);
    // A file that does not decode is a failure for each model, not an abort.
    std::fs::write(tmp.path().join("Bag/broken.png"), b"not a png").unwrap();
    let ds = open_dataset(tmp.path(), &OpenOptions::default()).unwrap();
    let models: Vec<_> = ["fashion_cnn.onnx", "fashion_cnn_int8w.json"]
        .iter()
        .map(|f| {
            let m = load_model(&common::repo().join("assets/models").join(f)).unwrap();
            let b = resolve_backend(BackendKind::Tract, &m).unwrap();
            (m, b)
        })
        .collect();
    let opts = PredictOptions {
        threads: 2,
        use_cache: false,
        embeddings: false,
    };
    let entries: Vec<ModelEntry> = models
        .iter()
        .map(|(model, backend)| ModelEntry {
            model,
            backend,
            max_side: None,
        })
        .collect();
    let together = predict_models(&ds, &entries, &opts, None, &JobControl::default()).unwrap();
    assert_eq!(together.len(), 2);
    let broken = ds
        .samples
        .iter()
        .position(|s| s.path.ends_with("broken.png"))
        .unwrap();
    for ((m, b), report) in models.iter().zip(&together) {
        let alone = predict_dataset(&ds, m, b, &opts, None, &JobControl::default(), None).unwrap();
        for (i, (x, y)) in alone.outcomes.iter().zip(&report.outcomes).enumerate() {
            if i == broken {
                assert!(matches!(y, Some(SampleOutcome::Failed(e)) if e.contains("broken.png")));
                continue;
            }
            assert_eq!(probs(x), probs(y), "{} sample {i}", m.spec.name);
        }
    }
    // Weight-only int8 changes the numbers a little, not the answers much.
    let differ = (0..ds.samples.len())
        .filter(|&i| {
            i != broken && probs(&together[0].outcomes[i]) != probs(&together[1].outcomes[i])
        })
        .count();
    assert!(differ > 0, "int8 weights should move some probability");
}

#[test]
fn evaluate_compares_models_and_files_with_size_memory_and_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 8);
    let fp32 = common::repo().join("assets/models/fashion_cnn.onnx");
    let int8 = common::repo().join("assets/models/fashion_cnn_int8w.json");
    let preds = tmp.path().join("preds.csv");
    let run = |args: &[&std::ffi::OsStr]| common::labelscope_ok(args);
    run(&[
        "predict".as_ref(),
        tmp.path().as_os_str(),
        "--model".as_ref(),
        fp32.as_os_str(),
        "--backend".as_ref(),
        "tract".as_ref(),
        "--out".as_ref(),
        preds.as_os_str(),
    ]);
    let out = run(&[
        "evaluate".as_ref(),
        tmp.path().as_os_str(),
        "--model".as_ref(),
        fp32.as_os_str(),
        "--model".as_ref(),
        int8.as_os_str(),
        "--predictions".as_ref(),
        preds.as_os_str(),
        "--backend".as_ref(),
        "tract".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let sets = v["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 3);
    assert!(sets[1]["name"].as_str().unwrap().contains("int8"));
    assert_eq!(
        sets[0]["file_bytes"].as_u64().unwrap(),
        std::fs::metadata(&fp32).unwrap().len()
    );
    assert_eq!(
        sets[1]["file_bytes"].as_u64().unwrap(),
        std::fs::metadata(common::repo().join("assets/models/fashion_cnn_int8w.onnx"))
            .unwrap()
            .len()
    );
    if cfg!(target_os = "linux") {
        // Measured in a child process: loading the model and one inference take real memory.
        assert!(sets[0]["session_peak_bytes"].as_u64().unwrap() > 100_000);
    }
    assert!(sets[0]["latency_ms"]["p50"].as_f64().unwrap() > 0.0);
    assert!(sets[1]["accuracy_ci"].is_array());
    assert!(
        sets[2].get("file_bytes").is_none(),
        "an imported file has no size"
    );
    let pairs = v["pairs"].as_array().unwrap();
    let idx: Vec<(u64, u64)> = pairs
        .iter()
        .map(|p| (p["first"].as_u64().unwrap(), p["second"].as_u64().unwrap()))
        .collect();
    assert_eq!(idx, [(0, 1), (0, 2), (1, 2)]);
    for p in pairs {
        let t = &p["significance"];
        let cells: u64 = [
            "both_right",
            "only_first_right",
            "only_second_right",
            "both_wrong",
        ]
        .iter()
        .map(|k| t[k].as_u64().unwrap())
        .sum();
        assert_eq!(
            cells, 80,
            "the 2x2 table covers every sample both predicted"
        );
    }
    // The model run here and its own predictions file agree on every sample.
    assert_eq!(pairs[1]["comparison"]["disagree"], 0);
    assert_eq!(pairs[1]["significance"]["mcnemar_p"], 1.0);
    assert_eq!(v["significance"]["n"], 80);

    // The text report names both models, the McNemar verdict and the cost.
    let out = run(&[
        "evaluate".as_ref(),
        tmp.path().as_os_str(),
        "--model".as_ref(),
        fp32.as_os_str(),
        "--model".as_ref(),
        int8.as_os_str(),
        "--backend".as_ref(),
        "tract".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("[2] Fashion-MNIST CNN (labelscope sample model, int8 weights)"));
    assert!(text.contains("McNemar exact"), "{text}");
    assert!(text.contains("file 427 kB"), "{text}");
    assert!(text.contains("both right"), "{text}");
}

#[test]
fn other_commands_refuse_two_models() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 1);
    let m = common::repo().join("assets/models/fashion_cnn.onnx");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .arg("predict")
        .arg(tmp.path())
        .arg("--model")
        .arg(&m)
        .arg("--model")
        .arg(&m)
        .arg("--out")
        .arg(tmp.path().join("p.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only `evaluate` compares several"));
    assert!(!tmp.path().join("p.csv").exists());
}
