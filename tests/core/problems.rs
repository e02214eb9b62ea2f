//! Finding problems: text detector on text vs plain images, near duplicates of a resized and
//! re-encoded copy, the pixel-limit refusal, odd images, and `labelscope issues` on the sample.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

use labelscope::model::{BackendKind, resolve_backend};
use labelscope::problems::text::{TextOptions, detect_text, input_size, text_model};
use labelscope::problems::{FindingKind, ProblemOptions, find_problems, image_facts};

/// A PNG whose header claims `w x h` pixels, with a tiny (invalid) body.
fn huge_png(path: &Path, w: u32, h: u32) {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend(data);
        out.extend(&crc_input);
        out.extend(crc32(&crc_input).to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    std::fs::write(path, png).unwrap();
}

#[test]
fn the_text_detector_flags_an_overlay_and_not_the_plain_image() {
    let repo = common::repo();
    let tmp = tempfile::tempdir().unwrap();
    // The same kind of garment with and without a "(c) 2024 StyleCo" line (sample injections).
    let with_text = repo.join("sample_data/fashion/Ankle boot/test_05315.png");
    let plain = repo.join("sample_data/fashion/Ankle boot/test_00000.png");
    std::fs::create_dir(tmp.path().join("boot")).unwrap();
    std::fs::copy(&with_text, tmp.path().join("boot/text.png")).unwrap();
    std::fs::copy(&plain, tmp.path().join("boot/plain.png")).unwrap();
    let ds = labelscope::dataset::open_dataset(tmp.path(), &Default::default()).unwrap();
    let opts = TextOptions::default();
    assert_eq!(input_size(&ds, &opts), 288, "2.3 x 112 rounded up to 32");
    let model = text_model(&tmp.path().join("models"), input_size(&ds, &opts)).unwrap();
    let backend = resolve_backend(BackendKind::Tract, &model).unwrap();
    let results = detect_text(&ds, &model, &backend, &opts, None, 1, &Default::default()).unwrap();
    let by_name = |n: &str| {
        let i = ds.samples.iter().position(|s| s.id.0.ends_with(n)).unwrap();
        results[i].clone().unwrap().unwrap()
    };
    let text = by_name("text.png");
    assert!(text.flagged(&opts), "{text:?}");
    let line = text.lines(&opts).next().unwrap();
    assert!(
        line.y0 > 80.0,
        "the copyright line is at the bottom: {line:?}"
    );
    assert!(!by_name("plain.png").flagged(&opts));
}

#[test]
fn a_resized_reencoded_copy_is_a_near_duplicate_and_bombs_and_odd_images_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let chelsea = image::open(common::repo().join("sample_data/photos/chelsea.png")).unwrap();
    std::fs::create_dir_all(root.join("cat")).unwrap();
    std::fs::create_dir_all(root.join("other")).unwrap();
    chelsea.save(root.join("cat/original.png")).unwrap();
    chelsea
        .resize(225, 150, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .save(root.join("cat/small.jpg"))
        .unwrap();
    let coffee = image::open(common::repo().join("sample_data/photos/coffee.png")).unwrap();
    coffee.save(root.join("other/coffee.png")).unwrap();
    let photo = |n: &str| image::open(common::repo().join("sample_data/photos").join(n)).unwrap();
    photo("astronaut.png")
        .grayscale()
        .save(root.join("other/gray.png"))
        .unwrap();
    photo("rocket.jpg")
        .resize_exact(400, 40, image::imageops::FilterType::Triangle)
        .save(root.join("other/strip.png"))
        .unwrap();
    huge_png(&root.join("other/bomb.png"), 60_000, 60_000);
    std::fs::write(root.join("other/empty.png"), b"").unwrap();
    let bomb = image_facts(&root.join("other/bomb.png"));
    assert!(
        bomb.error.as_deref().unwrap().contains("too large"),
        "{bomb:?}"
    );
    let ds = labelscope::dataset::open_dataset(root, &Default::default()).unwrap();
    let opts = ProblemOptions {
        kinds: vec![
            FindingKind::Duplicate,
            FindingKind::Unreadable,
            FindingKind::Odd,
        ],
        ..Default::default()
    };
    let p = find_problems(&ds, Default::default(), &opts, None, &Default::default()).unwrap();
    let of = |name: &str, kind| {
        p.findings
            .iter()
            .filter(|f| f.kind == kind && ds.samples[f.sample].id.0.ends_with(name))
            .map(|f| f.detail.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(p.groups.len(), 1, "{:?}", p.groups);
    assert!(of("small.jpg", FindingKind::Duplicate)[0].contains("near copy of cat/original.png"));
    assert!(of("coffee.png", FindingKind::Duplicate).is_empty());
    assert!(of("bomb.png", FindingKind::Unreadable)[0].contains("too large"));
    assert!(of("empty.png", FindingKind::Unreadable)[0].contains("empty"));
    assert_eq!(
        of("gray.png", FindingKind::Odd)[0],
        "colour mode greyscale, while most of the dataset is RGB"
    );
    assert!(
        of("strip.png", FindingKind::Odd)
            .iter()
            .any(|d| d.contains("aspect"))
    );
}

#[test]
fn issues_cli_ranks_the_injected_flips_and_watermarks() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fashion");
    let src = common::repo().join("sample_data/fashion");
    for e in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let rel = e.path().strip_prefix(&src).unwrap();
        if e.file_type().is_dir() {
            std::fs::create_dir_all(data.join(rel)).unwrap();
        } else if !rel.starts_with(".labelscope") {
            std::fs::copy(e.path(), data.join(rel)).unwrap();
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["issues", data.to_str().unwrap(), "--model"])
        .arg(common::repo().join("assets/models/fashion_cnn.onnx"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let injections =
        std::fs::read_to_string(common::repo().join("sample_data/fashion_injections.csv")).unwrap();
    let injected = |kind: &str| -> std::collections::HashSet<String> {
        injections
            .lines()
            .filter(|l| l.split(',').nth(1) == Some(kind))
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let (flips, texts) = (injected("label_flip"), injected("text"));
    let of_kind =
        |k: &str| -> Vec<&serde_json::Value> { rows.iter().filter(|r| r["kind"] == k).collect() };
    let labels = of_kind("label");
    for r in &labels {
        for key in ["path", "kind", "score", "label", "suggested"] {
            assert!(!r[key].is_null(), "{key} in {r}");
        }
    }
    // The flips come near the top of the label-issue ranking: at least 28 of the first 36.
    let top: usize = labels
        .iter()
        .take(flips.len())
        .filter(|r| flips.contains(r["path"].as_str().unwrap()))
        .count();
    assert!(
        top >= 28,
        "{top} of the first {} label issues are injected flips",
        flips.len()
    );
    let text_hits = of_kind("text")
        .iter()
        .filter(|r| texts.contains(r["path"].as_str().unwrap()))
        .count();
    assert!(
        text_hits >= 20,
        "{text_hits} of {} watermarked images flagged",
        texts.len()
    );
    // Most suspicious first.
    let scores: Vec<f64> = rows.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn colour_modes_are_named_as_people_say_them() {
    use labelscope::problems::colour_name;
    assert_eq!(colour_name("Rgb8"), "RGB");
    assert_eq!(colour_name("L8"), "greyscale");
    assert_eq!(colour_name("La16"), "16-bit greyscale with alpha");
    assert_eq!(colour_name("Cmyk8"), "CMYK");
    assert_eq!(colour_name("Rgb32F"), "32-bit float RGB");
    assert_eq!(colour_name("Unknown"), "Unknown");
}

/// The text check on held-out photos (`tests/fixtures/text_photos`, made by
/// `scripts/make_text_photos.py`): 24 clean photos, half of them fine textures (brick, grass,
/// gravel, coins, cells), and the same 24 with a banner, caption, corner watermark, tiled
/// watermark, title or shop name. On the defaults precision is at least 0.95 and recall at least
/// 0.9 (measured: 22 of 24, the misses translucent tiled watermarks over grass and stained
/// tissue, where the detector sees nothing); every finding says how sure the detector was.
#[test]
fn the_text_check_is_precise_on_textured_photos_and_finds_every_style() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("photos");
    let src = common::repo().join("tests/fixtures/text_photos");
    for sub in ["clean", "text"] {
        std::fs::create_dir_all(data.join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, data.join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    let stdout = common::labelscope_ok(&[
        "issues",
        data.to_str().unwrap(),
        "--kinds",
        "text",
        "--format",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&stdout).unwrap();
    let flagged: Vec<&str> = rows.iter().map(|r| r["path"].as_str().unwrap()).collect();
    let styles = std::fs::read_to_string(src.join("styles.csv")).unwrap();
    let texted: Vec<(&str, &str)> = styles
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .filter(|(p, _)| p.starts_with("text/"))
        .collect();
    assert_eq!(texted.len(), 24);
    let missed: Vec<_> = texted
        .iter()
        .filter(|(p, _)| !flagged.contains(p))
        .collect();
    let false_alarms: Vec<_> = flagged.iter().filter(|p| p.starts_with("clean/")).collect();
    let hits = texted.len() - missed.len();
    let precision = hits as f64 / flagged.len().max(1) as f64;
    let recall = hits as f64 / texted.len() as f64;
    assert!(
        precision >= 0.95 && recall >= 0.9,
        "precision {precision:.3}, recall {recall:.3}; missed {missed:?}; false alarms {false_alarms:?}"
    );
    for r in &rows {
        let detail = r["detail"].as_str().unwrap();
        assert!(detail.contains("detector"), "{detail}");
    }
}
