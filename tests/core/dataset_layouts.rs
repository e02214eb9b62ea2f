//! Each dataset layout on generated fixtures, with bad rows and files in the scan report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{png, write};
use labelscope::dataset::{Layout, OpenOptions, ScanIssueKind, detect_layout, open_dataset};

fn ids(ds: &labelscope::dataset::Dataset) -> Vec<String> {
    ds.samples.iter().map(|s| s.id.0.clone()).collect()
}

#[test]
fn image_folder_reports_bad_files_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("cat/a.png"), [1, 2, 3]);
    png(&r.join("cat/nested/b.PNG"), [1, 2, 3]);
    png(&r.join("dog/c.png"), [9, 9, 9]);
    write(&r.join("dog/empty.jpg"), "");
    write(&r.join("dog/notes.txt"), "not an image");
    std::fs::create_dir_all(r.join("bird")).unwrap();
    png(&r.join("loose.png"), [0, 0, 0]);
    png(&r.join(".labelscope/thumbs/x.png"), [0, 0, 0]);
    let ds = open_dataset(r, &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::ImageFolder);
    assert_eq!(ds.classes, vec!["bird", "cat", "dog"]);
    assert_eq!(
        ids(&ds),
        vec![
            "cat/a.png",
            "cat/nested/b.PNG",
            "dog/c.png",
            "dog/empty.jpg"
        ]
    );
    assert_eq!(ds.class_counts(), vec![0, 2, 2]);
    assert_eq!(ds.report.count(ScanIssueKind::EmptyClass), 1);
    assert_eq!(ds.report.count(ScanIssueKind::EmptyFile), 1);
    assert_eq!(ds.report.count(ScanIssueKind::MissingLabel), 1);
    let empty = ds
        .report
        .issues
        .iter()
        .find(|i| i.kind == ScanIssueKind::EmptyFile)
        .unwrap();
    assert!(empty.path.ends_with("dog/empty.jpg"));
}

#[test]
fn split_folders_keep_the_split_column() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("train/cat/1.png"), [1, 1, 1]);
    png(&r.join("train/dog/2.png"), [2, 2, 2]);
    png(&r.join("Validation/dog/3.png"), [3, 3, 3]);
    png(&r.join("test/cat/4.png"), [4, 4, 4]);
    png(&r.join("extra/cat/5.png"), [5, 5, 5]);
    let ds = open_dataset(r, &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::SplitFolder);
    let splits: Vec<_> = ds
        .samples
        .iter()
        .map(|s| (s.id.0.as_str(), s.split.as_deref().unwrap()))
        .collect();
    assert_eq!(
        splits,
        vec![
            ("Validation/dog/3.png", "val"),
            ("test/cat/4.png", "test"),
            ("train/cat/1.png", "train"),
            ("train/dog/2.png", "train")
        ]
    );
    assert_eq!(
        ds.report.count(ScanIssueKind::MissingLabel),
        1,
        "{:?}",
        ds.report
    );
}

#[test]
fn csv_manifest_with_missing_duplicate_and_unknown_rows() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("img/a.png"), [1, 1, 1]);
    png(&r.join("img/b.png"), [1, 1, 1]);
    png(&r.join("img/c.png"), [1, 1, 1]);
    let outside = tempfile::tempdir().unwrap();
    png(&outside.path().join("abs.png"), [1, 1, 1]);
    write(&r.join("classes.json"), r#"["cat","dog"]"#);
    let abs = outside.path().join("abs.png");
    write(
        &r.join("labels.csv"),
        &format!(
            "path,label,split\nimg/a.png,cat,train\n./img/b.png,dog,val\nimg/a.png,dog,train\nimg/missing.png,cat,train\nimg/c.png,cta,train\nimg/c.png,,train\n{},dog,\n",
            abs.display()
        ),
    );
    let ds = open_dataset(&r.join("labels.csv"), &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::Manifest);
    assert_eq!(ds.classes, vec!["cat", "dog"]);
    let mut expected = vec![
        "img/a.png".to_string(),
        "img/b.png".to_string(),
        abs.display().to_string(),
    ];
    expected.sort();
    assert_eq!(ids(&ds), expected);
    assert_eq!(ds.report.count(ScanIssueKind::MissingFile), 1);
    assert_eq!(ds.report.count(ScanIssueKind::DuplicatePath), 1);
    assert_eq!(ds.report.count(ScanIssueKind::UnknownLabel), 1);
    assert_eq!(ds.report.count(ScanIssueKind::MissingLabel), 1);
    let a = &ds.samples[ds.index_of("img/a.png").unwrap()];
    assert_eq!(
        (ds.class_name(a.label), a.split.as_deref()),
        ("cat", Some("train"))
    );
    let missing = ds
        .report
        .issues
        .iter()
        .find(|i| i.kind == ScanIssueKind::MissingFile)
        .unwrap();
    assert!(missing.path.ends_with("img/missing.png"));
}

