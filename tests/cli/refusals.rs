//! Refusals and reports that name the real cause (issue "Never lose data, part two", items 6-8):
//! counts of bad edit-file rows, an unclosed quote, spec errors, training on too little, a
//! folder where a cache or the text detector should be, a symlink to a sibling class folder,
//! files without an extension.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::{repo, write};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn stderr_of(args: &[&str], success: bool) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.success(), success, "{args:?}: {err}");
    err
}

/// Ten Fashion images (one per class) at `<t>/ds`.
fn dataset(t: &Path, n: usize) -> std::path::PathBuf {
    let ds = t.join("ds");
    std::fs::create_dir_all(&ds).unwrap();
    common::fashion_subset(&ds, n);
    ds
}

#[test]
fn edit_file_errors_count_the_rows_of_the_file_and_name_an_unclosed_quote() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), 1);
    let bad = tmp.path().join("bad.csv");
    write(
        &bad,
        "path,action,label,reason\nBag/x.png,relabel,Coat,\nBag/y.png,exclude\nCoat/z.png,include,,,,\nBag/w.png,relabel,Nope,\n",
    );
    let err = stderr_of(&["edit", s(&ds), "apply", s(&bad)], false);
    assert!(err.contains("4 of 4 rows"), "{err}");
    let quote = tmp.path().join("quote.csv");
    write(
        &quote,
        "path,action,label,reason\nBag/x.png,relabel,Coat,\n\"Bag/y.png,exclude,,\nCoat/z.png,include,,\n",
    );
    let err = stderr_of(&["edit", s(&ds), "apply", s(&quote)], false);
    assert!(err.contains("a quoted cell is never closed"), "{err}");
    assert!(!err.contains("cells, the header has"), "{err}");
}

#[test]
fn spec_errors_say_what_the_input_needs_and_unknown_label_map_keys_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), 1);
    let mut spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("assets/models/fashion_cnn.json")).unwrap(),
    )
    .unwrap();
    spec["model"] = s(&repo().join("assets/models/fashion_cnn.onnx")).into();
    spec["input"]["mean"] = serde_json::json!([1, 2, 3]);
    write(&tmp.path().join("mean.json"), &spec.to_string());
    let err = stderr_of(
        &[
            "evaluate",
            s(&ds),
            "--model",
            s(&tmp.path().join("mean.json")),
        ],
        false,
    );
    assert!(
        err.contains("needs 1 value (the input has one channel), got 3"),
        "{err}"
    );
    spec["input"]["mean"] = serde_json::json!([72.94]);
    spec["label_map"] = serde_json::json!({"Bag": [8], "Coat": [4], "Nope": [1]});
    write(&tmp.path().join("map.json"), &spec.to_string());
    let err = stderr_of(
        &[
            "evaluate",
            s(&ds),
            "--model",
            s(&tmp.path().join("map.json")),
        ],
        true,
    );
    assert!(err.contains("label_map names `Nope`"), "{err}");
}

#[test]
fn training_on_one_class_or_an_empty_split_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let model = "assets/models/fashion_cnn.json";
    let one = tmp.path().join("one");
    let src = repo().join("sample_data/fashion/Bag");
    let mut files: Vec<_> = std::fs::read_dir(&src).unwrap().flatten().collect();
    files.sort_by_key(|e| e.file_name());
    std::fs::create_dir_all(one.join("Bag")).unwrap();
    for f in files.iter().take(6) {
        std::fs::copy(f.path(), one.join("Bag").join(f.file_name())).unwrap();
    }
    let out = tmp.path().join("head");
    let err = stderr_of(
        &["train", s(&one), "--model", model, "--out", s(&out)],
        false,
    );
    assert!(err.contains("at least two classes"), "{err}");
    assert!(!out.exists());
    let ds = dataset(tmp.path(), 1);
    let err = stderr_of(
        &["train", s(&ds), "--model", model, "--out", s(&out)],
        false,
    );
    assert!(
        err.contains("leaves") && err.contains("0 for validation"),
        "{err}"
    );
    // Every sample excluded.
    let rows: Vec<String> = walkdir::WalkDir::new(&ds)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .map(|e| {
            let rel = e.path().strip_prefix(&ds).unwrap().display().to_string();
            format!("{rel},exclude,,ambiguous")
        })
        .collect();
    let fixes = tmp.path().join("all.csv");
    write(
        &fixes,
        &format!("path,action,label,reason\n{}\n", rows.join("\n")),
    );
    stderr_of(&["edit", s(&ds), "apply", s(&fixes)], true);
    let err = stderr_of(
        &["train", s(&ds), "--model", model, "--out", s(&out)],
        false,
    );
    assert!(err.contains("all 10 samples are excluded"), "{err}");
}

