//! Fixture helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

#[cfg(feature = "gui")]
pub mod ui;

/// The crate's root folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes a small real PNG (a solid colour) at `path`, creating folders.
pub fn png(path: &Path, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(8, 6, image::Rgb(rgb))
        .save(path)
        .unwrap();
}

/// Writes `text` at `path`, creating folders.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Copies `n_per_class` images of each class folder of the bundled Fashion sample into `dst`
/// (with its classes.json), so tests can write caches without touching the repository.
pub fn fashion_subset(dst: &Path, n_per_class: usize) {
    let src = repo().join("sample_data/fashion");
    std::fs::copy(src.join("classes.json"), dst.join("classes.json")).unwrap();
    let mut dirs: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    dirs.sort_by_key(|e| e.file_name());
    for d in dirs {
        let out = dst.join(d.file_name());
        std::fs::create_dir_all(&out).unwrap();
        let mut files: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files.into_iter().take(n_per_class) {
            std::fs::copy(&f, out.join(f.file_name().unwrap())).unwrap();
        }
    }
}

/// Whether the ONNX Runtime tests must run (CI sets LABELSCOPE_REQUIRE_ORT=1 after installing
/// the onnxruntime wheel); otherwise they are skipped when no library is found.
pub fn ort_required() -> bool {
    std::env::var("LABELSCOPE_REQUIRE_ORT").is_ok_and(|v| v == "1")
}
