//! Preprocessing equals the Python pipelines it names, checked against reference outputs made
//! with Pillow, OpenCV, the torchvision formulas and onnxruntime from PyPI by
//! `scripts/make_preprocess_reference.py` (committed in `tests/fixtures/preprocess/`): the
//! pixels the model sees, per fixture and pipeline, and EfficientNet-Lite0's probabilities
//! with both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use labelscope::dataset::image_io::{decode_for_model, decode_image};
use labelscope::model::preprocess::{prepare_pixels, preprocess};
use labelscope::model::spec::{ExifOrientation, InputSpec};
use labelscope::model::{BackendKind, load_model, resolve_backend};

fn dir() -> PathBuf {
    common::repo().join("tests/fixtures/preprocess")
}

fn reference() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir().join("reference.json")).unwrap()).unwrap()
}

/// The spec of each pipeline of the reference script.
fn pipelines() -> Vec<(&'static str, InputSpec)> {
    let spec = |json: serde_json::Value| -> InputSpec { serde_json::from_value(json).unwrap() };
    let base = |resize: &str, w: u32, h: u32, interp: &str, color: &str| {
        serde_json::json!({"layout": "NCHW", "color": color, "height": h, "width": w,
            "resize": resize, "interpolation": interp, "mean": [0.0], "std": [1.0]})
    };
    let mut imagenet = base("shorter_side_center_crop", 224, 224, "bilinear", "RGB");
    imagenet["resize_shorter_to"] = 256.into();
    let opencv = |mut j: serde_json::Value| {
        j["resize_library"] = "opencv".into();
        j
    };
    let cv_crop = imagenet.clone();
    let mut imagenet_exif = imagenet.clone();
    imagenet_exif["exif_orientation"] = "apply".into();
    vec![
        ("imagenet", spec(imagenet)),
        ("imagenet_exif", spec(imagenet_exif)),
        ("stretch", spec(base("stretch", 64, 48, "bicubic", "RGB"))),
        (
            "letterbox",
            spec(base("letterbox", 96, 96, "bilinear", "RGB")),
        ),
        ("grey_box", spec(base("stretch", 28, 28, "box", "L"))),
        ("nearest", spec(base("stretch", 40, 30, "nearest", "RGB"))),
        (
            "cv_stretch",
            spec(opencv(base("stretch", 64, 48, "bilinear", "RGB"))),
        ),
        ("cv_crop", spec(opencv(cv_crop))),
        (
            "cv_grey",
            spec(opencv(base("stretch", 28, 28, "bilinear", "L"))),
        ),
    ]
}

#[test]
fn the_model_sees_exactly_what_the_python_pipeline_gives_it() {
    let reference = reference();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for name in reference["fixtures"].as_object().unwrap().keys() {
        for (pipe, mut spec) in pipelines() {
            if pipe == "cv_grey" && name == "grey.png" {
                // An exact 2x reduction, which OpenCV takes as a 2x2 average.
                (spec.width, spec.height) = (60, 60);
            }
            let apply = spec.exif_orientation == ExifOrientation::Apply;
            let (img, exif) = decode_for_model(&dir().join(name), apply).unwrap();
            assert_eq!(
                exif.is_some_and(|o| o != 1),
                name.starts_with("exif6"),
                "{name}"
            );
            let got = prepare_pixels(&img, &spec).unwrap();
            let want = image::open(dir().join(format!("expected/{name}__{pipe}.png"))).unwrap();
            let want = if got.channels == 1 {
                want.to_luma8().into_raw()
            } else {
                want.to_rgb8().into_raw()
            };
            assert_eq!(got.pixels.len(), want.len(), "{name} {pipe}");
            let diff: Vec<i32> = got
                .pixels
                .iter()
                .zip(&want)
                .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
                .collect();
            let max = diff.iter().copied().max().unwrap_or(0);
            let n = diff.iter().filter(|&&d| d > 0).count();
            if max > 0 {
                mismatches.push(format!(
                    "{name} {pipe}: {n} of {} values differ, by at most {max}",
                    diff.len()
                ));
            }
            checked += 1;
        }
    }
    // 11 lossless fixtures and 6 JPEGs (subsampling, progressive, grey, CMYK, EXIF), 9 pipelines.
    assert_eq!(checked, 17 * 9);
    assert!(
        mismatches.is_empty(),
        "not bit-exact:\n{}",
        mismatches.join("\n")
    );
}

/// Runs EfficientNet-Lite0 on every fixture with `kind`, checks top-1 and probabilities
/// against onnxruntime in Python, and returns the probabilities per fixture.
fn check_probabilities(kind: BackendKind) -> Vec<Vec<f32>> {
    let reference = reference();
    let model =
        load_model(&common::repo().join("assets/models/efficientnet_lite0_fp16w.json")).unwrap();
    let backend = resolve_backend(kind, &model).unwrap();
    let mut instance = backend.factory.create().unwrap();
    let mut worst = 0f64;
    let mut all = Vec::new();
    for (name, entry) in reference["fixtures"].as_object().unwrap() {
        let img = decode_image(&dir().join(name)).unwrap();
        let tensor = preprocess(&img, &model.spec.input).unwrap();
        let logits = instance.run(&tensor, 1).unwrap().remove(0);
        let probs = labelscope::model::mapping::softmax(&logits);
        let top = probs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        let top5 = entry["top5"].as_array().unwrap();
        assert_eq!(top as u64, top5[0][0].as_u64().unwrap(), "{name} top-1");
        for t in top5 {
            let (k, p) = (t[0].as_u64().unwrap() as usize, t[1].as_f64().unwrap());
            worst = worst.max((f64::from(probs[k]) - p).abs());
        }
        all.push(probs);
    }
    assert!(worst < 1e-4, "{kind}: probabilities differ by {worst}");
    eprintln!("{kind}: largest probability difference to onnxruntime in Python {worst:.2e}");
    all
}

#[test]
fn tract_gives_the_reference_probabilities() {
    check_probabilities(BackendKind::Tract);
}

#[test]
fn onnx_runtime_gives_the_reference_probabilities() {
    if labelscope::model::backend::load_onnxruntime().is_err() && !common::ort_required() {
        eprintln!("skipped: ONNX Runtime not found");
        return;
    }
    let ort = check_probabilities(BackendKind::OnnxRuntime);
    let tract = check_probabilities(BackendKind::Tract);
    let worst = ort
        .iter()
        .flatten()
        .zip(tract.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-4, "tract and ONNX Runtime differ by {worst}");
}
