//! Predictions from a vision-language model behind an OpenAI-compatible `/v1/chat/completions`
//! endpoint (llama.cpp's llama-server, vLLM, Ollama, LM Studio): each image is sent as a base64
//! JPEG data URL, resized to a maximum side, with prompts listing the allowed labels and a JSON
//! schema constraining the answer to them. Concurrency limit, timeout, retries with backoff on
//! 429/5xx/transport errors, a per-sample error record, raw answers kept, results cached.

pub mod continuation;
pub mod error;
pub mod label_scores;
pub mod protocol;
mod scoring;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

pub use protocol::{DEFAULT_SYSTEM, DEFAULT_USER, VlmAnswer, VlmError};
pub use scoring::VlmScoring;

use crate::dataset::Dataset;
use crate::eval::{Entry, Predicted, Prediction, PredictionSet};
use crate::jobs::JobControl;
use crate::jobs::per_sample::{SampleWork, run_per_sample};
use crate::jobs::pool::PoolError;
use crate::stamp_cache::StampCache;

/// How to reach and prompt the model.
#[derive(Clone, Debug, PartialEq)]
pub struct VlmConfig {
    /// Server base URL (`http://127.0.0.1:8080`), `.../v1`, or the full completions URL.
    pub endpoint: String,
    /// Model name sent in the request.
    pub model: String,
    /// System prompt template (`{labels}` is replaced).
    pub system: String,
    /// User prompt template.
    pub user: String,
    /// Longest image side sent, in pixels.
    pub max_side: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Retries after a 429, 5xx or transport error.
    pub retries: u32,
    /// How the per-label probabilities are scored.
    pub scoring: VlmScoring,
}

impl VlmConfig {
    /// Defaults for `endpoint` and `model`: the default prompts, 512 px, 4 requests, 120 s, 3
    /// retries.
    pub fn new(endpoint: &str, model: &str) -> Self {
        Self {
            endpoint: endpoint.to_string(),
            model: model.to_string(),
            system: DEFAULT_SYSTEM.into(),
            user: DEFAULT_USER.into(),
            max_side: 512,
            concurrency: 4,
            timeout: Duration::from_secs(120),
            retries: 3,
            scoring: VlmScoring::Answer,
        }
    }

    /// Reads prompts from a file: the system prompt, optionally followed by a line `---` and the
    /// user prompt.
    pub fn with_prompt_file(mut self, file: &Path) -> Result<Self, VlmError> {
        let text =
            crate::bounded_read::read_input_text(file, crate::bounded_read::InputKind::Prompt)
                .map_err(|e| VlmError::PromptFile {
                    path: file.to_path_buf(),
                    reason: e.to_string(),
                })?;
        let mut parts = text.splitn(2, "\n---\n");
        self.system = parts.next().unwrap_or_default().trim().to_string();
        if let Some(user) = parts.next() {
            self.user = user.trim().to_string();
        }
        Ok(self)
    }

    /// The chat-completions URL.
    pub fn url(&self) -> String {
        let e = self.endpoint.trim_end_matches('/');
        if e.ends_with("/chat/completions") {
            e.to_string()
        } else if e.ends_with("/v1") {
            format!("{e}/chat/completions")
        } else {
            format!("{e}/v1/chat/completions")
        }
    }
}

/// The image as a JPEG data URL, downscaled so its longer side is at most `max_side`.
pub fn image_data_url(path: &Path, max_side: u32) -> Result<String, VlmError> {
    let img = crate::dataset::thumbnail::thumbnail(path, max_side)
        .map_err(|e| VlmError::Image(e.to_string()))?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .to_rgb8()
        .write_to(&mut bytes, image::ImageFormat::Jpeg)
        .map_err(|e| VlmError::Image(format!("cannot encode {} as JPEG: {e}", path.display())))?;
    Ok(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes.into_inner())
    ))
}

/// Posts `body`, retrying with exponential backoff (0.5 s, 1 s, 2 s...) on 429, 5xx and
/// transport errors.
fn post(agent: &ureq::Agent, url: &str, body: &Value, retries: u32) -> Result<Value, VlmError> {
    let text = body.to_string();
    let mut last = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(500 << (attempt - 1).min(6)));
        }
        match agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(text.as_str())
        {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let answer = match resp.body_mut().read_to_string() {
                    Ok(a) => a,
                    Err(e @ ureq::Error::BodyExceedsLimit(_)) => {
                        return Err(VlmError::Request(describe(&e)));
                    }
                    Err(e) => {
                        last = describe(&e);
                        continue;
                    }
                };
                if status == 200 {
                    return serde_json::from_str(&answer)
                        .map_err(|e| VlmError::NotJson(e.to_string()));
                }
                last = format!(
                    "HTTP {status}: {}",
                    answer.chars().take(200).collect::<String>()
                );
                if status != 429 && status < 500 {
                    return Err(VlmError::Request(last));
                }
            }
            Err(e) => last = describe(&e),
        }
    }
    Err(VlmError::Request(format!(
        "{last} (after {retries} retries)"
    )))
}

