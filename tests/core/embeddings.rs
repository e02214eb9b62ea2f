//! Embeddings: read in the same inference as the prediction, equal to what onnxruntime in
//! Python reads (`scripts/make_embedding_reference.py`), cached per image, written for other
//! tools, and nearest neighbours that make sense on the bundled Fashion sample.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::Command;

use labelscope::dataset::image_io::decode_image;
use labelscope::dataset::{OpenOptions, open_dataset};
use labelscope::embed::EmbeddingSet;
use labelscope::jobs::JobControl;
use labelscope::model::preprocess::preprocess;
use labelscope::model::{
    BackendKind, PredictOptions, SampleOutcome, load_model, open_prediction_cache, predict_dataset,
    resolve_backend,
};

fn labelscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
}

fn ort_available() -> bool {
    if labelscope::model::backend::load_onnxruntime().is_ok() {
        return true;
    }
    assert!(
        !common::ort_required(),
        "ONNX Runtime is required but was not found"
    );
    eprintln!("ONNX Runtime not found: its half of the test is skipped");
    false
}

/// Both backends read EfficientNet-Lite0's pooled features as onnxruntime in Python does.
#[test]
fn embeddings_equal_onnxruntime_in_python() {
    let dir = common::repo().join("tests/fixtures/preprocess");
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("embedding_reference.json")).unwrap())
            .unwrap();
    let model =
        load_model(&common::repo().join("assets/models/efficientnet_lite0_fp16w.json")).unwrap();
    let found = model.embedding.clone().unwrap();
    assert_eq!(found.name, reference["value"].as_str().unwrap());
    assert_eq!(found.found_by, "the input of the last Gemm");
    let mut kinds = vec![BackendKind::Tract];
    if ort_available() {
        kinds.push(BackendKind::OnnxRuntime);
    }
    for kind in kinds {
        let backend = resolve_backend(kind, &model).unwrap();
        assert_eq!(backend.factory.embedding(), Ok(found.name.as_str()));
        let mut instance = backend.factory.create().unwrap();
        for (name, expected) in reference["embeddings"].as_object().unwrap() {
            let expected: Vec<f32> = expected
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let img = decode_image(&dir.join(name)).unwrap();
            let tensor = preprocess(&img, &model.spec.input).unwrap();
            let out = instance.run(&tensor, 1).unwrap().remove(0);
            let got = out.embedding.expect("an embedding");
            assert_eq!(got.len(), 1280, "{kind} {name}");
            let worst = got
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-3, "{kind} {name}: differs by {worst}");
            eprintln!("{kind} {name}: largest difference to onnxruntime in Python {worst:.2e}");
        }
    }
}

/// Embeddings are cached beside the predictions: a second run infers nothing and gives the same
/// vectors; a damaged embedding file is discarded with a notice and rebuilt.
#[test]
fn embeddings_are_cached_per_image_and_a_damaged_cache_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 3);
    let ds = open_dataset(tmp.path(), &OpenOptions::default()).unwrap();
    let model = load_model(&common::repo().join("assets/models/fashion_cnn.json")).unwrap();
    let backend = resolve_backend(BackendKind::Tract, &model).unwrap();
    let state = tmp.path().join("state");
    let opts = PredictOptions {
        threads: 2,
        use_cache: true,
        embeddings: true,
    };
    let run = |notes: &mut Vec<String>| {
        let mut cache = open_prediction_cache(&state, &model, &ds.classes);
        let job = JobControl::default();
        let report =
            predict_dataset(&ds, &model, &backend, &opts, Some(&mut cache), &job, None).unwrap();
        notes.extend(job.take_notes());
        report
    };
    let mut notes = Vec::new();
    let first = run(&mut notes);
    assert_eq!(first.num_inferred, 30);
    let set = EmbeddingSet::from_outcomes(&first.outcomes);
    assert_eq!((set.len(), set.dim), (30, 128));
    let second = run(&mut notes);
    assert_eq!((second.num_cached, second.num_inferred), (30, 0));
    assert_eq!(second.outcomes, first.outcomes, "cached embeddings differ");
    // Without embeddings wanted the predictions alone answer, and carry none.
    let mut cache = open_prediction_cache(&state, &model, &ds.classes);
    let plain = PredictOptions {
        embeddings: false,
        ..opts.clone()
    };
    let job = JobControl::default();
    let report =
        predict_dataset(&ds, &model, &backend, &plain, Some(&mut cache), &job, None).unwrap();
    assert_eq!(report.num_cached, 30);
    assert!(report.outcomes.iter().all(|o| matches!(o,
        Some(SampleOutcome::Predicted(p)) if p.embedding.is_none())));
    let file = std::fs::read_dir(state.join("embeddings"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 100);
    std::fs::write(&file, bytes).unwrap();
    notes.clear();
    let third = run(&mut notes);
    assert_eq!(third.num_inferred, 30);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("embedding cache did not verify")),
        "{notes:?}"
    );
    let vectors = |r: &labelscope::model::PredictReport| {
        let set = EmbeddingSet::from_outcomes(&r.outcomes);
        set.block(0, set.len()).into_owned()
    };
    assert_eq!(vectors(&third), vectors(&first));
}

