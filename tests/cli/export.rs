//! Export: stratified, group-aware, deterministic splits; edits applied; safe names; refusal to
//! write into the source; no partial export after a kill; every format read back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use labelscope::dataset::{OpenOptions, open_dataset};
use labelscope::table::read_table;

fn labelscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
}

fn run_ok(args: &[&str]) -> String {
    let out = labelscope().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `root`, relative path -> bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Counts of (split, label) in a manifest.
fn manifest_counts(file: &Path) -> BTreeMap<(String, String), usize> {
    let t = read_table(file).unwrap();
    let split = t.column("split").unwrap();
    let label = t.column("label").unwrap();
    let mut c = BTreeMap::new();
    for (s, l) in split.iter().zip(label) {
        *c.entry((s.clone().unwrap(), l.clone().unwrap()))
            .or_insert(0) += 1;
    }
    c
}

#[test]
fn export_applies_edits_stratifies_and_every_format_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    common::fashion_subset(&data, 20);
    let first = |class: &str| {
        let mut files: Vec<String> = std::fs::read_dir(data.join(class))
            .unwrap()
            .map(|e| format!("{class}/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        files.sort();
        files.remove(0)
    };
    let (gone, moved) = (first("Coat"), first("Shirt"));
    run_ok(&[
        "edit",
        s(&data),
        "exclude",
        &gone,
        "--reason",
        "watermark/text",
    ]);
    run_ok(&["edit", s(&data), "relabel", &moved, "T-shirt/top"]);
    let out = tmp.path().join("out");
    let model = common::repo().join("assets/models/fashion_cnn.onnx");
    run_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--format",
        "imagefolder,csv,parquet,hf,vlm-jsonl",
        "--model",
        s(&model),
        "--backend",
        "tract",
        "--probs",
    ]);
    // Parquet and CSV agree; 199 samples (one excluded), 10% of each class in val (2 of 20,
    // and 2 of the 19 left in Coat; Shirt lost one to T-shirt/top, which gained it).
    let counts = manifest_counts(&out.join("manifest.parquet"));
    assert_eq!(counts, manifest_counts(&out.join("manifest.csv")));
    assert_eq!(counts.values().sum::<usize>(), 199);
    let val = |l: &str| counts.get(&("val".into(), l.into())).copied().unwrap_or(0);
    let train = |l: &str| {
        counts
            .get(&("train".into(), l.into()))
            .copied()
            .unwrap_or(0)
    };
    for (label, n) in [
        ("Coat", 19),
        ("Shirt", 19),
        ("T-shirt/top", 21),
        ("Bag", 20),
    ] {
        let want = (n as f64 * 0.1).round() as usize;
        assert_eq!(val(label), want, "{label}");
        assert_eq!(train(label) + val(label), n, "{label}");
    }
    // The manifest carries the edit, the original label, predictions and soft labels.
    let t = read_table(&out.join("manifest.parquet")).unwrap();
    let source = t.column("source").unwrap();
    let row = source
        .iter()
        .position(|p| p.as_deref().is_some_and(|p| p.ends_with(&moved)))
        .unwrap();
    assert_eq!(
        t.column("label").unwrap()[row].as_deref(),
        Some("T-shirt/top")
    );
    assert_eq!(
        t.column("original_label").unwrap()[row].as_deref(),
        Some("Shirt")
    );
    assert_eq!(t.column("edited").unwrap()[row].as_deref(), Some("true"));
    assert!(t.column("pred").unwrap()[row].is_some());
    assert!(t.column("prob_Ankle boot").is_some());
    assert!(!source.iter().any(|p| {
        p.as_deref()
            .is_some_and(|p| p.ends_with("Coat/test_00004.png"))
    }));
    // The ImageFolder reopens as a dataset with the same counts and the cleaned labels.
    let reopened = open_dataset(&out, &OpenOptions::default()).unwrap();
    assert_eq!(reopened.samples.len(), 199);
    let mut again = BTreeMap::new();
    for smp in &reopened.samples {
        let split = smp.split.clone().unwrap();
        *again
            .entry((split, reopened.class_name(smp.label).to_string()))
            .or_insert(0) += 1;
    }
    assert_eq!(again, counts);
    assert!(
        out.join("train/T-shirt_top").is_dir(),
        "safe folder for T-shirt/top"
    );
    // HF metadata and the VLM JSONL parse, one record per sample, labels from the edit.
    let hf_lines: usize = ["train", "val"]
        .iter()
        .map(|sp| {
            std::fs::read_to_string(out.join("hf").join(sp).join("metadata.jsonl"))
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    assert_eq!(hf_lines, 199);
    let mut vlm = 0;
    for sp in ["train", "val"] {
        for line in std::fs::read_to_string(out.join(format!("vlm_{sp}.jsonl")))
            .unwrap()
            .lines()
        {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let answer = v["messages"][2]["content"][0]["text"].as_str().unwrap();
            let label: serde_json::Value = serde_json::from_str(answer).unwrap();
            let image = v["images"][0].as_str().unwrap();
            assert!(out.join(image).is_file(), "{image}");
            assert_eq!(v["messages"][1]["content"][0]["type"], "image");
            assert!(
                v["messages"][0]["content"][0]["text"]
                    .as_str()
                    .unwrap()
                    .contains("Ankle boot")
            );
            let folder = image.split('/').nth(1).unwrap();
            let want = if folder == "T-shirt_top" {
                "T-shirt/top"
            } else {
                folder
            };
            assert_eq!(label["label"], want);
            vlm += 1;
        }
    }
    assert_eq!(vlm, 199);
    // The report's counts match; the sources are untouched.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["totals"]["train"].as_u64().unwrap() + report["totals"]["val"].as_u64().unwrap(),
        199
    );
    assert_eq!(report["exclusions"]["by_reason"]["watermark/text"], 1);
    // report.md names the excluded file, not only a count.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("## Excluded samples") && md.contains(&format!("| {gone} | watermark/text |")),
        "{md}"
    );
    assert_eq!(report["relabels"][0]["to"], "T-shirt/top");
    assert!(report["metrics"]["after_edits"]["accuracy"].is_number());
    assert!(data.join(&gone).is_file() && data.join(&moved).is_file());
}