#[test]
fn parquet_manifest_reads_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("x/1.png"), [1, 1, 1]);
    png(&r.join("x/2.png"), [1, 1, 1]);
    labelscope::table::write_table(
        &r.join("m.parquet"),
        vec![
            labelscope::table::OutColumn::Str(
                "path".into(),
                vec![Some("x/1.png".into()), Some("x/2.png".into())],
            ),
            labelscope::table::OutColumn::Str(
                "label".into(),
                vec![Some("T-shirt/top".into()), Some("Bag".into())],
            ),
        ],
    )
    .unwrap();
    let ds = open_dataset(&r.join("m.parquet"), &OpenOptions::default()).unwrap();
    assert_eq!(ds.classes, vec!["Bag", "T-shirt/top"]);
    assert_eq!(ds.samples.len(), 2);
}

#[test]
fn labels_from_file_names_with_a_regex() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("train/cat.1.jpg.png"), [1, 1, 1]);
    png(&r.join("train/dog.2.png"), [1, 1, 1]);
    png(&r.join("train/README.png"), [1, 1, 1]);
    let opts = OpenOptions {
        label_from_filename: Some(r"^(cat|dog)\.".into()),
        ..Default::default()
    };
    assert_eq!(detect_layout(r, &opts).unwrap(), Layout::FileName);
    let ds = open_dataset(r, &opts).unwrap();
    assert_eq!(ds.classes, vec!["cat", "dog"]);
    assert_eq!(ds.samples[0].split.as_deref(), Some("train"));
    assert_eq!(ds.report.count(ScanIssueKind::MissingLabel), 1);
    let bad = OpenOptions {
        label_from_filename: Some("no-group".into()),
        ..Default::default()
    };
    assert!(
        open_dataset(r, &bad)
            .unwrap_err()
            .to_string()
            .contains("capture group")
    );
}

#[test]
fn hugging_face_imagefolder_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("train/a.png"), [1, 1, 1]);
    png(&r.join("train/b.png"), [1, 1, 1]);
    png(&r.join("test/c.png"), [1, 1, 1]);
    write(
        &r.join("train/metadata.jsonl"),
        "{\"file_name\": \"a.png\", \"label\": \"cat\"}\n{\"file_name\": \"b.png\", \"label\": 1}\n{broken\n{\"file_name\": \"gone.png\", \"label\": \"cat\"}\n",
    );
    write(&r.join("test/metadata.csv"), "file_name,label\nc.png,cat\n");
    let ds = open_dataset(r, &OpenOptions::default()).unwrap();
    assert_eq!(ds.layout, Layout::HfImageFolder);
    assert_eq!(ids(&ds), vec!["test/c.png", "train/a.png", "train/b.png"]);
    assert_eq!(ds.classes, vec!["1", "cat"]);
    assert_eq!(ds.samples[0].split.as_deref(), Some("test"));
    assert_eq!(ds.report.count(ScanIssueKind::BadRow), 1);
    assert_eq!(ds.report.count(ScanIssueKind::MissingFile), 1);
}

#[test]
fn unsafe_class_names_are_labels_not_paths() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    png(&r.join("T-shirt_top/1.png"), [1, 1, 1]);
    png(&r.join("dotdot/2.png"), [1, 1, 1]);
    write(
        &r.join("classes.json"),
        r#"[{"folder": "T-shirt_top", "label": "T-shirt/top"}, {"folder": "dotdot", "label": "../up"}]"#,
    );
    let ds = open_dataset(r, &OpenOptions::default()).unwrap();
    assert_eq!(ds.classes, vec!["T-shirt/top", "../up"]);
    // Ids and paths come from the files on disk, never from labels.
    assert_eq!(ids(&ds), vec!["T-shirt_top/1.png", "dotdot/2.png"]);
    assert!(ds.samples.iter().all(|s| s.path.starts_with(r)));
}

#[test]
fn bundled_fashion_sample_opens_with_its_class_names() {
    let ds = open_dataset(
        &common::repo().join("sample_data/fashion"),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(ds.samples.len(), 1212);
    assert_eq!(ds.classes.len(), 10);
    assert_eq!(ds.classes[0], "T-shirt/top");
    assert!(ds.report.is_empty(), "{:?}", ds.report);
}

#[test]
fn a_missing_dataset_is_an_error_naming_it() {
    let err = open_dataset(
        std::path::Path::new("/no/such/place"),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/no/such/place"));
}