/// `similar` on a shirt of the bundled sample lists shirts, T-shirts and other tops; `embed`
/// writes a matrix numpy reads, and refuses to write over an input.
#[test]
fn similar_and_embed_on_the_fashion_sample() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 40);
    let repo = common::repo();
    let model = repo.join("assets/models/fashion_cnn.json");
    let out = labelscope()
        .arg("similar")
        .arg(tmp.path())
        .args(["--model"])
        .arg(&model)
        .args(["Shirt/test_00040.png", "--k", "10", "--backend", "tract"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("(the input of the last Gemm)"), "{stderr}");
    let rows: Vec<&str> = stdout.lines().skip(2).collect();
    assert_eq!(rows.len(), 10, "{stdout}");
    let tops = rows
        .iter()
        .filter(|r| {
            ["Shirt/", "T-shirt_top/", "Pullover/", "Coat/"]
                .iter()
                .any(|c| r.contains(c))
        })
        .count();
    assert!(tops >= 9, "neighbours of a shirt are not tops:\n{stdout}");
    assert!(
        !stdout.contains("Shirt/test_00040.png  \n"),
        "the query is its own neighbour"
    );
    // The same neighbours as JSON rows, in the same order.
    let out = labelscope()
        .arg("similar")
        .arg(tmp.path())
        .args(["--model"])
        .arg(&model)
        .args(["Shirt/test_00040.png", "--k", "10", "--backend", "tract"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = json.iter().map(|r| r["path"].as_str().unwrap()).collect();
    let from_text: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(paths, from_text);
    assert_eq!(json[0]["rank"], 1);

    let npy = tmp.path().join("emb.npy");
    let out = labelscope()
        .arg("embed")
        .arg(tmp.path())
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(&npy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&npy).unwrap();
    let header = String::from_utf8_lossy(&bytes[..128]);
    assert!(header.contains("'shape': (400, 128)"), "{header}");
    let victim = tmp.path().join("classes.json");
    let before = std::fs::read(&victim).unwrap();
    let out = labelscope()
        .arg("embed")
        .arg(tmp.path())
        .arg("--model")
        .arg(&model)
        .arg("--out")
        .arg(&victim)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&victim).unwrap(), before);
}

