//! Per-label probabilities from a constrained answer's token log-probabilities, scoring each
//! label's whole token sequence along the answer (not only its first token).
//!
//! The answer is `{"label": "<value>"}`, generated under a JSON schema whose enum is the labels,
//! with `logprobs` and `top_logprobs` per generated token (the OpenAI chat shape, which both
//! llama-server and vLLM return). Walking the value's tokens, every label that still agrees
//! with the answer so far follows it; at the token where a label leaves the answer, it takes
//! the path's probability so far times the probability of the alternatives (from
//! `top_logprobs`) that continue it; the rest of such a label is taken as forced (the schema
//! leaves one way to finish it, or the ways are not reported). The answer's own label gets the
//! product over all its tokens. The masses are then renormalised over the labels (forced
//! choice). Labels that share a first token (`T-shirt/top`, `Trouser`) are told apart where
//! they part, instead of splitting the first token's mass equally.

use serde_json::Value;

use super::error::VlmError;

/// One generated token: its text, its log-probability and the reported alternatives (the
/// token itself among them).
struct Step {
    text: String,
    logprob: f64,
    alternatives: Vec<(String, f64)>,
}

fn token_text(t: &Value) -> String {
    t.get("token")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A log-probability as sent, refused when not finite or clearly positive (servers round, so a
/// hair above 0 is taken as 0).
fn checked(token: &str, lp: f64) -> Result<f64, VlmError> {
    if !lp.is_finite() || lp > 1e-3 {
        return Err(VlmError::BadLogprob {
            logprob: lp,
            token: token.to_string(),
        });
    }
    Ok(lp.min(0.0))
}

/// The steps of the label's value: from the first token after the opening quote that follows
/// `"label"` up to the token that closes it. `None` when the answer has no such value.
fn value_steps(tokens: &[Value]) -> Result<Option<Vec<Step>>, VlmError> {
    let mut seen = String::new();
    let mut start = None;
    for (k, t) in tokens.iter().enumerate() {
        if let Some(pos) = seen.find("\"label\"")
            && seen[pos + 7..].contains('"')
        {
            start = Some(k);
            break;
        }
        seen.push_str(&token_text(t));
    }
    let Some(start) = start else {
        return Ok(None);
    };
    let mut steps = Vec::new();
    for (k, t) in tokens[start..].iter().enumerate() {
        let mut text = token_text(t);
        if k == 0 {
            text = text.trim_start_matches('"').to_string();
        }
        let closing = text.find('"');
        if let Some(q) = closing {
            text.truncate(q);
        }
        let logprob = match t.get("logprob").and_then(Value::as_f64) {
            Some(lp) => checked(&text, lp)?,
            None => return Ok(None),
        };
        let mut alternatives = Vec::new();
        for a in t
            .get("top_logprobs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(lp) = a.get("logprob").and_then(Value::as_f64) else {
                continue;
            };
            let mut alt = token_text(a);
            if k == 0 {
                alt = alt.trim_start_matches('"').to_string();
            }
            alternatives.push((alt.clone(), checked(&alt, lp)?));
        }
        if !text.is_empty() {
            steps.push(Step {
                text,
                logprob,
                alternatives,
            });
        }
        if closing.is_some() {
            break;
        }
    }
    Ok(Some(steps))
}

/// Per-label probabilities (renormalised over `labels`), or `None` when the answer carries no
/// usable log-probabilities or no label gets any mass.
pub fn label_probs(tokens: &[Value], labels: &[String]) -> Result<Option<Vec<f32>>, VlmError> {
    let Some(steps) = value_steps(tokens)? else {
        return Ok(None);
    };
    if steps.is_empty() {
        return Ok(None);
    }
    let mut mass = vec![0f64; labels.len()];
    for (j, label) in labels.iter().enumerate() {
        let mut rest = label.as_str();
        let mut path = 0.0;
        for step in &steps {
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix(step.text.as_str()) {
                // Still on the answer's path.
                path += step.logprob;
                rest = after;
                continue;
            }
            // The label leaves the answer here: the alternatives that continue it.
            let leave: f64 = step
                .alternatives
                .iter()
                .filter(|(t, _)| !t.is_empty() && *t != step.text && rest.starts_with(t.as_str()))
                .map(|(_, lp)| lp.exp())
                .sum();
            mass[j] = path.exp() * leave;
            rest = "";
            path = f64::NEG_INFINITY;
            break;
        }
        if path.is_finite() && rest.is_empty() {
            // The answer spelled the whole label.
            mass[j] = path.exp();
        }
    }
    let total: f64 = mass.iter().sum();
    Ok((total > 0.0).then(|| mass.iter().map(|m| (m / total) as f32).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// llama-server's shape: `id`, `token`, `bytes`, `logprob`, `top_logprobs` per token.
    fn llama_token(token: &str, lp: f64, top: &[(&str, f64)]) -> Value {
        json!({"id": 1, "token": token, "bytes": token.as_bytes(), "logprob": lp,
               "top_logprobs": top.iter().map(|(t, l)| json!({"id": 2, "token": t, "bytes": t.as_bytes(), "logprob": l})).collect::<Vec<_>>()})
    }

    /// vLLM's shape: `token`, `logprob`, `bytes`, `top_logprobs` (no ids).
    fn vllm_token(token: &str, lp: f64, top: &[(&str, f64)]) -> Value {
        json!({"token": token, "logprob": lp, "bytes": token.as_bytes(),
               "top_logprobs": top.iter().map(|(t, l)| json!({"token": t, "logprob": l, "bytes": t.as_bytes()})).collect::<Vec<_>>()})
    }

    #[test]
    fn labels_sharing_a_first_token_are_told_apart_where_they_part() {
        let labels = strings(&["T-shirt/top", "Trouser", "Shirt", "Bag"]);
        for make in [llama_token, vllm_token] {
            let tokens = vec![
                make("{\"", 0.0, &[]),
                make("label", 0.0, &[]),
                make("\":", 0.0, &[]),
                make(" \"", 0.0, &[]),
                make("T", -0.1, &[("T", -0.1), ("Sh", -2.5), ("B", -6.0)]),
                make("-shirt", -0.2, &[("-shirt", -0.2), ("rous", -1.8)]),
                make("/top", -0.01, &[("/top", -0.01)]),
                make("\"}", 0.0, &[]),
            ];
            let p = label_probs(&tokens, &labels).unwrap().unwrap();
            let raw = [
                (-0.1f64 - 0.2 - 0.01).exp(),
                (-0.1f64).exp() * (-1.8f64).exp(),
                (-2.5f64).exp(),
                (-6.0f64).exp(),
            ];
            let total: f64 = raw.iter().sum();
            for (got, want) in p.iter().zip(raw.iter().map(|r| r / total)) {
                assert!((f64::from(*got) - want).abs() < 1e-6, "{p:?}");
            }
            // First-token scoring gave T-shirt/top and Trouser the same probability.
            assert!(p[0] > 3.0 * p[1], "{p:?}");
        }
    }

    #[test]
    fn a_quote_inside_the_first_token_and_a_missing_alternative() {
        let labels = strings(&["cat", "dog", "cow"]);
        let tokens = vec![
            json!({"token": "{\"label\": \"", "logprob": 0.0}),
            json!({"token": "c", "logprob": -0.3, "top_logprobs": [
                {"token": "c", "logprob": -0.3}, {"token": "d", "logprob": -1.4}]}),
            json!({"token": "at\"}", "logprob": -0.05, "top_logprobs": [
                {"token": "at", "logprob": -0.05}, {"token": "ow", "logprob": -3.0}]}),
        ];
        let p = label_probs(&tokens, &labels).unwrap().unwrap();
        let raw = [(-0.35f64).exp(), (-1.4f64).exp(), (-3.3f64).exp()];
        let total: f64 = raw.iter().sum();
        for (got, want) in p.iter().zip(raw.iter().map(|r| r / total)) {
            assert!((f64::from(*got) - want).abs() < 1e-6, "{p:?}");
        }
        let bad = vec![
            json!({"token": "{\"label\": \"", "logprob": 0.0}),
            json!({"token": "c", "logprob": f64::NAN}),
        ];
        // NaN is not JSON: a server sending a positive value is refused instead.
        assert!(label_probs(&bad, &labels).unwrap().is_none());
        let positive = vec![
            json!({"token": "{\"label\": \"", "logprob": 0.0}),
            json!({"token": "c", "logprob": 0.5}),
        ];
        assert!(label_probs(&positive, &labels).is_err());
    }
}
