//! `evaluate --resolutions`: one model at several input resolutions, each image decoded once,
//! compared like models (McNemar between every pair); a VLM at several `--vlm-max-side`s and
//! with several `--prompt-file`s, the same way.

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

/// A model whose ONNX input has named height and width also runs *at* each lowered size
/// (`@ 14 px input`): its answers are those of the same ONNX declared 14x14 in its own spec,
/// and differ from feeding the lowered image back up at the declared 28x28.
#[test]
fn a_dynamic_input_model_also_runs_at_the_lowered_input_size() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 6);
    let fixture = common::repo().join("tests/fixtures/models");
    let evaluate = |spec: &std::path::Path| -> serde_json::Value {
        let out = common::labelscope_ok(&[
            "evaluate",
            data.to_str().unwrap(),
            "--model",
            spec.to_str().unwrap(),
            "--format",
            "json",
            "--resolutions",
            "14,full",
            "--resamples",
            "20",
        ]);
        serde_json::from_slice(&out).unwrap()
    };
    let v = evaluate(&fixture.join("dynamic_cnn.json"));
    let sets = v["sets"].as_array().unwrap();
    let names: Vec<&str> = sets.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].ends_with("@ 14 px"), "{names:?}");
    assert!(names[1].ends_with("@ 14 px input"), "{names:?}");
    assert!(names[2].ends_with("@ full"), "{names:?}");
    let pair = v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["first"] == 0 && p["second"] == 1)
        .unwrap();
    assert!(
        pair["comparison"]["disagree"].as_u64().unwrap() > 0,
        "the input size changes answers: {pair}"
    );

    // The same ONNX file with a spec that declares 14x14.
    let own = tmp.path().join("model");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::copy(
        fixture.join("dynamic_cnn.onnx"),
        own.join("dynamic_cnn.onnx"),
    )
    .unwrap();
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture.join("dynamic_cnn.json")).unwrap()).unwrap();
    spec["input"]["height"] = 14.into();
    spec["input"]["width"] = 14.into();
    let spec_path = own.join("dynamic_cnn.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let declared = evaluate(&spec_path);
    let at14 = &declared["sets"][0];
    assert!(
        at14["name"].as_str().unwrap().ends_with("@ 14 px"),
        "{at14}"
    );
    for key in [
        "accuracy",
        "balanced_accuracy",
        "macro_f1",
        "ece",
        "num_evaluated",
    ] {
        assert_eq!(sets[1][key], at14[key], "{key}");
    }
    assert_eq!(sets[1]["num_evaluated"], 60);
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

#[test]
fn two_prompt_files_are_compared_on_the_same_images() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 1);
    let (a, b) = (tmp.path().join("terse.txt"), tmp.path().join("careful.txt"));
    std::fs::write(&a, "Answer with a label from {labels}.").unwrap();
    std::fs::write(&b, "You are careful. Look twice.\n---\nWhich of {labels}?").unwrap();
    // Prompt A is always "Bag"; prompt B gets every image right.
    let mut answers: Vec<(u16, String)> = (0..10)
        .map(|_| (200, common::completion("{\"label\": \"Bag\"}")))
        .collect();
    let mut classes: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    classes.sort();
    let names: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("classes.json")).unwrap()).unwrap();
    for c in &classes {
        let label = names
            .as_array()
            .and_then(|l| l.iter().find(|e| e["folder"] == c.as_str()))
            .and_then(|e| e["label"].as_str())
            .unwrap_or(c)
            .to_string();
        answers.push((
            200,
            common::completion(&format!("{{\"label\": {label:?}}}")),
        ));
    }
    let (url, seen) = common::canned_vlm_server(answers);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["evaluate", data.to_str().unwrap(), "--format", "json"])
        .args([
            "--vlm-endpoint",
            &url,
            "--vlm-model",
            "test-vlm",
            "--vlm-concurrency",
            "1",
        ])
        .arg("--prompt-file")
        .arg(&a)
        .arg("--prompt-file")
        .arg(&b)
        .args(["--resamples", "20"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sets = v["sets"].as_array().unwrap();
    assert!(
        sets[0]["name"].as_str().unwrap().ends_with("prompt terse"),
        "{v}"
    );
    assert!(
        sets[1]["name"]
            .as_str()
            .unwrap()
            .ends_with("prompt careful"),
        "{v}"
    );
    assert_eq!(sets[0]["accuracy"].as_f64(), Some(0.1));
    assert_eq!(sets[1]["accuracy"].as_f64(), Some(1.0));
    let pair = &v["pairs"][0]["significance"];
    assert_eq!(
        (
            pair["only_first_right"].as_u64(),
            pair["only_second_right"].as_u64()
        ),
        (Some(0), Some(9))
    );
    let requests = seen.lock().unwrap().clone();
    let system = |r: &serde_json::Value| r["messages"][0]["content"].as_str().unwrap().to_string();
    assert!(system(&requests[0]).starts_with("Answer with a label"));
    assert!(system(&requests[10]).starts_with("You are careful"));
}
