//! Every input is protected (issue "Never lose data, part two"): each command that writes is
//! pointed, with every input flag it takes, at a folder holding that input, with and without
//! `--force`; nothing in the folder may change. Then the reads without limits (devices, FIFOs,
//! links to `/dev/zero`), the commands that produced nothing, and the small writes in the wrong
//! place.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{repo, write};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs labelscope from the repository with `args`, killed after 60 s (a read that hangs fails
/// the test instead of the whole run).
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .current_dir(repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn refused(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail: {stderr}");
    stderr
}

fn ok(args: &[&str]) -> (String, String) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// Every file under `root`: relative path -> BLAKE3 of its bytes.
fn hashes(root: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let h = blake3::hash(&std::fs::read(e.path()).unwrap());
            (rel, h.to_hex().to_string())
        })
        .collect()
}

/// A dataset of 10 Fashion images at `<t>/ds`.
fn dataset(t: &Path) -> PathBuf {
    let ds = t.join("ds");
    std::fs::create_dir_all(&ds).unwrap();
    common::fashion_subset(&ds, 1);
    ds
}

/// One input flag: the files it needs in the work folder, and its arguments given that folder.
struct Input {
    name: &'static str,
    setup: fn(&Path),
    args: fn(&Path) -> Vec<String>,
}

fn copy_model(work: &Path) {
    for f in ["fashion_cnn.json", "fashion_cnn.onnx"] {
        std::fs::copy(repo().join("assets/models").join(f), work.join(f)).unwrap();
    }
}

/// The bundled CNN's spec with its labels in `labels.txt` beside it, in `work`.
fn model_with_labels_file(work: &Path) {
    copy_model(work);
    let spec = repo().join("assets/models/fashion_cnn.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec).unwrap()).unwrap();
    let labels: Vec<String> = serde_json::from_value(v["labels"].clone()).unwrap();
    write(&work.join("labels.txt"), &(labels.join("\n") + "\n"));
    v["labels"] = "labels.txt".into();
    v["model"] = "fashion_cnn.onnx".into();
    write(&work.join("m.json"), &v.to_string());
}

fn inputs() -> Vec<Input> {
    fn arg(work: &Path, flag: &str, file: &str) -> Vec<String> {
        vec![flag.to_string(), s(&work.join(file)).to_string()]
    }
    vec![
        Input {
            name: "--model spec",
            setup: copy_model,
            args: |w| arg(w, "--model", "fashion_cnn.json"),
        },
        Input {
            name: "--model onnx (sidecar spec)",
            setup: copy_model,
            args: |w| arg(w, "--model", "fashion_cnn.onnx"),
        },
        Input {
            name: "--model whose spec names a labels file",
            setup: model_with_labels_file,
            args: |w| arg(w, "--model", "m.json"),
        },
        Input {
            name: "--embedder",
            setup: copy_model,
            args: |w| {
                let mut a = arg(w, "--embedder", "fashion_cnn.json");
                a.extend(["--model".into(), "assets/models/fashion_cnn.json".into()]);
                a
            },
        },
        Input {
            name: "--soft-labels teacher",
            setup: copy_model,
            args: |w| arg(w, "--soft-labels", "fashion_cnn.json"),
        },
        Input {
            name: "--predictions",
            setup: |w| write(&w.join("preds.csv"), "path,pred\n"),
            args: |w| arg(w, "--predictions", "preds.csv"),
        },
        Input {
            name: "--prompt-file",
            setup: |w| write(&w.join("prompt.txt"), "You label images.\n---\nWhich?\n"),
            args: |w| {
                let mut a = arg(w, "--prompt-file", "prompt.txt");
                a.extend(
                    ["--vlm-endpoint", "http://127.0.0.1:9", "--vlm-model", "x"].map(String::from),
                );
                a
            },
        },
    ]
}

/// The commands that write a folder, with the flags each takes (by input name prefix).
fn writers() -> Vec<(&'static str, Vec<&'static str>, &'static [&'static str])> {
    vec![
        (
            "export",
            vec!["--out", "{work}", "--force", "--val-fraction", "0"],
            &[
                "--model",
                "--embedder",
                "--predictions",
                "--prompt-file",
                "--soft-labels",
            ],
        ),
        ("export (no force)", vec!["--out", "{work}"], &["--model"]),
        ("train", vec!["--out", "{work}"], &["--model"]),
        (
            "predict",
            vec!["--shard", "0/1", "--out", "{work}"],
            &["--model", "--prompt-file"],
        ),
        (
            "issues",
            vec!["--shard", "0/1", "--out", "{work}"],
            &["--model", "--embedder", "--predictions"],
        ),
    ]
}