/// What went wrong with a request, in the user's terms.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => {
            "the request timed out (raise --vlm-timeout for a slow server)".to_string()
        }
        ureq::Error::BodyExceedsLimit(n) => {
            format!("the server's answer is larger than the {n}-byte limit; not read")
        }
        other => format!("request failed: {other}"),
    }
}

/// A per-sample outcome: the answer or the error (naming the file).
pub type VlmOutcome = Result<VlmAnswer, String>;

fn cache_key(cfg: &VlmConfig, labels: &[String]) -> String {
    let mut h = blake3::Hasher::new();
    for part in [&cfg.url(), &cfg.model, &cfg.system, &cfg.user] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.update(&cfg.max_side.to_le_bytes());
    h.update(labels.join("\n").as_bytes());
    if cfg.scoring == VlmScoring::Continuation {
        h.update(b"\ncontinuation");
    }
    format!("vlm-{}.json", &h.finalize().to_hex()[..24])
}

/// Turns an answer into a prediction over `labels` (off-label answers are `other`, unreadable
/// ones `unparsed`; the raw answer is kept for both).
pub fn to_prediction(a: &VlmAnswer, ds: &Dataset) -> Prediction {
    let predicted = match &a.label {
        Some(l) => ds.class_id(l).map_or(Predicted::Other, Predicted::Class),
        None => Predicted::Unparsed,
    };
    let confidence = match (predicted, &a.probs) {
        (Predicted::Class(c), Some(p)) => p.get(c.index()).copied(),
        _ => None,
    };
    Prediction {
        predicted,
        confidence,
        probs: a.probs.clone(),
        raw: Some(a.raw.clone()),
        latency_ms: None,
        model_top: Vec::new(),
    }
}

/// Failed requests (after their retries), with no answer at all yet, that stop a run: the URL is
/// wrong or the server is down, and asking every other image would only repeat the error.
pub const GIVE_UP_AFTER: usize = 4;

/// Called with every sample's entry as it arrives (cached ones first), from worker threads.
pub type OnEntry<'a> = &'a (dyn Fn(usize, &Entry) + Sync);

/// One request per sample, as a [`SampleWork`]: every worker shares the HTTP agent.
struct VlmWork<'a> {
    ds: &'a Dataset,
    cfg: &'a VlmConfig,
    url: &'a str,
    agent: ureq::Agent,
    job: &'a JobControl,
    on_result: Option<OnEntry<'a>>,
    answered: AtomicUsize,
    failed: AtomicUsize,
    gave_up: AtomicBool,
    first_error: Mutex<Option<String>>,
}

impl VlmWork<'_> {
    /// Every label's answer scored as a continuation of `body`'s prompt, renormalised.
    fn continuation_probs(&self, body: &Value) -> Result<Vec<f32>, VlmError> {
        let mut scores = Vec::with_capacity(self.ds.classes.len());
        for label in &self.ds.classes {
            if self.job.is_cancelled() {
                return Err(VlmError::Request("cancelled".into()));
            }
            let request = continuation::continuation_body(body, label);
            let response = post(&self.agent, self.url, &request, self.cfg.retries)?;
            scores.push(continuation::label_logprob(&response, label)?);
        }
        Ok(continuation::renormalise(&scores))
    }
}

impl SampleWork for VlmWork<'_> {
    type Output = VlmOutcome;
    type Worker = ();
    type StartError = std::convert::Infallible;

    fn start_worker(&self) -> Result<(), Self::StartError> {
        Ok(())
    }

    fn run(&self, _: &mut (), i: usize) -> VlmOutcome {
        let path = &self.ds.samples[i].path;
        let cfg = self.cfg;
        let outcome = image_data_url(path, cfg.max_side)
            .and_then(|data| {
                let body = protocol::request_body(
                    &cfg.model,
                    &cfg.system,
                    &cfg.user,
                    &self.ds.classes,
                    &data,
                );
                let mut answer = post(&self.agent, self.url, &body, cfg.retries)
                    .and_then(|v| protocol::parse_response(&v, &self.ds.classes))?;
                if cfg.scoring == VlmScoring::Continuation {
                    answer.probs = Some(self.continuation_probs(&body)?);
                }
                Ok(answer)
            })
            .map_err(|e| format!("{e}: {}", path.display()));
        match &outcome {
            Ok(_) => {
                self.answered.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                let n = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert_with(|| e.clone());
                }
                if n >= GIVE_UP_AFTER && self.answered.load(Ordering::Relaxed) == 0 {
                    self.gave_up.store(true, Ordering::Relaxed);
                    self.job.cancel();
                }
            }
        }
        outcome
    }

    fn failed(&self, out: &VlmOutcome) -> bool {
        out.is_err()
    }

    /// Errors are not reused: a server that was down gets asked again.
    fn reusable(&self, out: &VlmOutcome) -> bool {
        out.is_ok()
    }

    fn on_result(&self, i: usize, out: &VlmOutcome) {
        if let Some(f) = self.on_result {
            f(i, &entry(out, self.ds));
        }
    }
}