/// A model whose embedding cannot be found fails `embed` with one line naming the model and
/// what was considered.
#[test]
fn a_model_without_an_embedding_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 1);
    let repo = common::repo();
    let spec = tmp.path().join("detector.json");
    std::fs::copy(
        repo.join("assets/models/ppocrv6_tiny_text_det.onnx"),
        tmp.path().join("detector.onnx"),
    )
    .unwrap();
    common::write(
        &spec,
        r#"{"name": "det", "input": {"name": "x", "layout": "NCHW", "color": "BGR", "height": 64, "width": 64,
            "resize": "stretch", "mean": [127.5], "std": [127.5]},
            "output": {"kind": "probabilities"}, "labels": ["text"]}"#,
    );
    let out = labelscope()
        .arg("embed")
        .arg(tmp.path())
        .arg("--model")
        .arg(&spec)
        .arg("--out")
        .arg(tmp.path().join("e.parquet"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = stderr.lines().last().unwrap();
    assert!(
        line.contains("detector.json gives no embedding"),
        "{stderr}"
    );
    assert!(line.contains("Gemm/MatMul"), "{stderr}");
}

/// On the bundled sample with EfficientNet-Lite0 as the embedder, the near-duplicate check
/// finds the mirrored copies (pHash finds only the re-encoded ones) and, with the pixel check,
/// the cropped ones, and own-label outliers
/// include injected label flips.
#[test]
fn issues_finds_near_copies_and_outliers_by_embedding() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 1000);
    let repo = common::repo();
    let out = labelscope()
        .arg("issues")
        .arg(tmp.path())
        .arg("--model")
        .arg(repo.join("assets/models/fashion_cnn.json"))
        .arg("--embedder")
        .arg(repo.join("assets/models/efficientnet_lite0_fp16w.json"))
        .args([
            "--kinds",
            "near_duplicate,duplicate,outlier",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let paths = |kind: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r["kind"] == kind)
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect()
    };
    let near = paths("near_duplicate");
    for copy in [
        "T-shirt_top/test_01451_mirrored.png",
        "Coat/test_06616_mirrored.png",
        "Sandal/test_03594_mirrored.png",
    ] {
        assert!(near.contains(&copy.to_string()), "{copy} not in {near:?}");
    }
    let copies = near
        .iter()
        .filter(|p| {
            ["_shifted", "_cropped", "_mirrored", "_reencoded"]
                .iter()
                .any(|k| p.contains(k))
        })
        .count();
    assert!(
        copies >= 9 && near.len() - copies <= 3,
        "{copies} copies among {near:?}"
    );
    let phash = paths("duplicate");
    assert!(
        phash.iter().any(|p| p.ends_with("_reencoded.jpg")),
        "{phash:?}"
    );
    assert!(
        !phash.iter().any(|p| p.ends_with("_mirrored.png")),
        "{phash:?}"
    );
    let injections =
        std::fs::read_to_string(repo.join("sample_data/fashion_injections.csv")).unwrap();
    let flips: Vec<&str> = injections
        .lines()
        .filter(|l| l.contains(",label_flip,"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let outliers = paths("outlier");
    let caught = outliers
        .iter()
        .filter(|p| flips.contains(&p.as_str()))
        .count();
    assert!(
        caught >= 10,
        "{caught} of {} flips among {} outliers",
        flips.len(),
        outliers.len()
    );
}

/// With `--embedder`, the export keeps semantic near duplicates (here: mirrored copies, which
/// pHash does not see) in one split.
#[test]
fn export_keeps_mirrored_copies_with_their_originals() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 12);
    let mut pairs = Vec::new();
    for class in ["T-shirt_top", "Coat", "Sandal", "Bag"] {
        let dir = data.join(class);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let original = files[0].clone();
        let mirrored = dir.join("zz_mirrored.png");
        image::open(&original)
            .unwrap()
            .fliph()
            .save(&mirrored)
            .unwrap();
        pairs.push((
            format!(
                "{class}/{}",
                original.file_name().unwrap().to_string_lossy()
            ),
            format!("{class}/zz_mirrored.png"),
        ));
    }
    let repo = common::repo();
    let export = |out: &std::path::Path, embedder: bool| {
        let mut cmd = labelscope();
        cmd.arg("export").arg(&data).arg("--out").arg(out).args([
            "--format",
            "csv",
            "--val-fraction",
            "0.5",
            "--seed",
            "3",
        ]);
        if embedder {
            cmd.arg("--embedder")
                .arg(repo.join("assets/models/efficientnet_lite0_fp16w.json"));
        }
        let run = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr).to_string();
        assert!(run.status.success(), "{stderr}");
        let t = labelscope::table::read_table(&out.join("manifest.csv")).unwrap();
        let split_of = |f: &str| {
            let k = t
                .column("source")
                .unwrap()
                .iter()
                .position(|p| p.as_deref().unwrap().ends_with(f))
                .unwrap_or_else(|| panic!("{f} not exported"));
            t.column("split").unwrap()[k].clone().unwrap()
        };
        let together = pairs
            .iter()
            .filter(|(a, b)| split_of(a) == split_of(b))
            .count();
        (together, stderr)
    };
    let (plain, _) = export(&tmp.path().join("plain"), false);
    let (kept, stderr) = export(&tmp.path().join("kept"), true);
    let groups: usize = stderr
        .lines()
        .find_map(|l| l.strip_prefix("semantic near-duplicate groups (kept together): "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(groups >= 3, "{stderr}");
    assert!(
        kept >= 3 && kept > plain,
        "together: {kept} with the embedder, {plain} without"
    );
}

/// `embed --out` naming the dataset's own Parquet manifest is refused before any work, and the
/// manifest keeps every byte.
#[test]
fn embed_refuses_to_write_over_the_manifest_it_reads() {
    use labelscope::table::{OutColumn, write_table};
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 2);
    let mut paths = Vec::new();
    let mut labels = Vec::new();
    for class in ["Bag", "Coat"] {
        for e in std::fs::read_dir(tmp.path().join(class)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            paths.push(Some(format!("{class}/{name}")));
            labels.push(Some(class.to_string()));
        }
    }
    let manifest = tmp.path().join("labels.parquet");
    write_table(
        &manifest,
        vec![
            OutColumn::Str("path".into(), paths),
            OutColumn::Str("label".into(), labels),
        ],
    )
    .unwrap();
    let before = std::fs::read(&manifest).unwrap();
    let out = labelscope()
        .arg("embed")
        .arg(&manifest)
        .arg("--model")
        .arg(common::repo().join("assets/models/fashion_cnn.json"))
        .arg("--out")
        .arg(&manifest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("refusing to write"), "{stderr}");
    assert!(
        !stderr.contains("predicted"),
        "refused before running: {stderr}"
    );
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
}

