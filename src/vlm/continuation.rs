//! Forced-choice scoring by continuation: for each label, one request whose last message is the
//! assistant's answer already written (`{"label": "<label>"}`), continued rather than closed
//! (`continue_final_message`, no generation prompt), asking for the log-probability of every
//! prompt token (`prompt_logprobs`, vLLM's extension of the chat API). A label's score is the
//! sum of the log-probabilities of the tokens after `{"label":`, its closing quote and brace
//! included; the scores are renormalised over the labels (a softmax). Unlike scoring along the
//! generated answer ([`super::label_scores`]), nothing is taken as forced: every token of every
//! label is the model's own probability. One request per label and image; a server without
//! prompt log-probabilities (llama-server) is told apart with a clear error.

use serde_json::{Value, json};

use super::error::VlmError;

/// The answer the assistant is made to have given: `{"label": "<label>"}`, the label as a JSON
/// string (so a quote in it is escaped as the constrained answer would have it).
pub fn answer_text(label: &str) -> String {
    format!(
        "{{\"label\": {}}}",
        serde_json::to_string(label).unwrap_or_default()
    )
}

/// Where a label's scored part begins in [`answer_text`]: right after `{"label":`.
const ANCHOR: usize = "{\"label\":".len();

/// The request scoring `label` as the continuation of the prompt: `answer` (the usual request
/// body for the image, see [`super::protocol::request_body`]) with the answer appended as an
/// assistant message to continue, no sampling worth the name (one token) and the prompt's
/// log-probabilities asked for.
pub fn continuation_body(answer: &Value, label: &str) -> Value {
    let mut body = answer.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("response_format");
        o.remove("logprobs");
        o.remove("top_logprobs");
        o.insert("max_tokens".into(), json!(1));
        o.insert("prompt_logprobs".into(), json!(0));
        o.insert("add_generation_prompt".into(), json!(false));
        o.insert("continue_final_message".into(), json!(true));
        if let Some(m) = o.get_mut("messages").and_then(Value::as_array_mut) {
            m.push(json!({"role": "assistant", "content": answer_text(label)}));
        }
    }
    body
}

/// One prompt position's candidates: `(decoded text, log-probability)`.
fn candidates(position: &Value) -> Vec<(String, f64)> {
    position
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|v| {
            let lp = v.get("logprob").and_then(Value::as_f64)?;
            let text = v.get("decoded_token").and_then(Value::as_str)?;
            Some((text.to_string(), lp))
        })
        .collect()
}

/// The log-probability of `label`'s answer after `{"label":`, read from a continuation
/// response: the prompt's last tokens, walked back from the end, must spell the answer.
pub fn label_logprob(body: &Value, label: &str) -> Result<f64, VlmError> {
    let positions = body
        .get("prompt_logprobs")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            VlmError::Continuation(
                "the server sent no `prompt_logprobs` (scoring by continuation needs vLLM's chat API; llama-server does not return them: use --vlm-scoring answer)".into(),
            )
        })?;
    let answer = answer_text(label);
    // What is left to spell, from the end.
    let mut rest = answer.as_str();
    let mut total = 0.0;
    for position in positions.iter().rev() {
        if rest.len() <= ANCHOR {
            break;
        }
        let found = candidates(position)
            .into_iter()
            .filter(|(t, _)| !t.is_empty() && rest.ends_with(t.as_str()))
            .max_by_key(|(t, _)| t.len());
        let Some((text, lp)) = found else {
            return Err(VlmError::Continuation(format!(
                "the prompt's last tokens do not spell the answer `{answer}` (left: `{rest}`)"
            )));
        };
        if !lp.is_finite() || lp > 1e-3 {
            return Err(VlmError::BadLogprob {
                logprob: lp,
                token: text,
            });
        }
        total += lp.min(0.0);
        rest = &rest[..rest.len() - text.len()];
    }
    if rest.len() > ANCHOR {
        return Err(VlmError::Continuation(format!(
            "the prompt's log-probabilities end before the answer `{answer}` is spelled"
        )));
    }
    Ok(total)
}

