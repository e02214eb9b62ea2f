//! `--vlm-scoring continuation` against a fake vLLM that returns `prompt_logprobs` in vLLM's
//! shape: each label's whole answer (multi-token labels sharing first characters, the closing
//! quote and brace) is summed and the scores renormalised per image; a server without prompt
//! log-probabilities (llama-server's shape) stops the run with a clear error.

use crate::common;
use crate::common::fake_vllm::{fake_vllm, score, softmax};

#[test]
fn each_label_is_scored_as_a_whole_continuation_and_renormalised() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    common::fashion_subset(&data, 1);
    // The dataset's classes, in its own order (classes.json), are what the requests list;
    // `T-shirt/top`, `Trouser` and `Shirt` share characters and span several tokens.
    let classes: Vec<String> = {
        let ds = labelscope::dataset::open_dataset(&data, &Default::default()).unwrap();
        ds.classes.clone()
    };
    let (url, seen) = fake_vllm(classes.clone());
    let preds = tmp.path().join("preds.csv");
    common::labelscope_ok(&[
        "predict",
        data.to_str().unwrap(),
        "--vlm-endpoint",
        &url,
        "--vlm-model",
        "fake-vllm",
        "--vlm-scoring",
        "continuation",
        "--vlm-concurrency",
        "3",
        "--out",
        preds.to_str().unwrap(),
    ]);
    let n = classes.len();
    assert_eq!(
        seen.lock().unwrap().len(),
        10 * (1 + n),
        "one answer and one request a label"
    );
    let t = labelscope::table::read_table(&preds).unwrap();
    let cell = |col: &str, row: usize| t.column(col).unwrap()[row].clone().unwrap();
    let mut used = [false; 10];
    for row in 0..10 {
        let probs: Vec<f64> = classes
            .iter()
            .map(|c| cell(&format!("prob_{c}"), row).parse().unwrap())
            .collect();
        // Which image (in the order the server saw them) this row is.
        let k = (0..10)
            .find(|&k| {
                let s: Vec<f64> = (0..n).map(|j| score(k, j, n)).collect();
                softmax(&s)
                    .iter()
                    .zip(&probs)
                    .all(|(want, got)| (want - got).abs() < 1e-5)
            })
            .unwrap_or_else(|| panic!("row {row}: {probs:?} is no image's renormalised scores"));
        assert!(!used[k], "two rows took image {k}'s scores");
        used[k] = true;
        let best = (0..n)
            .max_by(|&a, &b| score(k, a, n).total_cmp(&score(k, b, n)))
            .unwrap();
        assert_eq!(cell("pred", row), classes[best]);
    }
}

#[test]
fn a_server_without_prompt_logprobs_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    common::cat_dog(tmp.path(), 4);
    // llama-server's answer to a continuation request: a completion, no prompt_logprobs.
    let (url, _) = common::vlm_server(|_| Some((200, common::completion("{\"label\": \"cat\"}"))));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(["predict", tmp.path().to_str().unwrap()])
        .args(["--vlm-endpoint", &url, "--vlm-model", "llama"])
        .args(["--vlm-scoring", "continuation", "--vlm-concurrency", "1"])
        .args(["--out", tmp.path().join("p.csv").to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("prompt_logprobs") && err.contains("--vlm-scoring answer"),
        "{err}"
    );
}