/// A dataset with exact and resized copies across classes, and unsafe label names.
fn tricky_dataset(root: &Path) -> Vec<(String, String)> {
    let photos = common::repo().join("sample_data/photos");
    let mut rows = Vec::new();
    let labels = ["../evil", "a/b", "a_b", "con\u{7}trol"];
    for k in 0..40 {
        let label = labels[k % labels.len()];
        let name = format!("img{k:02}.png");
        let mut img = image::RgbImage::new(32, 32);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let v = ((x * (k as u32 + 3) + y * (k as u32 * 7 + 1)) % 251) as u8;
            *p = image::Rgb([v, v.wrapping_mul(3), (k * 6) as u8]);
        }
        img.save(root.join(&name)).unwrap();
        rows.push((name, label.to_string()));
    }
    // An exact copy and a resized, re-encoded copy of the chelsea photo under two labels.
    let chelsea = image::open(photos.join("chelsea.png")).unwrap();
    chelsea.save(root.join("cat1.png")).unwrap();
    std::fs::copy(root.join("cat1.png"), root.join("cat2.png")).unwrap();
    chelsea
        .resize(200, 200, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .save(root.join("cat3.jpg"))
        .unwrap();
    for (f, l) in [
        ("cat1.png", "a/b"),
        ("cat2.png", "a/b"),
        ("cat3.jpg", "../evil"),
    ] {
        rows.push((f.into(), l.into()));
    }
    let mut csv = String::from("path,label\n");
    for (p, l) in &rows {
        csv += &format!("{p},\"{l}\"\n");
    }
    std::fs::write(root.join("labels.csv"), csv).unwrap();
    rows
}

