//! A fake vLLM for the VLM scoring tests: constrained answers, and `prompt_logprobs` in vLLM's
//! shape for continuation requests, from a known score per (image, label).
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::{Value, json};

/// The fake model's log-score of label `j` for the `k`-th image it sees.
pub fn score(k: usize, j: usize, n: usize) -> f64 {
    -0.3 * (j as f64 - (k % n) as f64).abs() - 0.05 * j as f64
}

pub fn softmax(s: &[f64]) -> Vec<f64> {
    let top = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = s.iter().map(|v| (v - top).exp()).collect();
    let z: f64 = e.iter().sum();
    e.iter().map(|v| v / z).collect()
}

/// vLLM's `prompt_logprobs`: `null` first, then `{token_id: {logprob, rank, decoded_token}}`.
fn prompt_logprobs(tokens: &[(String, f64)]) -> Value {
    let mut out = vec![Value::Null];
    for (i, (t, lp)) in tokens.iter().enumerate() {
        out.push(json!({(500 + i).to_string(): {"logprob": lp, "rank": 1, "decoded_token": t}}));
    }
    Value::Array(out)
}

/// A fake vLLM: the answer is the label with the highest score; a continuation request gets
/// the chat template's tokens, then the written answer in tokens of at most three characters,
/// the label's score spread evenly over the tokens after `{"label":`.
pub fn fake_vllm(labels: Vec<String>) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    let mut images: Vec<String> = Vec::new();
    super::vlm_server(move |req| {
        let url = req["messages"][1]["content"][0]["image_url"]["url"]
            .as_str()?
            .to_string();
        let k = match images.iter().position(|u| *u == url) {
            Some(k) => k,
            None => {
                images.push(url);
                images.len() - 1
            }
        };
        let n = labels.len();
        if req["continue_final_message"] != json!(true) {
            let best = (0..n)
                .max_by(|&a, &b| score(k, a, n).total_cmp(&score(k, b, n)))
                .unwrap();
            let answer = json!({"label": labels[best]}).to_string();
            return Some((200, super::completion(&answer)));
        }
        assert_eq!(req["prompt_logprobs"], 0);
        assert_eq!(req["add_generation_prompt"], false);
        assert!(req.get("response_format").is_none());
        let written = req["messages"].as_array()?.last()?["content"].as_str()?;
        let label = serde_json::from_str::<Value>(written).ok()?["label"]
            .as_str()?
            .to_string();
        let j = labels.iter().position(|l| *l == label)?;
        let chars: Vec<char> = label.chars().collect();
        let mut scored: Vec<String> = vec![" \"".into()];
        scored.extend(chars.chunks(3).map(|c| c.iter().collect::<String>()));
        scored.push("\"}".into());
        let each = score(k, j, n) / scored.len() as f64;
        let mut tokens: Vec<(String, f64)> = [
            ("<|im_start|>", -11.0),
            ("assistant", -0.4),
            ("\n", -0.01),
            ("{\"", -0.02),
            ("label", 0.0),
            ("\":", 0.0),
        ]
        .iter()
        .map(|(t, lp)| (t.to_string(), *lp))
        .collect();
        tokens.extend(scored.into_iter().map(|t| (t, each)));
        let body = json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ""}}],
            "prompt_logprobs": prompt_logprobs(&tokens),
        });
        Some((200, body.to_string()))
    })
}
