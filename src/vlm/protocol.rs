//! The OpenAI-compatible chat request for one image and the reading of its answer: the label
//! constrained by a JSON schema (`{"label": enum of labels}`), and, when the server returns
//! `logprobs`, per-label probabilities scored along the label's tokens
//! ([`super::label_scores`]).

use serde_json::{Value, json};

pub use super::error::VlmError;

/// Default system prompt (the seed's style); `{labels}` is replaced by the label list.
pub const DEFAULT_SYSTEM: &str = "You are an image classifier. Look at the image and answer with exactly one label from this list: {labels}. Answer in JSON as {\"label\": \"<label>\"}.";
/// Default user prompt.
pub const DEFAULT_USER: &str = "Which label fits this image? Allowed labels: {labels}.";

/// The request body for one image (`data_url` is a `data:image/jpeg;base64,...` URL).
pub fn request_body(
    model: &str,
    system: &str,
    user: &str,
    labels: &[String],
    data_url: &str,
) -> Value {
    // Quoted as a JSON list, so a label cannot break out of the prompt or blur into another.
    let list = serde_json::to_string(labels).unwrap_or_default();
    json!({
        "model": model,
        "temperature": 0,
        "max_tokens": 64,
        "logprobs": true,
        "top_logprobs": 10,
        "messages": [
            {"role": "system", "content": system.replace("{labels}", &list)},
            {"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": data_url}},
                {"type": "text", "text": user.replace("{labels}", &list)},
            ]},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "classification",
                "strict": true,
                "schema": {
                    "type": "object",
                    "properties": {"label": {"type": "string", "enum": labels}},
                    "required": ["label"],
                    "additionalProperties": false,
                },
            },
        },
    })
}

/// What one answer says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VlmAnswer {
    /// The label as answered (`None`: the answer could not be read).
    pub label: Option<String>,
    /// The raw assistant message.
    pub raw: String,
    /// Per-label probabilities from the log-probabilities, when the server sent them.
    pub probs: Option<Vec<f32>>,
}

/// Reads a chat-completions response: the message content as JSON `{"label": ...}` (or, failing
/// that, a bare label), and the label probabilities from `logprobs` when present.
pub fn parse_response(body: &Value, labels: &[String]) -> Result<VlmAnswer, VlmError> {
    let choice = body
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or(VlmError::NoChoices)?;
    let raw = choice
        .pointer("/message/content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let label = serde_json::from_str::<Value>(raw.trim())
        .ok()
        .and_then(|v| v.get("label").and_then(Value::as_str).map(str::to_string))
        .or_else(|| {
            let t = raw.trim().trim_matches('"');
            labels.iter().find(|l| l.as_str() == t).cloned()
        });
    let probs = match choice
        .pointer("/logprobs/content")
        .and_then(Value::as_array)
    {
        Some(tokens) => super::label_scores::label_probs(tokens, labels)?,
        None => None,
    };
    Ok(VlmAnswer { label, raw, probs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["cat".into(), "dog".into()]
    }

    #[test]
    fn the_request_constrains_the_answer_to_the_labels() {
        let b = request_body(
            "lfm2-vl",
            DEFAULT_SYSTEM,
            DEFAULT_USER,
            &labels(),
            "data:image/jpeg;base64,AA",
        );
        assert_eq!(b["model"], "lfm2-vl");
        let schema = &b["response_format"]["json_schema"]["schema"];
        assert_eq!(schema["properties"]["label"]["enum"], json!(["cat", "dog"]));
        assert!(
            b["messages"][0]["content"]
                .as_str()
                .unwrap()
                .contains(r#"["cat","dog"]"#)
        );
        assert_eq!(
            b["messages"][1]["content"][0]["image_url"]["url"],
            "data:image/jpeg;base64,AA"
        );
    }

    #[test]
    fn answers_and_logprobs_are_read() {
        let body = json!({"choices": [{"message": {"content": "{\"label\": \"dog\"}"},
            "logprobs": {"content": [
                {"token": "{\"", "logprob": 0.0},
                {"token": "label", "logprob": 0.0},
                {"token": "\":", "logprob": 0.0},
                {"token": " \"", "logprob": 0.0},
                {"token": "dog", "logprob": -0.2231, "top_logprobs": [
                    {"token": "dog", "logprob": -0.2231}, {"token": "cat", "logprob": -1.6094}]},
                {"token": "\"}", "logprob": 0.0}]}}]});
        let a = parse_response(&body, &labels()).unwrap();
        assert_eq!(a.label.as_deref(), Some("dog"));
        let p = a.probs.unwrap();
        assert!(
            (p[1] - 0.8).abs() < 1e-3 && (p[0] - 0.2).abs() < 1e-3,
            "{p:?}"
        );
        let bare = json!({"choices": [{"message": {"content": "cat"}}]});
        assert_eq!(
            parse_response(&bare, &labels()).unwrap().label.as_deref(),
            Some("cat")
        );
        let junk = json!({"choices": [{"message": {"content": "I think it is a fox"}}]});
        let a = parse_response(&junk, &labels()).unwrap();
        assert_eq!((a.label, a.probs), (None, None));
        assert!(parse_response(&json!({}), &labels()).is_err());
    }
}
