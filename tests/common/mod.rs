//! Fixture helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

pub mod fake_vllm;
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

/// Copies the Hugging Face Hub-style fixture (`tests/fixtures/hf/hub`: three Parquet shards and
/// the one image a row names by path) to `dst`.
pub fn copy_hf_hub(dst: &Path) {
    let src = repo().join("tests/fixtures/hf/hub");
    for rel in [
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
        "data/test-00000-of-00001.parquet",
        "images/extra.png",
    ] {
        std::fs::create_dir_all(dst.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), dst.join(rel)).unwrap();
    }
}

/// Writes `text` at `path`, creating folders.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Writes `n` tiny PNGs `cat/1.png`, `cat/2.png`, `dog/3.png` ... `dog/<n>.png` (two cats, the
/// rest dogs; sample `k` is filled with grey level `k`) into `dir`.
pub fn cat_dog(dir: &Path, n: u8) {
    for k in 1..=n {
        let class = if k <= 2 { "cat" } else { "dog" };
        png(&dir.join(format!("{class}/{k}.png")), [k, k, k]);
    }
}

/// A user data folder for the commands the tests run (state of read-only datasets, `select`'s
/// pool caches): a folder in cargo's temporary folder for tests, never the home of whoever runs
/// them.
pub fn data_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-home")
}

/// Runs the built `labelscope` with `args` (its user data folder [`data_home`]); its stdout.
/// Fails the test (with stderr) when it exits non-zero.
pub fn labelscope_ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .env("XDG_DATA_HOME", data_home())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "labelscope failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `labelscope evaluate DATA --format json --predictions P...` with the built binary: the
/// printed JSON and stderr; fails the test when it exits non-zero.
pub fn evaluate_json(data: &Path, predictions: &[&Path]) -> (serde_json::Value, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"));
    cmd.args(["evaluate", data.to_str().unwrap(), "--format", "json"])
        .current_dir(repo());
    for p in predictions {
        cmd.arg("--predictions").arg(p);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
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

/// A tiny OpenAI-compatible server on 127.0.0.1 answering canned completions in order, checking
/// each request; returns its URL and the requests it saw.
pub fn canned_vlm_server(
    answers: Vec<(u16, String)>,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let mut answers = answers.into_iter();
    vlm_server(move |_| answers.next())
}

/// A tiny OpenAI-compatible server on 127.0.0.1 answering each request (one at a time) with
/// what `respond` makes of its JSON body (status, body), until it returns `None`; returns its
/// URL and the requests it saw.
pub fn vlm_server(
    mut respond: impl FnMut(&serde_json::Value) -> Option<(u16, String)> + Send + 'static,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = std::thread::Builder::new().name("canned-vlm".into());
    let _ = server.spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut line, mut len) = (String::new(), 0usize);
            reader.read_line(&mut line).unwrap();
            assert!(line.starts_with("POST /v1/chat/completions"), "{line}");
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut buf = vec![0; len];
            reader.read_exact(&mut buf).unwrap();
            let request: serde_json::Value = serde_json::from_slice(&buf).unwrap();
            let Some((status, body)) = respond(&request) else {
                break;
            };
            log.lock().unwrap().push(request);
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
        }
    });
    (url, seen)
}

/// An OpenAI chat-completions response whose message is `content`.
pub fn completion(content: &str) -> String {
    serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]})
        .to_string()
}

/// Every file under `dir` with its bytes, sorted (the `.labelscope` state folder left out): what
/// a command must leave as it was.
#[allow(dead_code)]
pub fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".labelscope")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}