#[test]
fn every_writer_refuses_a_target_holding_any_of_its_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path());
    let mut cases = 0;
    for (writer, out_args, takes) in writers() {
        for input in inputs() {
            if !takes.iter().any(|t| input.name.starts_with(t)) {
                continue;
            }
            let work = tmp.path().join(format!("work{cases}"));
            std::fs::create_dir_all(&work).unwrap();
            (input.setup)(&work);
            let before = hashes(&work);
            let command = writer.split(' ').next().unwrap();
            let mut args: Vec<String> = vec![command.into(), s(&ds).into()];
            args.extend(out_args.iter().map(|a| a.replace("{work}", s(&work))));
            args.extend((input.args)(&work));
            let has_source = args
                .iter()
                .any(|a| a == "--model" || a == "--predictions" || a == "--vlm-endpoint");
            if command == "train" && !has_source {
                args.extend(["--model".into(), "assets/models/fashion_cnn.json".into()]);
            }
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let err = refused(&argv);
            assert!(
                err.contains("refusing") || err.contains("not empty"),
                "{writer} with {}: {err}",
                input.name
            );
            assert_eq!(
                hashes(&work),
                before,
                "{writer} with {} changed its inputs",
                input.name
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 22, "every writer x input pair ran");
}

#[test]
fn the_issue_reproduction_export_force_keeps_the_model_and_predictions() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path());
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    copy_model(&work);
    let preds = work.join("preds.csv");
    ok(&[
        "predict",
        s(&ds),
        "--model",
        "assets/models/fashion_cnn.json",
        "--backend",
        "tract",
        "--out",
        s(&preds),
    ]);
    let before = hashes(&work);
    for flags in [
        vec!["--predictions", s(&preds)],
        vec!["--model", s(&work.join("fashion_cnn.json"))],
    ] {
        let mut args = vec!["export", s(&ds), "--out", s(&work), "--force"];
        args.extend(flags);
        let err = refused(&args);
        assert!(err.contains("refusing") && err.contains("reads"), "{err}");
        assert_eq!(hashes(&work), before);
    }
}

#[test]
fn force_replaces_only_an_earlier_export() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path());
    let out = tmp.path().join("out");
    let export = |force: bool| {
        let mut a = vec!["export", s(&ds), "--out", s(&out), "--val-fraction", "0"];
        if force {
            a.push("--force");
        }
        run(&a)
    };
    assert!(export(false).status.success());
    assert!(out.join(".labelscope-export.json").is_file());
    // An earlier export is replaced.
    assert!(export(true).status.success());
    // A file labelscope did not write is never deleted.
    write(&out.join("train/notes.txt"), "mine");
    let o = export(true);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("train/notes.txt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("train/notes.txt")).unwrap(),
        "mine"
    );
    // Nor is a folder that no export wrote.
    let other = tmp.path().join("other");
    write(&other.join("keep.txt"), "mine");
    let err = refused(&["export", s(&ds), "--out", s(&other), "--force"]);
    assert!(
        err.contains("keep.txt") && err.contains("did not write"),
        "{err}"
    );
    assert!(other.join("keep.txt").is_file());
}

