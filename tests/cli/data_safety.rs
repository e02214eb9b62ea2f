//! Data safety: the reproductions of every way an input could be destroyed, overwritten or
//! silently misread (issue "Never destroy the user's data"), each driving the real binary on
//! real files. Export tests hash every source file and everything outside `--out` before and
//! after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{png, repo, write};

fn labelscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> (String, String) {
    let out = labelscope(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn refused(args: &[&str]) -> String {
    let out = labelscope(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail: {stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file (not following symlinks) under `root`: relative path -> BLAKE3 of its bytes, or
/// the link target for symlinks.
fn hashes(root: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let v = if e.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(e.path()).unwrap().display())
            } else {
                blake3::hash(&std::fs::read(e.path()).unwrap())
                    .to_hex()
                    .to_string()
            };
            (rel, v)
        })
        .collect()
}

/// `hashes` of `root` leaving out `skip` (the export target) and state folders.
fn outside(root: &Path, skip: &Path) -> BTreeMap<String, String> {
    hashes(root)
        .into_iter()
        .filter(|(k, _)| {
            !root.join(k).starts_with(skip) && !k.contains(".labelscope") && !k.starts_with('.')
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn export_force_never_replaces_a_folder_holding_source_files() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // A manifest whose second row is an absolute path into another folder.
    png(&t.join("m8/imgs/a.png"), [10, 10, 10]);
    png(&t.join("srcdir2/precious.png"), [20, 20, 20]);
    png(&t.join("srcdir2/other.png"), [30, 30, 30]);
    let precious = t.join("srcdir2/precious.png");
    write(
        &t.join("m8/man.csv"),
        &format!("path,label\nimgs/a.png,Bag\n{},Coat\n", precious.display()),
    );
    let before = hashes(t);
    let err = refused(&[
        "export",
        s(&t.join("m8/man.csv")),
        "--out",
        s(&t.join("srcdir2")),
        "--force",
        "--link",
        "symlink",
        "--val-fraction",
        "0",
    ]);
    assert!(err.contains("refusing"), "{err}");
    // Inside the folder of a source file, too.
    refused(&[
        "export",
        s(&t.join("m8/man.csv")),
        "--out",
        s(&t.join("srcdir2/clean")),
        "--val-fraction",
        "0",
    ]);
    // Around it.
    refused(&[
        "export",
        s(&t.join("m8/man.csv")),
        "--out",
        s(t),
        "--force",
        "--val-fraction",
        "0",
    ]);
    assert_eq!(hashes(t), before, "a source file changed");

    // A class folder that is a symlink to a folder outside the dataset.
    png(&t.join("ds/cat/1.png"), [1, 1, 1]);
    png(&t.join("outside7/x.png"), [2, 2, 2]);
    std::fs::create_dir_all(t.join("ds/dog")).unwrap();
    std::os::unix::fs::symlink(t.join("outside7"), t.join("ds/dog/ext")).unwrap();
    let before = hashes(t);
    let err = refused(&[
        "export",
        s(&t.join("ds")),
        "--out",
        s(&t.join("outside7")),
        "--force",
        "--val-fraction",
        "0",
    ]);
    assert!(err.contains("outside7"), "{err}");
    assert_eq!(hashes(t), before);

    // A good export changes nothing outside its target.
    let out = t.join("exports/clean");
    let before = outside(t, &out);
    ok(&[
        "export",
        s(&t.join("m8/man.csv")),
        "--out",
        s(&out),
        "--val-fraction",
        "0",
    ]);
    assert!(out.join("manifest.csv").is_file());
    assert_eq!(outside(t, &out), before);
}

#[test]
fn predict_never_writes_over_its_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::fashion_subset(t, 1);
    let rows: Vec<String> = std::fs::read_dir(t)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| {
            let p = f.path();
            let class = p.parent().unwrap().file_name().unwrap().to_string_lossy();
            let label = match class.as_ref() {
                "T-shirt_top" => "T-shirt/top".to_string(),
                c => c.replace('_', " "),
            };
            format!(
                "{},\"{label}\"",
                p.strip_prefix(t).unwrap().to_string_lossy()
            )
        })
        .collect();
    let manifest = t.join("orig.csv");
    write(&manifest, &format!("path,label\n{}\n", rows.join("\n")));
    let model = repo().join("assets/models/fashion_cnn.onnx");
    let before = std::fs::read(&manifest).unwrap();
    let err = refused(&[
        "predict",
        s(&manifest),
        "--model",
        s(&model),
        "--backend",
        "tract",
        "--out",
        s(&manifest),
    ]);
    assert!(err.contains("dataset manifest"), "{err}");
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
    // The state folder (journal, caches) is an input too.
    let err = refused(&[
        "predict",
        s(&manifest),
        "--model",
        s(&model),
        "--out",
        s(&t.join(".labelscope/edits.journal.csv")),
    ]);
    assert!(err.contains("state folder"), "{err}");
    // An ordinary output is written, and written again over itself without a trace.
    let out = t.join("preds.csv");
    for _ in 0..2 {
        ok(&[
            "predict",
            s(&manifest),
            "--model",
            s(&model),
            "--backend",
            "tract",
            "--out",
            s(&out),
        ]);
    }
    let leftovers: Vec<_> = std::fs::read_dir(t)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
}

/// Two manifests in one folder over the same images: `a.csv` labels cat/dog, `b.csv` labels
/// x/y.
fn two_manifests(t: &Path) -> (PathBuf, PathBuf) {
    common::cat_dog(t, 4);
    write(
        &t.join("a.csv"),
        "path,label\ncat/1.png,cat\ncat/2.png,cat\ndog/3.png,dog\ndog/4.png,dog\n",
    );
    write(
        &t.join("b.csv"),
        "path,label\ncat/1.png,x\ncat/2.png,x\ndog/3.png,y\ndog/4.png,y\n",
    );
    (t.join("a.csv"), t.join("b.csv"))
}

#[test]
fn edits_belong_to_one_manifest_and_stale_edits_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_manifests(tmp.path());
    let (pa, pb) = (tmp.path().join("pa.csv"), tmp.path().join("pb.csv"));
    write(&pa, "path,pred\ncat/1.png,cat\ndog/3.png,dog\n");
    write(&pb, "path,pred\ncat/1.png,x\ndog/3.png,y\n");
    ok(&["edit", s(&a), "relabel", "cat/1.png", "dog"]);
    let (listing, _) = ok(&["edits", s(&b), "--format", "json"]);
    assert_eq!(listing.trim(), "[]", "b sees a's edit: {listing}");
    let (_, err) = ok(&[
        "evaluate",
        s(&b),
        "--predictions",
        s(&pb),
        "--format",
        "json",
    ]);
    assert!(!err.contains("curation edits"), "{err}");
    let (listing, _) = ok(&["edits", s(&a), "--format", "json"]);
    assert!(listing.contains("cat/1.png"), "{listing}");

    // a.csv loses the label `dog`: the edit no longer applies and every command says so.
    write(
        &a,
        "path,label\ncat/1.png,cat\ncat/2.png,cat\ndog/3.png,hound\ndog/4.png,hound\n",
    );
    let (listing, err) = ok(&["edits", s(&a), "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&listing).unwrap();
    assert_eq!(rows[0]["applies"], false, "{listing}");
    assert!(err.contains("not a label of this dataset"), "{err}");
    write(&pa, "path,pred\ncat/1.png,cat\ndog/3.png,hound\n");
    let (_, err) = ok(&[
        "evaluate",
        s(&a),
        "--predictions",
        s(&pa),
        "--format",
        "json",
    ]);
    assert!(err.contains("not a label of this dataset"), "{err}");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("export-a");
    let (_, err) = ok(&["export", s(&a), "--out", s(&out), "--val-fraction", "0"]);
    assert!(err.contains("not a label of this dataset"), "{err}");
}

#[test]
fn an_edit_file_applies_all_or_nothing_as_one_step() {
    let tmp = tempfile::tempdir().unwrap();
    let t = &tmp.path().join("ds");
    common::cat_dog(t, 4);
    let bad = tmp.path().join("fixes-bad.csv");
    write(
        &bad,
        "path,action,label,reason\ncat/1.png,relabel,dog,\ncat/2.png,relabel,horse,\ndog/3.png,exclude,,blurry\nnope.png,include,,\n",
    );
    let err = refused(&["edit", s(t), "apply", s(&bad)]);
    assert!(
        err.contains("nothing was applied")
            && err.contains("row 2: label `horse`")
            && err.contains("row 4: no sample `nope.png`"),
        "{err}"
    );
    let (listing, _) = ok(&["edits", s(t), "--format", "json"]);
    assert_eq!(listing.trim(), "[]", "{listing}");
    let good = tmp.path().join("fixes-good.csv");
    write(
        &good,
        "path,action,label,reason\ncat/1.png,relabel,dog,\ndog/3.png,exclude,,blurry\ncat/2.png,relabel,dog,\n",
    );
    ok(&["edit", s(t), "apply", s(&good)]);
    let (listing, _) = ok(&["edits", s(t), "--format", "json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&listing)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    ok(&["edit", s(t), "undo"]);
    let (listing, _) = ok(&["edits", s(t), "--format", "json"]);
    assert_eq!(listing.trim(), "[]", "one undo reverts the whole file");
}

#[test]
fn a_model_with_more_outputs_than_labels_fails_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::cat_dog(t, 3);
    std::fs::copy(
        repo().join("assets/models/fashion_cnn.onnx"),
        t.join("m.onnx"),
    )
    .unwrap();
    let mut spec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo().join("assets/models/fashion_cnn.json")).unwrap(),
    )
    .unwrap();
    spec["model"] = "m.onnx".into();
    spec["labels"] = serde_json::json!(["cat", "dog", "bird"]);
    let spec_path = t.join("m.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let data = t.join("data");
    common::cat_dog(&data, 3);
    let err = refused(&["evaluate", s(&data), "--model", s(&spec_path)]);
    assert!(
        err.contains("has 10 values but 3 labels") && err.contains("m.json"),
        "{err}"
    );
}

#[test]
fn non_finite_vlm_logprobs_fail_that_sample_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::cat_dog(t, 3);
    let answer = |lp: f64| {
        serde_json::json!({"choices": [{"message": {"content": "{\"label\": \"cat\"}"},
            "logprobs": {"content": [
                {"token": "{\"", "logprob": 0.0}, {"token": "label", "logprob": 0.0},
                {"token": "\":", "logprob": 0.0}, {"token": " \"", "logprob": 0.0},
                {"token": "cat", "logprob": lp, "top_logprobs": [
                    {"token": "cat", "logprob": lp}, {"token": "dog", "logprob": -3.0}]},
                {"token": "\"}", "logprob": 0.0}]}}]})
        .to_string()
    };
    let (url, _) = common::canned_vlm_server(vec![
        (200, answer(-0.1)),
        (200, answer(1e308)),
        (200, answer(-0.2)),
    ]);
    let (json, err) = ok(&[
        "evaluate",
        s(t),
        "--vlm-endpoint",
        &url,
        "--vlm-model",
        "m",
        "--vlm-concurrency",
        "1",
        "--no-cache",
        "--format",
        "json",
    ]);
    let m: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(m["num_failed"], 1, "{json}");
    assert!(m["ece"].as_f64().is_some_and(f64::is_finite), "{json}");
    assert!(err.contains("invalid log-probability"), "{err}");
}

#[test]
fn a_cache_that_does_not_verify_is_rebuilt_with_a_notice() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::fashion_subset(t, 2);
    let model = repo().join("assets/models/fashion_cnn.json");
    let eval = || {
        ok(&[
            "evaluate",
            s(t),
            "--model",
            s(&model),
            "--backend",
            "tract",
            "--format",
            "json",
        ])
    };
    let (first, _) = eval();
    let cache = std::fs::read_dir(t.join(".labelscope/predictions"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    // Tamper: every probability vector becomes "all Bag" (the body is MessagePack after a
    // header line; the header, with its checksum, is kept as it was).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Stamp {
        size: u64,
        mtime_ns: i128,
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Cached {
        stamp: Stamp,
        value: serde_json::Value,
    }
    let bytes = std::fs::read(&cache).unwrap();
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let (header, body) = bytes.split_at(newline + 1);
    assert!(String::from_utf8_lossy(header).contains("\"encoding\":\"msgpack\""));
    let mut entries: std::collections::HashMap<String, Cached> =
        rmp_serde::from_slice(body).unwrap();
    for e in entries.values_mut() {
        if let Some(p) = e.value.pointer_mut("/predicted/probs") {
            let n = p.as_array().unwrap().len();
            *p = (0..n).map(|k| if k == 8 { 1.0 } else { 0.0 }).collect();
        }
    }
    let tampered = rmp_serde::to_vec_named(&entries).unwrap();
    assert_ne!(tampered, body);
    std::fs::write(&cache, [header, &tampered].concat()).unwrap();
    let (second, err) = eval();
    assert!(err.contains("did not verify"), "{err}");
    let acc = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap()["accuracy"].clone();
    assert_eq!(acc(&second), acc(&first));
    assert!(second.contains("\"num_inferred\":20"), "{second}");
}

#[test]
fn a_damaged_text_detector_copy_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::fashion_subset(t, 1);
    let run = || {
        ok(&[
            "issues",
            s(t),
            "--kinds",
            "text",
            "--backend",
            "tract",
            "--format",
            "json",
        ])
    };
    run();
    let models = t.join(".labelscope/models");
    let detector = std::fs::read_dir(&models)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".onnx"))
        .unwrap()
        .path();
    let good = std::fs::read(&detector).unwrap();
    std::fs::write(&detector, b"garbage").unwrap();
    run();
    assert_eq!(std::fs::read(&detector).unwrap(), good);
}

