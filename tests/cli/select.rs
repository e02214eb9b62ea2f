//! `labelscope select`: which pool images to label next, as a user runs it on real files.

use std::path::{Path, PathBuf};

use crate::common;
use crate::common::snapshot;

/// A flat folder of unlabelled images (one a byte copy of a labelled image): `select` writes
/// `path,rank,score,reason` for the budget, never picks a near copy of a labelled image, and
/// writes nothing into the pool.
#[test]
fn select_chooses_from_a_flat_pool_and_writes_only_its_csv() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("labelled");
    std::fs::create_dir_all(&labelled).unwrap();
    common::fashion_subset(&labelled, 3);
    // The pool: other images of the sample, flat, plus a copy of a labelled one.
    let pool = dir.path().join("pool");
    std::fs::create_dir_all(&pool).unwrap();
    let sample = common::repo().join("sample_data/fashion");
    for class in ["Bag", "Sneaker", "Shirt", "Coat"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(sample.join(class))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for (k, f) in files.iter().skip(10).take(6).enumerate() {
            std::fs::copy(f, pool.join(format!("{class}_{k}.png"))).unwrap();
        }
    }
    let mut copied: Vec<PathBuf> = std::fs::read_dir(labelled.join("Bag"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    copied.sort();
    let copy = pool.join("copy_of_labelled_bag.png");
    std::fs::copy(&copied[0], &copy).unwrap();
    let before = snapshot(&pool);
    let out = dir.path().join("to_label.csv");
    let model = common::repo().join("assets/models/fashion_cnn.onnx");
    for strategy in ["auto", "uncertainty", "diversity", "typical", "random"] {
        common::labelscope_ok(&[
            "select",
            pool.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--backend",
            "tract",
            "--labelled",
            labelled.to_str().unwrap(),
            "--budget",
            "10",
            "--strategy",
            strategy,
            "--out",
            out.to_str().unwrap(),
        ]);
        let mut reader = csv::Reader::from_path(&out).unwrap();
        assert_eq!(
            reader.headers().unwrap(),
            vec!["path", "rank", "score", "reason"],
            "{strategy}"
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 10, "{strategy}");
        let paths: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
        let mut distinct = paths.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 10, "{strategy}: {paths:?}");
        assert!(
            !paths.contains(&copy.to_str().unwrap()),
            "{strategy} picked a copy of a labelled image"
        );
        for (k, r) in rows.iter().enumerate() {
            assert!(Path::new(&r[0]).starts_with(&pool), "{strategy}: {}", &r[0]);
            assert_eq!(r[1].parse::<usize>().unwrap(), k + 1);
            assert!(!r[3].is_empty());
        }
        if strategy == "uncertainty" {
            assert!(rows[0][3].starts_with("uncertain: "), "{}", &rows[0][3]);
        }
    }
    assert_eq!(snapshot(&pool), before, "the pool was written to");
    // The output may not be one of the inputs.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args([
            "select",
            pool.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
        ])
        .args(["--budget", "3", "--out", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert_eq!(snapshot(&pool), before);
    // An option it cannot honour is refused, not ignored.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args([
            "select",
            pool.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
        ])
        .args(["--vlm-endpoint", "http://127.0.0.1:9", "--vlm-model", "m"])
        .args(["--budget", "3", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--vlm-endpoint"));
}

/// `--strategy negatives` proposes the pool images that fit no class: two photos among Fashion
/// images, against a labelled Fashion set, with ImageNet embeddings (`--embedder`) and the
/// Fashion model's probabilities.
#[test]
fn negatives_are_proposed_from_images_of_no_class() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("labelled");
    std::fs::create_dir_all(&labelled).unwrap();
    common::fashion_subset(&labelled, 3);
    let pool = dir.path().join("pool");
    std::fs::create_dir_all(&pool).unwrap();
    let repo = common::repo();
    for photo in ["coffee.png", "chelsea.png"] {
        std::fs::copy(
            repo.join("sample_data/photos").join(photo),
            pool.join(photo),
        )
        .unwrap();
    }
    for name in ["pool_00003.png", "pool_00014.png", "pool_00018.png"] {
        std::fs::copy(repo.join("sample_data/pool").join(name), pool.join(name)).unwrap();
    }
    let out = dir.path().join("negatives.csv");
    let model = repo.join("assets/models/fashion_cnn.onnx");
    let embedder = repo.join("assets/models/efficientnet_lite0_fp16w.json");
    common::labelscope_ok(&[
        "select",
        pool.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--embedder",
        embedder.to_str().unwrap(),
        "--backend",
        "tract",
        "--labelled",
        labelled.to_str().unwrap(),
        "--budget",
        "5",
        "--strategy",
        "negatives",
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| {
            Path::new(&r[0])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, vec!["chelsea.png", "coffee.png"], "{rows:?}");
    assert!(
        rows.iter().all(|r| r[3].starts_with("fits no class")),
        "{rows:?}"
    );
}

/// `select` with the labelled set and `pool` (copies of 12 sample images), its caches under
/// `data_home`: its exit, stdout and stderr.
fn select_in(
    data_home: &Path,
    pool: &Path,
    labelled: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let model = common::repo().join("assets/models/fashion_cnn.onnx");
    std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .env("XDG_DATA_HOME", data_home)
        .arg("select")
        .arg(pool)
        .arg("--model")
        .arg(&model)
        .args(["--backend", "tract", "--budget", "4"])
        .arg("--labelled")
        .arg(labelled)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The pool's predictions and embeddings are cached in labelscope's data folder, never beside
/// the pool: a second selection runs no inference and picks the same images; a changed file is
/// run again; `--no-cache` keeps nothing. With a labelled set given, the pool's images are
/// still inputs: `--out` may not replace one nor sit beside them.
#[test]
fn a_second_selection_reads_the_pool_cache_kept_outside_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let labelled = dir.path().join("labelled");
    std::fs::create_dir_all(&labelled).unwrap();
    common::fashion_subset(&labelled, 3);
    let pool = dir.path().join("pool");
    std::fs::create_dir_all(&pool).unwrap();
    let sample = common::repo().join("sample_data/pool");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&sample)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    names.sort();
    for f in names.iter().take(12) {
        std::fs::copy(f, pool.join(f.file_name().unwrap())).unwrap();
    }
    let before = snapshot(&pool);
    let data_home = dir.path().join("data");
    let out = dir.path().join("first.csv");
    let first = select_in(&data_home, &pool, &labelled, &out, &[]);
    let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("pool cache: "), "{stderr}");
    assert!(!stderr.contains("from the pool cache"), "{stderr}");
    let pools = data_home.join("labelscope/pools");
    assert!(pools.is_dir(), "{stderr}");
    let again = dir.path().join("again.csv");
    let second = select_in(&data_home, &pool, &labelled, &again, &[]);
    let stderr = String::from_utf8_lossy(&second.stderr).into_owned();
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains("12 of 12 images from the pool cache"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&again).unwrap(),
        "the cached run chose differently"
    );
    // A file that changed is run again; the others still come from the cache.
    let changed = pool.join(names[0].file_name().unwrap());
    std::fs::copy(&names[20], &changed).unwrap();
    let third = select_in(&data_home, &pool, &labelled, &again, &[]);
    let stderr = String::from_utf8_lossy(&third.stderr).into_owned();
    assert!(third.status.success(), "{stderr}");
    assert!(
        stderr.contains("11 of 12 images from the pool cache"),
        "{stderr}"
    );
    std::fs::copy(&names[0], &changed).unwrap();
    // Nothing beside the pool, nothing changed in it.
    assert!(!pool.join(".labelscope").exists());
    let mut after = snapshot(&pool);
    let mut expected = before.clone();
    after.sort();
    expected.sort();
    assert_eq!(after.len(), expected.len());
    for ((p, a), (_, b)) in after.iter().zip(&expected) {
        assert_eq!(a, b, "{} changed", p.display());
    }
    // --no-cache keeps nothing.
    let bare_home = dir.path().join("bare");
    let bare = select_in(&bare_home, &pool, &labelled, &again, &["--no-cache"]);
    assert!(
        bare.status.success(),
        "{}",
        String::from_utf8_lossy(&bare.stderr)
    );
    assert!(!bare_home.join("labelscope/pools").exists());
    // The pool's images are inputs even with a labelled set given.
    for target in [changed.clone(), pool.join("picks.csv")] {
        let refused = select_in(&data_home, &pool, &labelled, &target, &[]);
        assert!(
            !refused.status.success(),
            "{} was accepted",
            target.display()
        );
    }
    assert!(!pool.join("picks.csv").exists());
    assert_eq!(
        std::fs::read(&changed).unwrap(),
        std::fs::read(&names[0]).unwrap()
    );
}