/// A sample's outcome as a prediction-set entry.
fn entry(out: &VlmOutcome, ds: &Dataset) -> Entry {
    match out {
        Ok(a) => Entry::Predicted(to_prediction(a, ds)),
        Err(e) => Entry::Failed(e.clone()),
    }
}

/// Why a VLM run stopped without a prediction set.
#[derive(Debug, thiserror::Error)]
pub enum VlmRunError {
    /// No worker thread could start.
    #[error(transparent)]
    Workers(#[from] PoolError<std::convert::Infallible>),
    /// The first requests all failed, so the endpoint is taken to be down or wrong.
    #[error(
        "stopped: the first {failed} requests to {url} all failed ({first}); a run stops once {GIVE_UP_AFTER} fail before any answer, and requests already sent still finish, so more than {GIVE_UP_AFTER} can be counted"
    )]
    GaveUp {
        /// Requests that failed.
        failed: usize,
        /// The endpoint.
        url: String,
        /// The first request's error.
        first: String,
    },
}

crate::jobs::fails_jobs!(VlmRunError);

/// Classifies every sample through the endpoint, reusing cached answers for unchanged files.
/// Each entry also goes to `on_result` as it arrives (to stream into a window). Stops with an
/// error when the first [`GIVE_UP_AFTER`] requests all fail.
pub fn predict_vlm(
    ds: &Dataset,
    cfg: &VlmConfig,
    state_dir: Option<&Path>,
    control: &JobControl,
    on_result: Option<OnEntry<'_>>,
) -> Result<PredictionSet, VlmRunError> {
    let url = cfg.url();
    let mut cache: Option<StampCache<VlmOutcome>> = state_dir.map(|d| {
        StampCache::open(
            d.join("predictions").join(cache_key(cfg, &ds.classes)),
            // 2: label probabilities scored along each label's tokens (`label_scores`).
            2,
            "vlm answers",
        )
    });
    control.begin_stage("asking the model", ds.samples.len());
    let work = VlmWork {
        ds,
        cfg,
        url: &url,
        agent: ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .build()
            .into(),
        job: control,
        on_result,
        answered: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        gave_up: AtomicBool::new(false),
        first_error: Mutex::new(None),
    };
    let threads = cfg.concurrency.clamp(1, 64);
    let run = run_per_sample(&ds.samples, &work, threads, "vlm", cache.as_mut(), control)?;
    control.finish();
    if work.gave_up.load(Ordering::Relaxed) {
        let first = work
            .first_error
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_default();
        return Err(VlmRunError::GaveUp {
            failed: work.failed.load(Ordering::Relaxed),
            url,
            first,
        });
    }
    let entries = run
        .outcomes
        .into_iter()
        .map(|o| o.map_or(Entry::Missing, |o| entry(&o, ds)))
        .collect();
    Ok(PredictionSet {
        name: cfg.model.clone(),
        source: url,
        entries,
        elapsed_secs: Some(control.progress().elapsed_secs),
        num_cached: run.num_cached,
        num_inferred: run.num_computed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_endpoint_stops_the_run_with_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        for k in 0..20 {
            let p = dir
                .path()
                .join(format!("{}/{k}.png", if k < 10 { "cat" } else { "dog" }));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            image::RgbImage::new(8, 8).save(&p).unwrap();
        }
        let ds = crate::dataset::open_dataset(dir.path(), &Default::default()).unwrap();
        // A port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cfg = VlmConfig::new(&format!("http://127.0.0.1:{port}"), "m");
        cfg.retries = 0;
        cfg.concurrency = 2;
        let control = JobControl::default();
        let err = predict_vlm(&ds, &cfg, None, &control, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("all failed") && err.contains(&port.to_string()),
            "{err}"
        );
        let p = control.progress();
        assert!(p.num_done < 20, "gave up early: {} of 20 asked", p.num_done);
    }
}