#[cfg(unix)]
#[test]
fn inputs_that_are_devices_fifos_or_huge_are_refused_without_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let ds = dataset(t);
    let zero = t.join("zero.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = t.join("model.onnx");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("assets/models/fashion_cnn.json")).unwrap(),
    )
    .unwrap();
    spec["labels"] = "/dev/zero".into();
    spec["model"] = s(&repo().join("assets/models/fashion_cnn.onnx")).into();
    write(&t.join("zero-labels.json"), &spec.to_string());
    let preds = t.join("p.csv");
    let zero_labels = t.join("zero-labels.json");
    let npy = t.join("e.npy");
    let d = s(&ds);
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "model /dev/zero",
            vec!["evaluate", d, "--model", "/dev/zero"],
        ),
        ("model FIFO", vec!["evaluate", d, "--model", s(&fifo)]),
        (
            "labels /dev/zero",
            vec!["evaluate", d, "--model", s(&zero_labels)],
        ),
        (
            "embedder /dev/zero",
            vec!["embed", d, "--embedder", "/dev/zero", "--out", s(&npy)],
        ),
        (
            "predictions link to /dev/zero",
            vec!["evaluate", d, "--predictions", s(&zero)],
        ),
        (
            "edit file link to /dev/zero",
            vec!["edit", d, "apply", s(&zero)],
        ),
        (
            "prompt file /dev/zero",
            vec![
                "predict",
                d,
                "--vlm-endpoint",
                "http://127.0.0.1:9",
                "--vlm-model",
                "x",
                "--prompt-file",
                "/dev/zero",
                "--out",
                s(&preds),
            ],
        ),
    ];
    for (name, args) in cases {
        let start = Instant::now();
        let err = refused(&args);
        assert!(err.contains("not a regular file"), "{name}: {err}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{name} took long"
        );
    }
    assert!(!preds.exists());
}

#[test]
fn commands_that_produce_nothing_exit_non_zero_and_print_no_accuracy() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("bad");
    for (k, class) in ["cat", "dog", "dog"].iter().enumerate() {
        // A PNG signature and nothing else: every image is unreadable.
        let p = ds.join(class).join(format!("{k}.png"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"\x89PNG\r\n\x1a\n").unwrap();
    }
    let model = "assets/models/fashion_cnn.json";
    for args in [
        vec!["evaluate", s(&ds), "--model", model],
        vec!["predict", s(&ds), "--model", model, "--out"],
        vec!["embed", s(&ds), "--model", model, "--out"],
    ] {
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        if args.last().is_some_and(|a| a == "--out") {
            let ext = if args[0] == "embed" { "npy" } else { "csv" };
            args.push(s(&tmp.path().join(format!("out.{ext}"))).to_string());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&argv);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{argv:?}: {stderr}");
        assert!(!stdout.contains("accuracy"), "{stdout}");
        assert!(
            stderr.contains("nothing") && stderr.contains("3 failed"),
            "{stderr}"
        );
    }
    assert!(!tmp.path().join("out.csv").exists() && !tmp.path().join("out.npy").exists());

    // Every sample excluded: nothing to evaluate either.
    let good = dataset(tmp.path());
    let all: Vec<String> = walkdir::WalkDir::new(&good)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .map(|e| e.path().strip_prefix(&good).unwrap().display().to_string())
        .collect();
    let fixes = tmp.path().join("fixes.csv");
    let rows: Vec<String> = all
        .iter()
        .map(|p| format!("{p},exclude,,ambiguous"))
        .collect();
    write(
        &fixes,
        &format!("path,action,label,reason\n{}\n", rows.join("\n")),
    );
    ok(&["edit", s(&good), "apply", s(&fixes)]);
    let out = run(&["evaluate", s(&good), "--model", model]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("10 are excluded"), "{stderr}");
}

#[test]
fn small_outputs_never_land_in_the_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset(tmp.path());
    let before = hashes(&ds);
    let model = "assets/models/fashion_cnn.json";
    for out in [
        s(&ds).to_string(),
        s(&ds.join("Bag")).to_string(),
        s(&ds.join(".labelscope")).to_string(),
    ] {
        let err = refused(&["train", s(&ds), "--model", model, "--out", &out]);
        assert!(err.contains("refusing"), "{out}: {err}");
    }
    let err = refused(&[
        "embed",
        s(&ds),
        "--model",
        model,
        "--out",
        s(&ds.join("Bag/x.npy")),
    ]);
    assert!(err.contains("holds the dataset's images"), "{err}");
    let err = refused(&[
        "predict",
        s(&ds),
        "--model",
        model,
        "--shard",
        "0/1",
        "--out",
        s(&ds.join("data")),
    ]);
    assert!(err.contains("refusing"), "{err}");
    assert!(!ds.join("data").exists(), "an empty class `data` appeared");
    let after: BTreeMap<String, String> = hashes(&ds)
        .into_iter()
        .filter(|(k, _)| !k.starts_with(".labelscope"))
        .collect();
    assert_eq!(after, before);
}