/// On default settings (the bundled CNN, no embedder) the near-copy check finds at least 8 of
/// the sample's 12 injected copies (shifted, cropped, mirrored, re-encoded) and flags at most
/// 1% of the 1,200 other images: the CNN's neighbours propose, the pixels confirm.
#[test]
fn default_settings_find_eight_of_the_twelve_copies_and_flag_under_one_percent() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 1000);
    let repo = common::repo();
    let model = repo.join("assets/models/fashion_cnn.json");
    let stdout = common::labelscope_ok(&[
        "issues".as_ref(),
        tmp.path().as_os_str(),
        "--model".as_ref(),
        model.as_os_str(),
        "--kinds".as_ref(),
        "near_duplicate".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&stdout).unwrap();
    let injections =
        std::fs::read_to_string(repo.join("sample_data/fashion_injections.csv")).unwrap();
    // path -> the original it copies
    let copies: std::collections::BTreeMap<String, String> = injections
        .lines()
        .filter(|l| l.contains(",near_copy,"))
        .map(|l| {
            let path = l.split(',').next().unwrap().to_string();
            let original = l.rsplit("a near copy of ").next().unwrap().trim();
            (path, original.trim_matches('"').to_string())
        })
        .collect();
    assert_eq!(copies.len(), 12);
    let mut found = 0;
    let mut others = Vec::new();
    for r in &rows {
        let path = r["path"].as_str().unwrap();
        let detail = r["detail"].as_str().unwrap();
        match copies.get(path) {
            Some(original) => {
                assert!(detail.contains(original.as_str()), "{path}: {detail}");
                found += 1;
            }
            None => others.push(format!("{path}: {detail}")),
        }
    }
    assert!(found >= 8, "{found} of 12 copies found");
    assert!(
        others.len() <= 12,
        "{} others flagged: {others:#?}",
        others.len()
    );
    // A shifted copy is confirmed by its pixels, and the finding says so.
    assert!(
        rows.iter()
            .any(|r| r["path"] == "T-shirt_top/test_03303_shifted.png"
                && r["detail"]
                    .as_str()
                    .unwrap()
                    .contains("pixels match shifted")),
        "{rows:?}"
    );
}
