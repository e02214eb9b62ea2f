//! Preprocessing equals the Python pipelines it names, checked against reference outputs made
//! with Pillow, OpenCV, the torchvision formulas and onnxruntime from PyPI by
//! `scripts/make_preprocess_reference.py` (committed in `tests/fixtures/preprocess/`): the
//! pixels the model sees, per fixture and pipeline, and EfficientNet-Lite0's probabilities
//! with both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

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
            "cv_area",
            spec(opencv(base("stretch", 64, 48, "area", "RGB"))),
        ),
        (
            "cv_area_tall",
            spec(opencv(base("stretch", 40, 200, "area", "RGB"))),
        ),
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
            if pipe == "cv_area" && name == "grey.png" {
                // An exact 3x reduction: OpenCV's integer block mean.
                (spec.width, spec.height) = (40, 40);
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
    // 11 lossless fixtures and 6 JPEGs (subsampling, progressive, grey, CMYK, EXIF), 11 pipelines.
    assert_eq!(checked, 17 * 11);
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
        let logits = instance.run(&tensor, 1).unwrap().remove(0).logits;
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

/// The synthetic image of `scripts/make_preprocess_reference.py` (`synthetic`).
fn synthetic(w: usize, h: usize, c: usize, seed: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(w * h * c);
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                let a = x * 31 + y * 17 + ch * 57 + seed * 13;
                let b = (x * y * 7 + seed) & 0xFF;
                v.push(((a ^ b) & 0xFF) as u8);
            }
        }
    }
    v
}

/// The script's `checksum`: a position-weighted sum modulo 2^32.
fn checksum(data: &[u8]) -> u64 {
    let total: u64 = data
        .iter()
        .enumerate()
        .map(|(i, &v)| u64::from(v) * (i as u64 % 251 + 1))
        .sum();
    total % (1 << 32)
}

#[test]
fn opencv_linear_and_area_match_cv2_on_200_random_sizes() {
    use labelscope::model::cv_area::resize_area;
    use labelscope::model::cv_resize::resize_linear;
    use labelscope::model::pil_resize::Pixels;
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("cv_random.json")).unwrap()).unwrap();
    let mut wrong = Vec::new();
    let cases = cases["cases"].as_array().unwrap();
    for case in cases {
        let n = |k: &str, i: usize| case[k][i].as_u64().unwrap() as usize;
        let (sw, sh, dw, dh) = (n("src", 0), n("src", 1), n("dst", 0), n("dst", 1));
        let c = case["channels"].as_u64().unwrap() as usize;
        let seed = case["seed"].as_u64().unwrap() as usize;
        let src = Pixels {
            width: sw,
            height: sh,
            channels: c,
            data: synthetic(sw, sh, c, seed),
        };
        let kind = case["interpolation"].as_str().unwrap();
        let out = match kind {
            "area" => resize_area(&src, dw, dh),
            _ => resize_linear(&src, dw, dh),
        };
        if checksum(&out.data) != case["checksum"].as_u64().unwrap() {
            wrong.push(format!("{kind} {sw}x{sh}x{c} -> {dw}x{dh}"));
        }
    }
    assert_eq!(cases.len(), 400);
    assert!(
        wrong.is_empty(),
        "{} differ from cv2:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
