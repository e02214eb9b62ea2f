//! Soft labels, negatives and class weights in an `hf-parquet` export, read back by the real
//! `datasets` library (when installed; CI requires it) both ways a user loads one.
#![allow(clippy::unwrap_used)]

use crate::common;

use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run_ok(args: &[&str]) -> String {
    String::from_utf8(common::labelscope_ok(args)).unwrap()
}

/// What the manifest says of each image (by the SHA-256 of its bytes): label, split, weight
/// and the `prob_<label>` values.
type ManifestRow = (String, String, Option<f64>, Vec<f64>);

fn manifest_rows(out: &Path) -> (Vec<String>, BTreeMap<String, ManifestRow>) {
    let m = labelscope::table::read_table(&out.join("manifest.csv")).unwrap();
    let classes: Vec<String> = m
        .names
        .iter()
        .filter_map(|n| n.strip_prefix("prob_").map(str::to_string))
        .collect();
    let cell = |col: &str, row: usize| m.column(col).unwrap()[row].clone();
    let mut rows = BTreeMap::new();
    for row in 0..m.column("source").unwrap().len() {
        let sha = sha256(&std::fs::read(cell("source", row).unwrap()).unwrap());
        let probs = classes
            .iter()
            .map(|c| cell(&format!("prob_{c}"), row).unwrap().parse().unwrap())
            .collect();
        let weight = cell("weight", row).and_then(|w| w.parse().ok());
        let r = (
            cell("label", row).unwrap(),
            cell("split", row).unwrap(),
            weight,
            probs,
        );
        assert!(rows.insert(sha, r).is_none(), "every image is distinct");
    }
    (classes, rows)
}

/// A teacher's soft labels and the class weights go into the Hub shards as `soft_labels`
/// (`List(Value("float32"))`) and `weight` (`Value("float32")`, train rows only), equal to
/// the manifest's; the negatives' class is one more `ClassLabel` name and a negative's soft
/// label is all on it.
#[test]
fn hub_shards_carry_soft_labels_negatives_and_weights_that_datasets_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 4);
    let pool = tmp.path().join("pool/odd.png");
    common::png(&pool, [250, 10, 200]);
    let d = data.to_str().unwrap();
    run_ok(&["edit", d, "add", pool.to_str().unwrap(), "--negative"]);
    let marked = std::fs::read_dir(data.join("Bag"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .min()
        .unwrap();
    run_ok(&["edit", d, "negative", &format!("Bag/{marked}")]);
    let out = tmp.path().join("out");
    let teacher = common::repo().join("assets/models/fashion_cnn.json");
    run_ok(&[
        "export",
        d,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "csv,hf-parquet",
        "--soft-labels",
        teacher.to_str().unwrap(),
        "--negatives",
        "background",
        "--balance",
        "weights",
        "--val-fraction",
        "0.25",
    ]);
    let (classes, manifest) = manifest_rows(&out);
    assert_eq!(classes.len(), 11);
    assert_eq!(classes[10], "background");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["soft_labels"]["negatives"]["rows"], 2, "{report}");
    let mut negatives = 0;
    for (label, _, _, probs) in manifest.values() {
        let total: f64 = probs.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "{label}: {probs:?}");
        if label == "background" {
            negatives += 1;
            assert_eq!(
                probs[10], 1.0,
                "a negative's soft label is all on its class"
            );
        } else {
            assert_eq!(probs[10], 0.0, "the teacher never says background");
        }
    }
    assert_eq!(negatives, 2);

    let Some(read) = super::hf_tables::read_back_with_datasets(&out, &tmp.path().join("hf-cache"))
    else {
        return;
    };
    for way in ["parquet", "folder"] {
        let r = &read[way];
        assert_eq!(
            r["features"]["soft_labels"], "List(Value('float32'))",
            "{way}"
        );
        assert_eq!(r["features"]["weight"], "Value('float32')", "{way}");
        assert_eq!(r["names"][10], "background", "{way}");
        let mut seen = 0;
        for (split, rows) in r["splits"].as_object().unwrap() {
            for row in rows.as_array().unwrap() {
                let sha = row["sha256"].as_str().unwrap();
                let (label, m_split, weight, probs) = &manifest[sha];
                assert_eq!(row["label"], label.as_str(), "{way} {sha}");
                let theirs: Vec<f64> = serde_json::from_value(row["soft_labels"].clone()).unwrap();
                assert_eq!(theirs.len(), probs.len());
                for (a, b) in theirs.iter().zip(probs) {
                    // float32 in the shards, printed with 17 digits in the manifest.
                    assert!((a - b).abs() < 1e-6, "{way} {sha}: {theirs:?} vs {probs:?}");
                }
                match (split.as_str(), m_split.as_str()) {
                    ("train", "train") => {
                        let w = row["weight"].as_f64().unwrap();
                        assert!((w - weight.unwrap()).abs() < 1e-4, "{way} {sha}");
                    }
                    ("validation", "val") => assert!(row["weight"].is_null(), "{way} {sha}"),
                    other => panic!("{way} {sha}: split {other:?}"),
                }
                seen += 1;
            }
        }
        assert_eq!(seen, manifest.len(), "{way}");
    }
}