/// Probabilities over the labels from their continuation log-probabilities (a softmax).
pub fn renormalise(logprobs: &[f64]) -> Vec<f32> {
    let top = logprobs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logprobs.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|v| (v / total) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// vLLM's shape: `prompt_logprobs` beside `choices`, one entry per prompt token (the first
    /// `null`), each `{token_id: {logprob, rank, decoded_token}}`.
    fn vllm_response(tokens: &[(&str, f64)]) -> Value {
        let mut positions = vec![Value::Null];
        for (k, (t, lp)) in tokens.iter().enumerate() {
            positions.push(json!({(1000 + k).to_string():
                {"logprob": lp, "rank": 1, "decoded_token": t}}));
        }
        json!({"choices": [{"message": {"role": "assistant", "content": ""}}],
               "prompt_logprobs": positions})
    }

    #[test]
    fn the_request_continues_the_written_answer_and_asks_for_prompt_logprobs() {
        let answer = super::super::protocol::request_body(
            "m",
            "sys",
            "user",
            &["a\"b".into()],
            "data:image/jpeg;base64,AA",
        );
        let b = continuation_body(&answer, "a\"b");
        assert_eq!(b["prompt_logprobs"], 0);
        assert_eq!(b["continue_final_message"], true);
        assert_eq!(b["add_generation_prompt"], false);
        assert_eq!(b["max_tokens"], 1);
        assert!(b.get("response_format").is_none());
        let last = b["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["role"], "assistant");
        assert_eq!(last["content"], r#"{"label": "a\"b"}"#);
        assert_eq!(b["messages"][1], answer["messages"][1], "the same image");
    }

    #[test]
    fn a_multi_token_label_is_scored_over_all_its_tokens_and_the_close() {
        let r = vllm_response(&[
            ("<|im_start|>", -9.0),
            ("assistant", -0.5),
            ("\n", 0.0),
            ("{\"", -0.01),
            ("label", 0.0),
            ("\":", 0.0),
            (" \"", -0.02),
            ("T", -0.1),
            ("-sh", -0.7),
            ("irt", -0.05),
            ("/top", -0.3),
            ("\"}", -0.04),
        ]);
        let lp = label_logprob(&r, "T-shirt/top").unwrap();
        assert!(
            (lp - (-0.02 - 0.1 - 0.7 - 0.05 - 0.3 - 0.04)).abs() < 1e-12,
            "{lp}"
        );
        // Another label's response does not spell this label.
        assert!(label_logprob(&r, "Trouser").is_err());
        // A token straddling the colon is counted whole.
        let r = vllm_response(&[("{\"label", 0.0), ("\": \"", -0.2), ("Bag\"}", -1.5)]);
        assert!((label_logprob(&r, "Bag").unwrap() + 1.7).abs() < 1e-12);
    }

    #[test]
    fn a_server_without_prompt_logprobs_or_with_bad_ones_is_refused() {
        let llama = json!({"choices": [{"message": {"content": "{"}}]});
        let e = label_logprob(&llama, "cat").unwrap_err().to_string();
        assert!(e.contains("prompt_logprobs") && e.contains("vLLM"), "{e}");
        let positive = vllm_response(&[("{\"label\":", 0.0), (" \"cat\"}", 0.5)]);
        assert!(matches!(
            label_logprob(&positive, "cat"),
            Err(VlmError::BadLogprob { .. })
        ));
        let short = vllm_response(&[("\"}", -0.1)]);
        assert!(label_logprob(&short, "cat").is_err());
    }

    #[test]
    fn scores_renormalise_to_a_distribution() {
        let p = renormalise(&[-0.1, -2.0, -800.0]);
        let want = [(-0.1f64).exp(), (-2.0f64).exp(), 0.0];
        let z: f64 = want.iter().sum();
        for (g, w) in p.iter().zip(want) {
            assert!((f64::from(*g) - w / z).abs() < 1e-6, "{p:?}");
        }
    }
}