#[cfg(unix)]
#[test]
fn reads_outside_the_root_are_counted_and_non_images_are_never_exported() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    png(&t.join("m/imgs/a.png"), [1, 1, 1]);
    png(&t.join("m/imgs/b.png"), [2, 2, 2]);
    png(&t.join("store/c.png"), [3, 3, 3]);
    write(&t.join("secret/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    write(&t.join("secret/fake.png"), "not an image at all");
    let fifo = t.join("m/imgs/pipe.png");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    write(
        &t.join("m/man.csv"),
        &format!(
            "path,label\nimgs/a.png,cat\nimgs/b.png,dog\n../store/c.png,cat\n{},dog\n../secret/fake.png,cat\nimgs/pipe.png,dog\n",
            t.join("secret/passwd").display()
        ),
    );
    let (json, _) = ok(&["scan", s(&t.join("m/man.csv")), "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(scan["num_samples"], 5, "{json}");
    assert_eq!(scan["outside_root"], 3, "{json}");
    let issues = scan["issues"].to_string();
    assert!(
        issues.contains("FIFO") && issues.contains("pipe.png"),
        "{issues}"
    );

    let out = t.join("out");
    let (_, err) = ok(&[
        "export",
        s(&t.join("m/man.csv")),
        "--out",
        s(&out),
        "--val-fraction",
        "0",
        "--no-duplicates",
    ]);
    assert!(err.contains("2 not exported"), "{err}");
    let exported: Vec<String> = hashes(&out).into_keys().collect();
    assert!(
        !exported
            .iter()
            .any(|p| p.contains("passwd") || p.contains("fake")),
        "{exported:?}"
    );
    assert!(
        exported.iter().any(|p| p.ends_with("c.png")),
        "{exported:?}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let listed = report["not_exported"].to_string();
    assert!(
        listed.contains("passwd") && listed.contains("fake.png"),
        "{listed}"
    );
}

#[cfg(unix)]
#[test]
fn a_folder_symlink_back_to_the_root_is_not_walked() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("ds");
    common::cat_dog(&t, 3);
    std::os::unix::fs::symlink(&t, t.join("again")).unwrap();
    std::os::unix::fs::symlink("..", t.join("dog/up")).unwrap();
    let (json, _) = ok(&["scan", s(&t), "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(scan["num_samples"], 3, "{json}");
    let loops = scan["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "symlink_loop")
        .count();
    assert_eq!(loops, 2, "{json}");
}

/// The scans learn which files are symlinks from the folder listing (folders) or from one
/// `lstat` by name in an open folder (manifests); a symlink out of the root still counts as
/// read from outside, one to a file inside does not.
#[cfg(unix)]
#[test]
fn symlinked_images_are_counted_outside_the_root_in_folders_and_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    png(&t.join("ds/cat/a.png"), [1, 1, 1]);
    png(&t.join("ds/dog/b.png"), [2, 2, 2]);
    png(&t.join("store/c.png"), [3, 3, 3]);
    std::os::unix::fs::symlink(t.join("store/c.png"), t.join("ds/cat/c.png")).unwrap();
    std::os::unix::fs::symlink(t.join("ds/dog/b.png"), t.join("ds/dog/inside.png")).unwrap();
    write(
        &t.join("ds/man.csv"),
        "path,label\ncat/a.png,cat\ncat/c.png,cat\ndog/inside.png,dog\n",
    );
    for (target, samples) in [(t.join("ds"), 4), (t.join("ds/man.csv"), 3)] {
        let (json, _) = ok(&["scan", s(&target), "--format", "json"]);
        let scan: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(scan["num_samples"], samples, "{json}");
        assert_eq!(scan["outside_root"], 1, "{json}");
    }
}

#[test]
fn a_malformed_manifest_names_the_file_and_row_and_the_rest_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::cat_dog(t, 4);
    write(
        &t.join("m.csv"),
        "path,label\ncat/1.png,cat\ncat/2.png,cat,oops\ndog/3.png,dog\ndog/4.png,\"dog\n",
    );
    let (json, _) = ok(&["scan", s(&t.join("m.csv")), "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(scan["num_samples"], 2, "{json}");
    let issues = scan["issues"].to_string();
    assert!(
        issues.contains("row 2 (line 3): 3 cells")
            && issues.contains("row 4 (line 5): a quoted cell is never closed")
            && issues.contains("m.csv"),
        "{issues}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn listing_edits_writes_nothing_and_a_recycled_pid_does_not_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    common::cat_dog(t, 3);
    ok(&["edits", s(t)]);
    assert!(!t.join(".labelscope/edits.journal.jsonl").exists());
    assert!(!t.join(".labelscope/edits.lock").exists());
    // pid 1 is alive, but it did not start at tick 1: the lock is stale.
    write(&t.join(".labelscope/edits.lock"), "1 1 -\n");
    ok(&["edit", s(t), "relabel", "cat/1.png", "dog"]);
    // A pid-only lock (older labelscope) held by a live process still blocks.
    write(&t.join(".labelscope/edits.lock"), "1\n");
    let err = refused(&["edit", s(t), "relabel", "cat/2.png", "dog"]);
    assert!(err.contains("another labelscope"), "{err}");
    std::fs::remove_file(t.join(".labelscope/edits.lock")).unwrap();
    // A torn last line is reported by the listing and by evaluate.
    let journal = t.join(".labelscope/edits.journal.jsonl");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"{\"op\":\"edit\",\"seq\":9");
    std::fs::write(&journal, bytes).unwrap();
    let (_, err) = ok(&["edits", s(t)]);
    assert!(err.contains("torn"), "{err}");
    write(&t.join("p.csv"), "path,pred\ncat/1.png,dog\n");
    let (_, err) = ok(&["evaluate", s(t), "--predictions", s(&t.join("p.csv"))]);
    assert!(err.contains("torn"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_non_utf8_file_name_is_still_named_in_the_exported_manifest() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("ds");
    common::cat_dog(&t, 3);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.png");
    png(&t.join("cat").join(name), [9, 9, 9]);
    let out = tmp.path().join("out");
    ok(&["export", s(&t), "--out", s(&out), "--val-fraction", "0"]);
    let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    let t = labelscope::table::read_table(&out.join("manifest.csv")).unwrap();
    let sources: Vec<String> = t
        .column("source")
        .unwrap()
        .iter()
        .flatten()
        .cloned()
        .collect();
    assert!(
        sources.iter().any(|s| s.ends_with("cat/caf\\xe9.png")),
        "{manifest}"
    );
    assert!(
        !sources.iter().any(|s| s.contains('\u{FFFD}')),
        "{manifest}"
    );
}
