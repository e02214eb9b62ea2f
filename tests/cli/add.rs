//! Adding pool images to a dataset by reference (`edit add`, `edit apply` with `add` rows) and
//! writing negatives (`export --negatives`), as a user runs them on real files.

use std::path::Path;
use std::process::Output;

use crate::common;
use crate::common::snapshot;

fn labelscope(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = labelscope(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {err}");
    err
}

fn refused(args: &[&str]) -> String {
    let out = labelscope(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail");
    err
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

/// Pool files added with a label become samples of every later command (evaluate's count,
/// export's folders) without being copied anywhere but into the export; refusals (not an
/// image, already a sample, unknown label) change nothing; a negative is written only with
/// `--negatives`; a pool file that goes away is reported with its path and the rest exports.
#[test]
fn added_pool_files_are_samples_by_reference_and_negatives_export_as_a_class() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::cat_dog(&data, 4);
    let pool = dir.path().join("pool");
    for (k, name) in ["p1.png", "p2.png", "p3.png", "p4.png"].iter().enumerate() {
        let g = 100 + k as u8 * 20;
        common::png(&pool.join(name), [g, g, 255 - g]);
    }
    common::write(&pool.join("notes.txt"), "not an image");
    let d = data.to_str().unwrap();
    let p = |n: &str| pool.join(n).to_string_lossy().into_owned();
    let (data_before, pool_before) = (snapshot(&data), snapshot(&pool));

    ok(&["edit", d, "add", &p("p1.png"), "cat"]);
    ok(&["edit", d, "add", &p("p2.png"), "dog"]);
    ok(&["edit", d, "add", &p("p3.png"), "--negative"]);
    ok(&["edit", d, "negative", "dog/4.png"]);
    let err = refused(&["edit", d, "add", &p("notes.txt"), "cat"]);
    assert!(err.contains("not an image file"), "{err}");
    let err = refused(&["edit", d, "add", &p("p4.png"), "horse"]);
    assert!(err.contains("`horse` is not a label"), "{err}");
    let own = data.join("cat/1.png");
    let err = refused(&["edit", d, "add", own.to_str().unwrap(), "dog"]);
    assert!(
        err.contains("already the dataset's sample `cat/1.png`"),
        "{err}"
    );

    // Every command lists the added files with the dataset: 4 own + 2 added (the negative is
    // of no class; dog/4 is excluded as a negative).
    let listed: serde_json::Value =
        serde_json::from_slice(&common::labelscope_ok(&["edits", d, "--format", "json"])).unwrap();
    let added: Vec<bool> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["added"].as_bool().unwrap())
        .collect();
    assert_eq!(added.iter().filter(|a| **a).count(), 3, "{listed}");
    let scan = ok(&["scan", d]);
    assert!(
        scan.contains("6 samples") && scan.contains("(2 added by edits)"),
        "{scan}"
    );

    let out = dir.path().join("export");
    let o = out.to_str().unwrap();
    ok(&[
        "export",
        d,
        "--out",
        o,
        "--val-fraction",
        "0",
        "--no-duplicates",
    ]);
    let files = files_under(&out);
    assert!(files.contains(&"train/cat/p1.png".to_string()), "{files:?}");
    assert!(files.contains(&"train/dog/p2.png".to_string()), "{files:?}");
    assert!(
        !files
            .iter()
            .any(|f| f.contains("p3.png") || f.contains("4.png")),
        "{files:?}"
    );
    assert_eq!(
        std::fs::read(out.join("train/cat/p1.png")).unwrap(),
        std::fs::read(pool.join("p1.png")).unwrap()
    );

    let neg = dir.path().join("with_negatives");
    let n = neg.to_str().unwrap();
    let err = ok(&[
        "export",
        d,
        "--out",
        n,
        "--val-fraction",
        "0",
        "--no-duplicates",
        "--negatives",
        "background",
    ]);
    assert!(
        err.contains("negatives: 2 images written as class `background`"),
        "{err}"
    );
    let files = files_under(&neg);
    assert!(
        files.contains(&"train/background/p3.png".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"train/background/4.png".to_string()),
        "{files:?}"
    );
    assert!(files.contains(&"train/cat/p1.png".to_string()), "{files:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(neg.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["negatives"]["added"], 1, "{report}");
    assert_eq!(report["negatives"]["from_samples"], 1, "{report}");
    let classes = std::fs::read_to_string(neg.join("classes.json")).unwrap();
    assert!(classes.contains("background"), "{classes}");

    // Nothing was written into the dataset (besides its state folder) or the pool.
    assert_eq!(snapshot(&data), data_before);
    assert_eq!(snapshot(&pool), pool_before);

    // A pool file that is gone: reported with its path; the rest opens and exports.
    std::fs::remove_file(pool.join("p2.png")).unwrap();
    let again = dir.path().join("again");
    let err = ok(&[
        "export",
        d,
        "--out",
        again.to_str().unwrap(),
        "--val-fraction",
        "0",
        "--no-duplicates",
    ]);
    assert!(
        err.contains("p2.png") && err.contains("the file is gone"),
        "{err}"
    );
    let files = files_under(&again);
    assert!(files.contains(&"train/cat/p1.png".to_string()), "{files:?}");
    assert!(!files.iter().any(|f| f.contains("p2.png")), "{files:?}");

    // Undo takes an add back like any edit.
    ok(&["edit", d, "undo"]); // the negative mark of dog/4
    ok(&["edit", d, "undo"]); // the negative p3
    ok(&["edit", d, "undo"]); // p2
    let scan = ok(&["scan", d]);
    assert!(
        scan.contains("5 samples") && scan.contains("(1 added by edits)"),
        "{scan}"
    );
}

/// `edit apply` with `add` and `negative` rows: paths relative to the CSV's folder; one bad
/// row refuses the whole file; the good file is one undo step.
#[test]
fn edit_apply_adds_files_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::cat_dog(&data, 4);
    let pool = dir.path().join("pool");
    for name in ["a.png", "b.png", "c.png"] {
        common::png(&pool.join(name), [9, 99, 199]);
    }
    let d = data.to_str().unwrap();
    let csv = pool.join("labelled.csv");
    common::write(
        &csv,
        "path,action,label\na.png,add,cat\nb.png,add,dog\nmissing.png,add,dog\nc.png,negative,\n",
    );
    let err = refused(&["edit", d, "apply", csv.to_str().unwrap()]);
    assert!(
        err.contains("row 3") && err.contains("missing.png"),
        "{err}"
    );
    assert!(err.contains("nothing was applied"), "{err}");
    let scan = ok(&["scan", d]);
    assert!(scan.contains("4 samples"), "{scan}");

    common::write(
        &csv,
        "path,action,label\na.png,add,cat\nb.png,add,dog\nc.png,negative,\ndog/3.png,negative,\n",
    );
    ok(&["edit", d, "apply", csv.to_str().unwrap()]);
    let scan = ok(&["scan", d]);
    assert!(
        scan.contains("6 samples") && scan.contains("(2 added by edits)"),
        "{scan}"
    );
    ok(&["edit", d, "undo"]);
    let scan = ok(&["scan", d]);
    assert!(
        scan.contains("4 samples") && !scan.contains("added"),
        "{scan}"
    );
}