#[test]
fn duplicates_stay_together_names_are_safe_and_output_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    tricky_dataset(&data);
    let manifest = data.join("labels.csv");
    let export = |out: &PathBuf, seed: &str, threads: &str| {
        let o = labelscope()
            .args([
                "export",
                s(&manifest),
                "--out",
                s(out),
                "--val-fraction",
                "0.3",
                "--seed",
                seed,
                "--format",
                "imagefolder,csv,parquet,hf,vlm-jsonl",
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    export(&a, "42", "1");
    export(&b, "42", "2");
    assert_eq!(
        tree(&a),
        tree(&b),
        "same seed, other thread count: identical bytes"
    );
    export(&c, "7", "2");
    assert_ne!(
        tree(&a)["manifest.csv"],
        tree(&c)["manifest.csv"],
        "the seed matters"
    );
    for out in [&a, &c] {
        let t = read_table(&out.join("manifest.csv")).unwrap();
        let split_of = |f: &str| {
            let k = t
                .column("source")
                .unwrap()
                .iter()
                .position(|p| p.as_deref().unwrap().ends_with(f))
                .unwrap();
            t.column("split").unwrap()[k].clone().unwrap()
        };
        assert_eq!(split_of("cat1.png"), split_of("cat2.png"));
        assert_eq!(
            split_of("cat1.png"),
            split_of("cat3.jpg"),
            "the resized copy too"
        );
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["duplicates"]["groups"].as_array().unwrap().len(), 1);
    }
    // Class folders are single safe path components, distinct, and mapped in classes.json.
    let classes: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(a.join("classes.json")).unwrap()).unwrap();
    assert_eq!(classes.len(), 4);
    let folders: std::collections::BTreeSet<&str> = classes
        .iter()
        .map(|c| c["folder"].as_str().unwrap())
        .collect();
    assert_eq!(folders.len(), 4, "collisions resolved: {classes:?}");
    for f in folders {
        assert!(labelscope::dataset::names::is_safe_file_name(f), "{f:?}");
        assert!(a.join("train").join(f).is_dir());
    }
    // Reopened, the export shows the original (unsafe) labels again.
    let reopened = open_dataset(&a, &OpenOptions::default()).unwrap();
    let mut labels = reopened.classes.clone();
    labels.sort();
    assert_eq!(labels, ["../evil", "a/b", "a_b", "con\u{7}trol"]);
    assert!(!tmp.path().join("evil").exists());
}

#[test]
fn export_refuses_the_source_and_non_empty_targets_and_force_replaces() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    common::fashion_subset(&data, 3);
    for (out, want) in [
        (data.join("export"), "inside"),
        (tmp.path().to_path_buf(), "contains the source"),
    ] {
        let o = labelscope()
            .args(["export", s(&data), "--out", s(&out), "--force"])
            .output()
            .unwrap();
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{err}");
    }
    assert!(!data.join("export").exists());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let o = labelscope()
        .args(["export", s(&data), "--out", s(&out)])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    assert!(out.join("keep.txt").is_file(), "nothing touched");
    // --force replaces only an earlier export: the user's file stays, and the refusal names it.
    let o = labelscope()
        .args(["export", s(&data), "--out", s(&out), "--force"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("keep.txt"));
    assert!(out.join("keep.txt").is_file(), "nothing touched");
    std::fs::remove_file(out.join("keep.txt")).unwrap();
    run_ok(&["export", s(&data), "--out", s(&out)]);
    std::fs::write(
        out.join("manifest.csv"),
        "edited by hand, still the export's file",
    )
    .unwrap();
    run_ok(&["export", s(&data), "--out", s(&out), "--force"]);
    let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert_ne!(
        manifest, "edited by hand, still the export's file",
        "replaced"
    );
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[cfg(unix)]
#[test]
fn killing_an_export_half_way_leaves_no_target() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    common::fashion_subset(&data, 10);
    let out = tmp.path().join("out");
    let mut child = labelscope()
        .args([
            "export",
            s(&data),
            "--out",
            s(&out),
            "--pace-ms",
            "20",
            "--no-duplicates",
        ])
        .env("RAYON_NUM_THREADS", "1")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // 100 images at 20 ms each: wait until the staging folder fills, then kill.
    let staging = || {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".out.labelscope-partial-")
            })
            .map(|e| e.path())
    };
    let start = std::time::Instant::now();
    loop {
        let files = staging().map_or(0, |p| {
            walkdir::WalkDir::new(p)
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .count()
        });
        if files >= 10 {
            break;
        }
        assert!(start.elapsed().as_secs() < 60, "export never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "no target after a kill half-way");
    // The next export cleans the stale staging folder and completes.
    run_ok(&["export", s(&data), "--out", s(&out), "--no-duplicates"]);
    assert!(staging().is_none());
    assert_eq!(
        manifest_counts(&out.join("manifest.csv"))
            .values()
            .sum::<usize>(),
        100
    );
}

#[test]
fn balance_weights_writes_a_weight_column_and_oversample_only_touches_train() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::cat_dog(&data, 12); // 2 cats, 10 dogs
    let out = tmp.path().join("weights");
    run_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--format",
        "csv",
        "--val-fraction",
        "0",
        "--balance",
        "weights",
    ]);
    // scikit-learn's "balanced": 12 / (2 x 2) for cat, 12 / (2 x 10) for dog.
    let t = read_table(&out.join("manifest.csv")).unwrap();
    let labels = t.column("label").unwrap();
    let weights = t.column("weight").unwrap();
    for (l, w) in labels.iter().zip(weights) {
        let want = if l.as_deref() == Some("cat") {
            3.0
        } else {
            0.6
        };
        let got: f64 = w.as_deref().unwrap().parse().unwrap();
        assert!((got - want).abs() < 1e-12, "{l:?}: {got}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["classes"][0]["weight"].as_f64(), Some(3.0));
    assert!(out.join("class_weights.json").is_file());

    let out = tmp.path().join("oversampled");
    run_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--format",
        "csv",
        "--val-fraction",
        "0.25",
        "--balance",
        "oversample",
        "--no-duplicates", // solid squares: all one pHash group
    ]);
    let counts = manifest_counts(&out.join("manifest.csv"));
    let train = |l: &str| {
        counts
            .get(&("train".into(), l.into()))
            .copied()
            .unwrap_or(0)
    };
    let val = |l: &str| counts.get(&("val".into(), l.into())).copied().unwrap_or(0);
    assert_eq!(train("cat"), train("dog"), "{counts:?}");
    assert!(val("cat") + val("dog") > 0, "{counts:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let copies = report["classes"][0]["oversampled_copies"].as_u64().unwrap() as usize;
    // Every copy is in train: the originals (2 cats, 10 dogs) are all that validation holds.
    assert_eq!(train("cat") + val("cat") - copies, 2, "{report}");
    assert_eq!(train("dog") + val("dog"), 10, "{counts:?}");
    assert_eq!(report["classes"][1]["oversampled_copies"], 0);
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .unwrap()
            .contains("oversampled copies")
    );
}

