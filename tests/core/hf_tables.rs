//! Hugging Face datasets as downloaded (Parquet shards, `save_to_disk` Arrow files), read
//! against what the real `datasets` library reads from the same files
//! (`scripts/make_hf_fixtures.py` -> `tests/fixtures/hf/reference.json`), curated and exported
//! back as `hf-parquet`, which `datasets` reads again (when it is installed; CI requires it).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::{Path, PathBuf};

use labelscope::dataset::image_io::{decode_image, read_image_bytes};
use labelscope::dataset::{Dataset, Layout, OpenOptions, ScanIssueKind, open_dataset};
use sha2::Digest;

fn fixtures() -> PathBuf {
    common::repo().join("tests/fixtures/hf")
}

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Samples of `split` in table order (ids sort by file, then row).
fn split_rows<'a>(ds: &'a Dataset, split: &str) -> Vec<&'a labelscope::dataset::Sample> {
    ds.samples
        .iter()
        .filter(|s| s.split.as_deref() == Some(split))
        .collect()
}

/// Every row of every split has the label and the bytes `datasets` read (a row with no bytes
/// is read from its `path`, relative to the dataset folder).
fn assert_matches_reference(ds: &Dataset, root: &Path) {
    let reference = reference();
    let names: Vec<String> = serde_json::from_value(reference["names"].clone()).unwrap();
    assert_eq!(ds.classes, names);
    for (split, rows) in reference["splits"].as_object().unwrap() {
        let ours = split_rows(ds, split);
        let rows = rows.as_array().unwrap();
        assert_eq!(ours.len(), rows.len(), "{split}");
        for (s, r) in ours.iter().zip(rows) {
            assert_eq!(
                ds.class_name(s.label),
                r["label"].as_str().unwrap(),
                "{}",
                s.id
            );
            let bytes = read_image_bytes(&s.path).unwrap();
            let want = match r["sha256"].as_str() {
                Some(h) => h.to_string(),
                None => sha256(&std::fs::read(root.join(r["path"].as_str().unwrap())).unwrap()),
            };
            assert_eq!(sha256(&bytes), want, "{}", s.id);
        }
    }
}

#[test]
fn hub_parquet_shards_read_as_datasets_reads_them() {
    let hub = fixtures().join("hub");
    let ds = open_dataset(&hub, &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::HfParquet);
    assert!(ds.report.issues.is_empty(), "{:?}", ds.report.issues);
    assert_matches_reference(&ds, &hub);
    // Ids are the shard and row; the split comes from the shard's name.
    let first = &ds.samples[0];
    assert_eq!(first.id.0, "data/test-00000-of-00001.parquet/000000");
    assert_eq!(first.split.as_deref(), Some("test"));
    // A row decodes from its embedded bytes (14x10 PNG of row 0 of the train shard) ...
    let train0 = ds
        .index_of("data/train-00000-of-00002.parquet/000000")
        .unwrap();
    let img = decode_image(&ds.samples[train0].path).unwrap();
    assert_eq!((img.width(), img.height()), (12, 10));
    // ... a row whose bytes are no image fails with the file and row in the message ...
    let broken = ds
        .index_of("data/train-00000-of-00002.parquet/000005")
        .unwrap();
    let err = decode_image(&ds.samples[broken].path).unwrap_err();
    assert!(
        err.to_string()
            .contains("train-00000-of-00002.parquet/000005"),
        "{err}"
    );
    // ... and the row with a path only is read from that file.
    let extra = ds
        .index_of("data/train-00001-of-00002.parquet/000003")
        .unwrap();
    assert_eq!(decode_image(&ds.samples[extra].path).unwrap().width(), 9);
    // A single shard opens on its own.
    let one = open_dataset(
        &hub.join("data/test-00000-of-00001.parquet"),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(one.layout, Layout::HfParquet);
    assert_eq!(one.samples.len(), 8);
}

#[test]
fn save_to_disk_arrow_files_read_the_same() {
    let saved = fixtures().join("saved");
    let ds = open_dataset(&saved, &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::HfParquet);
    assert!(ds.report.issues.is_empty(), "{:?}", ds.report.issues);
    // save_to_disk embedded the path-only row's file; the rest is byte for byte the same.
    assert_matches_reference(&ds, &fixtures().join("hub"));
    assert_eq!(split_rows(&ds, "train").len(), 28);
}

#[test]
fn the_datasets_cache_reads_the_same() {
    // `load_dataset` turned the shards into `parquet-train.arrow` / `parquet-test.arrow` in its
    // cache; names come from the Arrow schema, splits from the file names.
    let ds = open_dataset(&fixtures().join("cache"), &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::HfParquet);
    let reference = reference();
    for (split, rows) in reference["splits"].as_object().unwrap() {
        let ours = split_rows(&ds, split);
        assert_eq!(ours.len(), rows.as_array().unwrap().len(), "{split}");
        for (s, r) in ours.iter().zip(rows.as_array().unwrap()) {
            assert_eq!(ds.class_name(s.label), r["label"].as_str().unwrap());
            // The path-only row still names `images/extra.png`, which the cache lacks.
            if let Some(h) = r["sha256"].as_str() {
                assert_eq!(sha256(&read_image_bytes(&s.path).unwrap()), h, "{}", s.id);
            }
        }
    }
}

#[test]
fn bad_shards_rows_and_truncated_files_are_reported_and_the_rest_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("bad/data");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(fixtures().join("bad/data")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
    }
    let good = std::fs::read(data.join("train-00000-of-00003.parquet")).unwrap();
    std::fs::write(
        data.join("train-00003-of-00003.parquet"),
        &good[..good.len() / 2],
    )
    .unwrap();
    let ds = open_dataset(&tmp.path().join("bad"), &OpenOptions::default()).unwrap();
    // 6 good rows, and 5 of the 6 in the shard with an out-of-range label.
    assert_eq!(ds.samples.len(), 11);
    let issue = |kind: ScanIssueKind, file: &str, text: &str| {
        assert!(
            ds.report.issues.iter().any(|i| i.kind == kind
                && i.path.to_string_lossy().contains(file)
                && i.detail.contains(text)),
            "{kind:?} {file} {text}: {:?}",
            ds.report.issues
        )
    };
    issue(
        ScanIssueKind::BadRow,
        "train-00001-of-00003.parquet",
        "found: img, cls",
    );
    issue(
        ScanIssueKind::UnknownLabel,
        "train-00002-of-00003.parquet/000002",
        "label index 7",
    );
    issue(
        ScanIssueKind::Unreadable,
        "train-00003-of-00003.parquet",
        "",
    );
    // Named columns that do not exist: nothing opens, and the error says what was found.
    let opts = OpenOptions {
        columns: labelscope::dataset::hf_tables::TableColumns {
            image: Some("picture".into()),
            label: None,
        },
        ..Default::default()
    };
    let err = open_dataset(&tmp.path().join("bad"), &opts).unwrap_err();
    assert!(err.to_string().contains("no labelled images"), "{err}");
}

