//! A device log whose images are inside it (a Parquet file the real `datasets` library wrote
//! with an `Image` column, `scripts/make_embedded_log.py`): `monitor` reads each row's image
//! from the file and runs the embedding test on them.

use crate::common;

#[test]
fn monitor_reads_images_embedded_in_a_parquet_log() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 3);
    let log = common::repo().join("tests/fixtures/monitor/embedded_log.parquet");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["monitor", tmp.path().to_str().unwrap()])
        .args([
            "--model",
            "assets/models/fashion_cnn.json",
            "--format",
            "json",
        ])
        .arg("--log")
        .arg(&log)
        .current_dir(common::repo())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("8 inferences from 1 log files, 0 rows skipped"),
        "{err}"
    );
    assert!(err.contains("8 log images (0 failed)"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 2, "two days");
    assert!(windows.iter().all(|w| w["n"] == 4), "{v}");
}
