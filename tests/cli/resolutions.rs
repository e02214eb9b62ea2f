//! `evaluate --resolutions`: one model at several input resolutions, each image decoded once,
//! compared like models (McNemar between every pair).

use crate::common;

#[test]
fn resolutions_compare_one_model_at_lowered_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 4);
    let data = tmp.path().to_str().unwrap();
    let model = "assets/models/fashion_cnn.json";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["evaluate", data, "--model", model, "--format", "json"])
        .args(["--resolutions", "7,14,112,full", "--resamples", "50"])
        .current_dir(common::repo())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sets = v["sets"].as_array().unwrap();
    let names: Vec<&str> = sets.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 4);
    assert!(
        names[0].ends_with("@ 7 px") && names[3].ends_with("@ full"),
        "{names:?}"
    );
    assert_eq!(v["pairs"].as_array().unwrap().len(), 6);
    // The 112 px images are no larger than 112: that setting is the full one, sample for sample.
    let pair = v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["first"] == 2 && p["second"] == 3)
        .unwrap();
    assert_eq!(pair["comparison"]["disagree"], 0, "{pair}");
    let acc = |k: usize| sets[k]["accuracy"].as_f64().unwrap();
    assert_eq!(acc(2), acc(3));
    // A quarter of the pixels costs accuracy.
    assert!(acc(0) < acc(3), "7 px {} vs full {}", acc(0), acc(3));

    let plain = common::labelscope_ok(&[
        "evaluate",
        data,
        "--model",
        &common::repo().join(model).display().to_string(),
        "--format",
        "json",
    ]);
    let plain: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain["accuracy"].as_f64(), Some(acc(3)));
}

#[test]
fn vlm_max_side_lists_compare_the_same_images_sent_at_each_side() {
    let tmp = tempfile::tempdir().unwrap();
    common::fashion_subset(tmp.path(), 1);
    let answers: Vec<(u16, String)> = (0..20)
        .map(|k| {
            let label = if k % 3 == 0 { "Bag" } else { "Coat" };
            (
                200,
                common::completion(&format!("{{\"label\": \"{label}\"}}")),
            )
        })
        .collect();
    let (url, seen) = common::canned_vlm_server(answers);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["evaluate", tmp.path().to_str().unwrap(), "--format", "json"])
        .args(["--vlm-endpoint", &url, "--vlm-model", "test-vlm"])
        .args(["--vlm-concurrency", "1", "--vlm-max-side", "64,128"])
        .args(["--resamples", "20"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].ends_with("@ 64 px") && names[1].ends_with("@ 128 px"),
        "{names:?}"
    );
    assert_eq!(v["pairs"].as_array().unwrap().len(), 1);
    // Ten images at each side: the 64 px ones are smaller than the 112 px originals.
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 20);
    let url_len = |r: &serde_json::Value| {
        r["messages"][1]["content"][0]["image_url"]["url"]
            .as_str()
            .unwrap()
            .len()
    };
    let small: usize = requests[..10].iter().map(url_len).sum();
    let large: usize = requests[10..].iter().map(url_len).sum();
    assert!(small < large, "{small} vs {large}");
}