#[test]
fn folders_where_state_files_go_leave_no_temporaries_and_text_still_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), 1);
    // Run once to learn the names, then put folders where the files are.
    let args = [
        "issues",
        s(&ds),
        "--kinds",
        "text,duplicate",
        "--format",
        "csv",
    ];
    stderr_of(&args, true);
    let state = ds.join(".labelscope");
    let mut blocked = Vec::new();
    for e in walkdir::WalkDir::new(&state).into_iter().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().is_file() && (name.ends_with(".onnx") || name == "facts.json") {
            std::fs::remove_file(e.path()).unwrap();
            std::fs::create_dir_all(e.path().join("in-the-way")).unwrap();
            blocked.push(e.path().to_path_buf());
        }
    }
    assert_eq!(blocked.len(), 2, "{blocked:?}");
    for _ in 0..2 {
        stderr_of(&args, true);
    }
    let temporaries: Vec<_> = walkdir::WalkDir::new(&state)
        .into_iter()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .map(|e| e.path().display().to_string())
        .collect();
    assert!(temporaries.is_empty(), "{temporaries:?}");
    for b in blocked {
        assert!(b.join("in-the-way").is_dir(), "the folder is left alone");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_sibling_class_and_files_without_an_extension_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("ds");
    common::cat_dog(&t, 4);
    std::os::unix::fs::symlink(t.join("cat"), t.join("dog/cats")).unwrap();
    std::fs::copy(t.join("dog/3.png"), t.join("dog/noext")).unwrap();
    let out = run(&["scan", s(&t), "--format", "json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("symlink_inside") && text.contains("count twice"),
        "{text}"
    );
    assert!(text.contains("no_extension"), "{text}");
    // Each image counted once: 2 cats and 2 dogs.
    assert_eq!(report["num_samples"], 4, "{text}");
}

/// The PNG chunk CRC (ISO-HDLC CRC-32).
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A PNG header claiming `w`x`h` RGB pixels with one empty data chunk: a decompression bomb's
/// shape without its size.
fn huge_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

#[test]
fn export_leaves_out_truncated_images_and_decompression_bombs_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path(), 2);
    let bag = ds.join("Bag");
    let mut bags: Vec<_> = std::fs::read_dir(&bag)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    bags.sort();
    let whole = std::fs::read(&bags[0]).unwrap();
    std::fs::write(&bags[0], &whole[..whole.len() / 2]).unwrap();
    std::fs::write(bag.join("bomb.png"), huge_png(50_000, 50_000)).unwrap();
    let half = bags[0].file_name().unwrap().to_string_lossy().into_owned();
    for (extra, kept) in [
        (vec![], false),
        (vec!["--no-duplicates"], false),
        (vec!["--keep-unreadable"], true),
    ] {
        let out = tmp.path().join(format!("out-{}", extra.join("")));
        let mut args = vec![
            "export",
            s(&ds),
            "--out",
            s(&out),
            "--val-fraction",
            "0",
            "--format",
            "imagefolder,csv",
        ];
        args.extend(extra.iter().copied());
        let err = stderr_of(&args, true);
        let report = std::fs::read_to_string(out.join("report.md")).unwrap();
        let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
        assert!(
            !manifest.contains("bomb.png"),
            "never exported: over the pixel limit"
        );
        assert!(
            report.contains("bomb.png") && report.contains("too large"),
            "{report}"
        );
        assert_eq!(manifest.contains(&half), kept, "{extra:?}: {err}");
        assert_eq!(report.contains(&half), !kept, "{extra:?}: {report}");
    }
}