#[test]
fn soft_labels_are_the_teachers_probabilities_at_the_distillation_temperature() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 3);
    let teacher = common::repo().join("assets/models/fashion_cnn.json");
    let preds = tmp.path().join("preds.csv");
    run_ok(&[
        "predict",
        s(&data),
        "--model",
        s(&teacher),
        "--out",
        s(&preds),
    ]);
    let out = tmp.path().join("out");
    run_ok(&[
        "export",
        s(&data),
        "--out",
        s(&out),
        "--format",
        "csv,parquet,vlm-jsonl",
        "--val-fraction",
        "0",
        "--soft-labels",
        s(&teacher),
        "--temperature",
        "2",
    ]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["soft_labels"]["temperature"].as_f64(), Some(2.0));
    assert_eq!(
        report["soft_labels"]["distillation_temperature"].as_f64(),
        Some(2.0)
    );
    // The teacher's probabilities p, at T = 2: sqrt(p) renormalised.
    let p = read_table(&preds).unwrap();
    let m = read_table(&out.join("manifest.csv")).unwrap();
    let classes: Vec<String> = m
        .names
        .iter()
        .filter_map(|n| n.strip_prefix("prob_").map(str::to_string))
        .collect();
    assert_eq!(classes.len(), 10);
    let cell = |t: &labelscope::table::StringTable, col: &str, row: usize| -> f64 {
        t.column(col).unwrap()[row]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap()
    };
    let source = m.column("source").unwrap();
    let p_path = p.column("path").unwrap();
    for (row, src) in source.iter().enumerate() {
        let src = src.as_deref().unwrap();
        let k = p_path
            .iter()
            .position(|q| src.ends_with(q.as_deref().unwrap()))
            .unwrap();
        let roots: Vec<f64> = classes
            .iter()
            .map(|c| cell(&p, &format!("prob_{c}"), k).sqrt())
            .collect();
        let z: f64 = roots.iter().sum();
        for (c, r) in classes.iter().zip(&roots) {
            let got = cell(&m, &format!("prob_{c}"), row);
            assert!((got - r / z).abs() < 1e-5, "{src} {c}: {got} vs {}", r / z);
        }
    }
    // The same numbers as a list in Parquet and the VLM JSONL.
    use polars::prelude::SerReader;
    let file = std::fs::File::open(out.join("manifest.parquet")).unwrap();
    let df = polars::prelude::ParquetReader::new(file).finish().unwrap();
    assert!(df.column("soft_labels").is_ok());
    let line = std::fs::read_to_string(out.join("vlm_train.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(first["soft_labels"].as_array().unwrap().len(), 10);
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .unwrap()
            .contains("## Soft labels")
    );
}
