//! Closing the loop: a head trained on the cleaned labels, compared with the original model and
//! a head on the original labels, exported as one ONNX model that both backends run to the
//! head's own probabilities.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::Command;

use labelscope::dataset::{OpenOptions, open_dataset};
use labelscope::head::onnx::{model_with_head, output_name};
use labelscope::head::{HeadOptions, gather, train_head};
use labelscope::jobs::JobControl;
use labelscope::model::{
    BackendKind, PredictOptions, SampleOutcome, load_model, predict_dataset, resolve_backend,
};

fn labelscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
}

/// The exported graph (the CNN up to its embedding, then the head) gives the probabilities of
/// the head applied to the embeddings, on tract and on ONNX Runtime.
#[test]
fn the_exported_model_runs_the_head_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 4);
    let ds = open_dataset(tmp.path(), &OpenOptions::default()).unwrap();
    let spec_path = common::repo().join("assets/models/fashion_cnn.json");
    let model = load_model(&spec_path).unwrap();
    let backend = resolve_backend(BackendKind::Tract, &model).unwrap();
    let opts = PredictOptions {
        threads: 2,
        use_cache: false,
        embeddings: true,
    };
    let report = predict_dataset(
        &ds,
        &model,
        &backend,
        &opts,
        None,
        &JobControl::default(),
        None,
    )
    .unwrap();
    let embeddings: Vec<_> = report
        .outcomes
        .iter()
        .map(|o| match o {
            Some(SampleOutcome::Predicted(p)) => p.embedding.clone(),
            _ => None,
        })
        .collect();
    let labels: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    let all: Vec<usize> = (0..ds.samples.len()).collect();
    let train = || {
        train_head(
            &embeddings,
            &labels,
            &all,
            &[],
            &ds.classes,
            &HeadOptions::default(),
            &JobControl::default(),
            |_| {},
        )
        .unwrap()
    };
    let trained = train();
    let (x, rows) = gather(&embeddings, &all);
    let want = trained.head.probabilities(x.view());
    // Deterministic: the same data gives the same head, bit for bit.
    let again = train();
    assert_eq!(again.head.probabilities(x.view()), want);

    let value = model.embedding.clone().unwrap().name;
    let bytes = std::fs::read(&model.onnx_path).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("head.onnx"),
        model_with_head(&bytes, &value, &trained.head, false).unwrap(),
    )
    .unwrap();
    let mut spec = model.spec.clone();
    spec.model = Some("head.onnx".into());
    spec.output.name = Some(output_name(false).into());
    spec.labels = labelscope::model::spec::LabelsSpec::List(ds.classes.clone());
    std::fs::write(out.join("head.json"), serde_json::to_vec(&spec).unwrap()).unwrap();
    let exported = load_model(&out.join("head.json")).unwrap();
    assert!(exported.embedding.is_ok(), "{:?}", exported.embedding);
    let mut kinds = vec![BackendKind::Tract];
    if labelscope::model::backend::load_onnxruntime().is_ok() {
        kinds.push(BackendKind::OnnxRuntime);
    } else {
        assert!(!common::ort_required(), "ONNX Runtime is required");
    }
    for kind in kinds {
        let backend = resolve_backend(kind, &exported).unwrap();
        let got = predict_dataset(
            &ds,
            &exported,
            &backend,
            &PredictOptions {
                embeddings: false,
                ..opts.clone()
            },
            None,
            &JobControl::default(),
            None,
        )
        .unwrap();
        let mut worst = 0f32;
        for (r, &i) in rows.iter().enumerate() {
            let Some(SampleOutcome::Predicted(p)) = &got.outcomes[i] else {
                panic!("{kind}: sample {i} not predicted");
            };
            for (a, b) in p.probs.iter().zip(want.row(r)) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst < 1e-4, "{kind}: differs by {worst}");
        eprintln!("{kind}: exported head vs the head on the embeddings: {worst:.1e}");
    }
}

/// The CLI: fix the sample's injected flips, train with the original labels for comparison, the
/// report and the files, and the exported model opens and evaluates like any model.
#[test]
fn train_compares_cleaned_and_original_labels_and_writes_a_model_labelscope_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fashion");
    let status = Command::new("cp")
        .arg("-r")
        .arg(common::repo().join("sample_data/fashion"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let injections =
        std::fs::read_to_string(common::repo().join("sample_data/fashion_injections.csv")).unwrap();
    let mut fixes = String::from("path,action,label,reason\n");
    for line in injections.lines().filter(|l| l.contains(",label_flip,")) {
        let f: Vec<&str> = line.split(',').collect();
        fixes.push_str(&format!("{},relabel,{},\n", f[0], f[2]));
    }
    let fixes_path = tmp.path().join("fixes.csv");
    std::fs::write(&fixes_path, fixes).unwrap();
    common::labelscope_ok(&[
        "edit".as_ref(),
        dir.as_os_str(),
        "apply".as_ref(),
        fixes_path.as_os_str(),
    ]);
    let head_dir = tmp.path().join("head");
    let model = common::repo().join("assets/models/fashion_cnn.onnx");
    let stdout = common::labelscope_ok(&[
        "train".as_ref(),
        dir.as_os_str(),
        "--model".as_ref(),
        model.as_os_str(),
        "--backend".as_ref(),
        "tract".as_ref(),
        "--compare-original-labels".as_ref(),
        "--val-fraction".as_ref(),
        "0.3".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--out".as_ref(),
        head_dir.as_os_str(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(report["edits"]["relabeled"], 36);
    let results = report["results"].as_array().unwrap();
    let acc = |k: usize| results[k]["accuracy"].as_f64().unwrap();
    eprintln!(
        "original model {:.4}, head on original labels {:.4}, head on cleaned labels {:.4}",
        acc(0),
        acc(1),
        acc(2)
    );
    assert!(acc(2) >= acc(1), "cleaning did not help: {results:?}");
    assert!(report["curve_cleaned"].as_array().unwrap().len() > 3);
    for f in ["head.onnx", "head.json", "report.json"] {
        assert!(head_dir.join(f).is_file(), "{f}");
    }
    // The exported model evaluates like any model.
    let out = labelscope()
        .args(["evaluate"])
        .arg(&dir)
        .args(["--model"])
        .arg(head_dir.join("head.json"))
        .args(["--backend", "tract", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `train --out` pointing at the folder of a model whose spec is called head.json refuses and
/// leaves the model's files as they were.
#[test]
fn train_never_writes_over_the_model_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 2);
    let models = tmp.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::copy(
        common::repo().join("assets/models/fashion_cnn.onnx"),
        models.join("cnn.onnx"),
    )
    .unwrap();
    let spec = std::fs::read_to_string(common::repo().join("assets/models/fashion_cnn.json"))
        .unwrap()
        .replace("fashion_cnn.onnx", "cnn.onnx");
    std::fs::write(models.join("head.json"), &spec).unwrap();
    let before = (
        std::fs::read(models.join("cnn.onnx")).unwrap(),
        std::fs::read(models.join("head.json")).unwrap(),
    );
    let out = labelscope()
        .args(["train"])
        .arg(&data)
        .args(["--model"])
        .arg(models.join("head.json"))
        .args(["--backend", "tract", "--val-fraction", "0.5", "--out"])
        .arg(&models)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing") && err.contains("which this command reads"),
        "{err}"
    );
    assert_eq!(std::fs::read(models.join("cnn.onnx")).unwrap(), before.0);
    assert!(!models.join("head.onnx").exists());
    assert_eq!(std::fs::read(models.join("head.json")).unwrap(), before.1);
    assert!(!models.join("report.json").exists());
}