/// Every file under `dir/data` and `dir/images` with its bytes.
fn source_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["data", "images"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            out.push((f, bytes));
        }
    }
    out
}

fn run_ok(args: &[&str]) -> String {
    String::from_utf8(common::labelscope_ok(args)).unwrap()
}

/// What `scripts/read_hf_export.py` (the real `datasets`) reads of the export `out`, both
/// ways; `None` (with a note) when `datasets` is not installed.
pub(crate) fn read_back_with_datasets(out: &Path, cache: &Path) -> Option<serde_json::Value> {
    let Some(python) = python_with_datasets() else {
        eprintln!("datasets is not installed: skipped reading the export back with it");
        return None;
    };
    let run = std::process::Command::new(python)
        .arg(common::repo().join("scripts/read_hf_export.py"))
        .args([out, cache])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    Some(serde_json::from_slice(&run.stdout).unwrap())
}

/// The venv's Python when it has `datasets`; `LABELSCOPE_REQUIRE_DATASETS=1` (CI) makes its
/// absence a failure.
fn python_with_datasets() -> Option<PathBuf> {
    let python = std::env::var_os("VIRTUAL_ENV")
        .map(|v| PathBuf::from(v).join("bin/python"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"));
    let ok = std::process::Command::new(&python)
        .args(["-c", "import datasets"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("LABELSCOPE_REQUIRE_DATASETS").as_deref() == Ok("1") {
        panic!("LABELSCOPE_REQUIRE_DATASETS=1 but {python:?} cannot import datasets");
    }
    ok.then_some(python)
}

#[test]
fn curated_hub_dataset_exports_as_hub_parquet_that_datasets_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = tmp.path().join("hub");
    common::copy_hf_hub(&hub);
    let h = hub.to_str().unwrap();
    let sources_before = source_bytes(&hub);
    let relabeled = "data/train-00000-of-00002.parquet/000000";
    let excluded = "data/train-00000-of-00002.parquet/000001";
    run_ok(&["edit", h, "relabel", relabeled, "bird"]);
    run_ok(&["edit", h, "exclude", excluded, "--reason", "watermark/text"]);
    let out = tmp.path().join("out");
    run_ok(&[
        "export",
        h,
        "--out",
        out.to_str().unwrap(),
        "--format",
        "hf-parquet",
        "--keep-splits",
    ]);
    // Exports never go into, or onto, the tables the images live in.
    for bad in [
        hub.join("data/train-00000-of-00002.parquet"),
        hub.join("data/train-00000-of-00002.parquet/out"),
        hub.join("data/out"),
    ] {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
            .args([
                "export",
                h,
                "--out",
                bad.to_str().unwrap(),
                "--format",
                "hf-parquet",
            ])
            .output()
            .unwrap();
        assert!(!run.status.success(), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("refusing"),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    assert_eq!(source_bytes(&hub), sources_before);
    let source = open_dataset(&hub, &OpenOptions::default()).unwrap();
    let back = open_dataset(&out, &OpenOptions::default()).unwrap();
    assert_eq!(back.layout, Layout::HfParquet);
    assert_eq!(back.classes, source.classes);
    // 36 rows, less the excluded one and the one whose bytes are no image.
    assert_eq!(back.samples.len(), 34);
    assert!(out.join("data/train-00000-of-00001.parquet").is_file());
    assert!(out.join("data/test-00000-of-00001.parquet").is_file());
    // The footer metadata is byte for byte what `datasets` wrote into the source shards.
    let footer = |p: &Path| {
        labelscope::table::hf::ParquetShard::open(p)
            .unwrap()
            .huggingface
            .unwrap()
    };
    assert_eq!(
        footer(&out.join("data/train-00000-of-00001.parquet")),
        footer(&hub.join("data/train-00000-of-00002.parquet"))
    );
    // Every exported image is the original's bytes; labels carry the edit.
    let mut expected: std::collections::BTreeMap<String, Vec<(String, String)>> =
        Default::default();
    for s in &source.samples {
        if s.id.0 == excluded || s.id.0 == "data/train-00000-of-00002.parquet/000005" {
            continue;
        }
        let label = if s.id.0 == relabeled {
            "bird".to_string()
        } else {
            source.class_name(s.label).to_string()
        };
        let split = match s.split.as_deref() {
            Some("val") => "validation",
            Some(x) => x,
            None => "train",
        };
        let sha = sha256(&read_image_bytes(&s.path).unwrap());
        expected
            .entry(split.to_string())
            .or_default()
            .push((label, sha));
    }
    let mut got: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    for s in &back.samples {
        got.entry(s.split.clone().unwrap_or_default())
            .or_default()
            .push((
                back.class_name(s.label).to_string(),
                sha256(&read_image_bytes(&s.path).unwrap()),
            ));
    }
    assert_eq!(got, expected);
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(card.contains("          '2': 'bird'"), "{card}");
    assert!(card.contains("    path: data/train-*"), "{card}");
    // The real `datasets` reads it both ways with the same names, rows and bytes.
    let Some(read) = read_back_with_datasets(&out, &tmp.path().join("hf-cache")) else {
        return;
    };
    for way in ["parquet", "folder"] {
        let r = &read[way];
        assert_eq!(r["image_feature"], "Image", "{way}");
        let names: Vec<String> = serde_json::from_value(r["names"].clone()).unwrap();
        assert_eq!(names, source.classes, "{way}");
        let mut theirs: std::collections::BTreeMap<String, Vec<(String, String)>> =
            Default::default();
        for (split, rows) in r["splits"].as_object().unwrap() {
            for row in rows.as_array().unwrap() {
                theirs.entry(split.clone()).or_default().push((
                    row["label"].as_str().unwrap().to_string(),
                    row["sha256"].as_str().unwrap().to_string(),
                ));
            }
        }
        assert_eq!(theirs, expected, "{way}");
    }
}

#[test]
fn an_id_column_keeps_edits_with_their_images_across_resharding() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ds");
    let copy_shards = |from: &str| {
        let data = root.join("data");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        for e in std::fs::read_dir(fixtures().join("ids").join(from).join("data")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    };
    copy_shards("one");
    let ds = open_dataset(&root, &OpenOptions::default()).unwrap();
    let ids: Vec<&str> = ds.samples.iter().map(|s| s.id.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "img-000", "img-001", "img-002", "img-003", "img-004", "img-005"
        ]
    );
    let i = ds.index_of("img-003").unwrap();
    let bytes = read_image_bytes(&ds.samples[i].path).unwrap();
    let r = root.to_str().unwrap();
    run_ok(&["edit", r, "relabel", "img-003", "bird"]);
    // The same rows re-sharded in reverse order: the edit stays with img-003's image.
    copy_shards("resharded");
    let again = open_dataset(&root, &OpenOptions::default()).unwrap();
    let j = again.index_of("img-003").unwrap();
    assert_eq!(read_image_bytes(&again.samples[j].path).unwrap(), bytes);
    assert!(
        again.samples[j]
            .path
            .to_string_lossy()
            .ends_with("train-00000-of-00002.parquet/000002")
    );
    let edits = run_ok(&["edits", r, "--format", "json"]);
    assert!(
        edits.contains("img-003") && edits.contains("bird"),
        "{edits}"
    );
    assert!(!edits.contains("\"applies\": false"), "{edits}");
}
