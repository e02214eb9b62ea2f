//! Monitoring a deployed model from its device logs: the logs are cut into time windows (and
//! groups: device or model version); each window's class mix and confidence are compared with
//! the reference (the labelled training or validation set the model was run on), its accuracy
//! is estimated without labels, measured where labels arrived, and its latency summarised; a
//! window is flagged as drifted when a test rejects at the stated level after a Bonferroni
//! correction over the window's tests.

pub mod embedding_drift;
pub mod images;
pub mod ks;
pub mod log;
pub mod stats;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dataset::ClassId;
use crate::eval::{Entry, Predicted, PredictionSet};
pub use embedding_drift::{DriftOptions, EmbeddingReference, EmbeddingTest};
pub use images::{EmbeddingSide, LogEmbeddings, NoEmbeddingTest, embed_log_images, embedding_side};
pub use log::{DeviceLog, LogError, LogRow, read_logs};

/// What the logs are compared with: the model's predictions on the labelled reference set.
#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    /// The dataset's labels, in order.
    pub labels: Vec<String>,
    /// How many reference samples the model predicted as each label, then `other`.
    pub pred_counts: Vec<u64>,
    /// The model's accuracy on the reference's labelled, predicted samples.
    pub accuracy: f64,
    /// Samples that accuracy is over.
    pub n: usize,
    /// The confidence above which the share of samples equals that accuracy (average
    /// thresholded confidence).
    pub atc_threshold: Option<f32>,
    /// Every prediction's confidence, sorted (the confidence test's reference sample).
    #[serde(skip)]
    pub confidences: Vec<f32>,
    /// Each label's probability over every prediction, sorted, when every prediction has the
    /// probabilities (the per-class tests' reference samples).
    #[serde(skip)]
    pub class_probs: Option<Vec<Vec<f32>>>,
}

impl Reference {
    /// The reference from the model's predictions on it and its labels (`None` = excluded).
    pub fn new(labels: &[String], preds: &PredictionSet, truth: &[Option<ClassId>]) -> Self {
        let mut pred_counts = vec![0u64; labels.len() + 1];
        let (mut right, mut n) = (0usize, 0usize);
        let mut confidences = Vec::new();
        let mut all_confidences = Vec::new();
        let mut class_probs: Option<Vec<Vec<f32>>> = Some(vec![Vec::new(); labels.len()]);
        for (e, t) in preds.entries.iter().zip(truth) {
            let Entry::Predicted(p) = e else { continue };
            pred_counts[bucket_of_predicted(p.predicted, labels.len())] += 1;
            all_confidences.extend(p.confidence);
            class_probs = class_probs.and_then(|mut per_class| {
                let probs = p.probs.as_ref().filter(|v| v.len() >= labels.len())?;
                for (column, &v) in per_class.iter_mut().zip(probs) {
                    column.push(v);
                }
                Some(per_class)
            });
            if let Some(t) = t {
                n += 1;
                right += usize::from(p.predicted == Predicted::Class(*t));
                if let Some(c) = p.confidence {
                    confidences.push(c);
                }
            }
        }
        let accuracy = if n == 0 { 0.0 } else { right as f64 / n as f64 };
        let sort = |mut v: Vec<f32>| {
            v.retain(|x| !x.is_nan());
            v.sort_by(f32::total_cmp);
            v
        };
        let class_probs = class_probs
            .filter(|c| c.first().is_some_and(|v| !v.is_empty()))
            .map(|c| c.into_iter().map(sort).collect());
        Self {
            confidences: sort(all_confidences),
            class_probs,
            labels: labels.to_vec(),
            pred_counts,
            accuracy,
            n,
            atc_threshold: stats::atc_threshold(&confidences, accuracy),
        }
    }

    /// The bucket of a logged label: its class, or `other` (the last bucket).
    fn bucket(&self, label: &str) -> usize {
        self.labels
            .iter()
            .position(|l| l == label)
            .unwrap_or(self.labels.len())
    }
}

fn bucket_of_predicted(p: Predicted, num_labels: usize) -> usize {
    match p {
        Predicted::Class(c) => c.index().min(num_labels),
        _ => num_labels,
    }
}

/// How to cut and judge the logs.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorOptions {
    /// Window length in seconds.
    pub window_secs: f64,
    /// Split each window by this column.
    pub by: Option<GroupBy>,
    /// Family-wise level of the drift tests of one window.
    pub alpha: f64,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        Self {
            window_secs: 86_400.0,
            by: None,
            alpha: 0.05,
        }
    }
}

/// A column to split windows by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// The device.
    Device,
    /// The model version.
    ModelVersion,
}

/// A window length from text: `30m`, `12h`, `1d`, `1w` or seconds (`3600`, `3600s`).
pub fn parse_window(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = num.trim().parse().ok().filter(|n: &f64| *n > 0.0)?;
    let scale = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3_600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    Some(n * scale)
}

/// One window (of one group) and what was found in it.
#[derive(Clone, Debug, Serialize)]
pub struct WindowReport {
    /// Start, unix seconds (inclusive).
    pub start: f64,
    /// End, unix seconds (exclusive).
    pub end: f64,
    /// The group (device or model version), when split.
    pub group: Option<String>,
    /// Inferences in the window.
    pub n: usize,
    /// Predictions per label, then `other`.
    pub pred_counts: Vec<u64>,
    /// Whether a drift test rejected at the family-wise level.
    pub drift: bool,
    /// Each test's p-value: `class_mix` (the predicted labels, chi-square homogeneity),
    /// `confidence` (the top probability, two-sample KS), `class_probs` (each label's
    /// probability, KS, Bonferroni over the labels; where the log has them) and `embedding`
    /// (MMD on the images' embeddings; where the images are found).
    pub p_values: BTreeMap<String, f64>,
    /// Population stability index of the class mix.
    pub psi: Option<f64>,
    /// The mean confidence of the predictions.
    pub mean_confidence: Option<f64>,
    /// Accuracy estimated without labels (share above the reference's ATC threshold).
    pub estimated_accuracy: Option<f64>,
    /// Its 95% Wilson interval (the threshold's own uncertainty not included).
    pub estimated_accuracy_ci: Option<[f64; 2]>,
    /// Accuracy on the rows whose label arrived.
    pub accuracy: Option<f64>,
    /// Rows with a label.
    pub labelled: usize,
    /// The window's rows (indices into the log's rows), for showing its images.
    #[serde(skip)]
    pub rows: Vec<usize>,
    /// The embedding drift test, where the window's images were embedded.
    pub embedding: Option<EmbeddingTest>,
    /// Latency percentiles in milliseconds.
    pub latency_p50: Option<f64>,
    /// 95th percentile.
    pub latency_p95: Option<f64>,
}

/// The per-class probability test (black-box shift detection, Lipton et al. 2018, as run by
/// Rabanser et al. 2019): a KS test of each label's probability, window against reference, the
/// smallest p-value times the number of labels (Bonferroni). `None` unless both sides have
/// every label's probability.
fn class_probs_p_value(rows: &[&LogRow], reference: &Reference) -> Option<f64> {
    let per_class = reference.class_probs.as_ref()?;
    let window: Vec<&Vec<f32>> = rows.iter().filter_map(|r| r.probs.as_ref()).collect();
    if window.is_empty() {
        return None;
    }
    let mut smallest = 1.0f64;
    for (c, reference_column) in per_class.iter().enumerate() {
        let column: Vec<f32> = window.iter().filter_map(|p| p.get(c).copied()).collect();
        let r = ks::ks_against_sorted(reference_column, &column)?;
        smallest = smallest.min(r.p_value);
    }
    Some((smallest * per_class.len() as f64).min(1.0))
}

/// Every window of `rows` (sorted by time), each group apart, judged against `reference`.
/// The embedding side of the monitor: the reference's fitted test and the log's embeddings.
#[derive(Clone, Copy)]
pub struct Embeddings<'a> {
    /// The reference side, fitted once.
    pub reference: &'a EmbeddingReference,
    /// The log's images' embeddings.
    pub log: &'a LogEmbeddings,
}

/// Every window of `rows` (sorted by time), each group apart, judged against `reference`; with
/// `embeddings`, each window's images are tested against the reference's too.
pub fn monitor(
    rows: &[LogRow],
    reference: &Reference,
    opts: &MonitorOptions,
    embeddings: Option<Embeddings<'_>>,
) -> Vec<WindowReport> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    // Windows of a day or more start at the first row's midnight (UTC), shorter ones on a
    // multiple of their length.
    let unit = opts.window_secs.min(86_400.0);
    let origin = (first.time / unit).floor() * unit;
    let mut cells: BTreeMap<(i64, Option<String>), Vec<usize>> = BTreeMap::new();
    for (index, r) in rows.iter().enumerate() {
        let k = ((r.time - origin) / opts.window_secs).floor() as i64;
        let group = match opts.by {
            None => None,
            Some(GroupBy::Device) => Some(r.device.clone().unwrap_or_else(|| "-".into())),
            Some(GroupBy::ModelVersion) => {
                Some(r.model_version.clone().unwrap_or_else(|| "-".into()))
            }
        };
        cells.entry((k, group)).or_default().push(index);
    }
    let expected = stats::smoothed_proportions(&reference.pred_counts);
    cells
        .into_iter()
        .map(|((k, group), indices)| {
            let start = origin + k as f64 * opts.window_secs;
            let members = indices.iter().map(|&i| &rows[i]).collect();
            let test = embeddings.and_then(|e| e.reference.test(e.log.matrix(&indices).view()));
            let mut w = window(members, reference, &expected, opts, start, group, test);
            w.rows = indices;
            w
        })
        .collect()
}

fn window(
    rows: Vec<&LogRow>,
    reference: &Reference,
    expected: &[f64],
    opts: &MonitorOptions,
    start: f64,
    group: Option<String>,
    embedding: Option<EmbeddingTest>,
) -> WindowReport {
    let mut pred_counts = vec![0u64; reference.labels.len() + 1];
    for r in &rows {
        pred_counts[reference.bucket(&r.pred)] += 1;
    }
    let mut p_values = BTreeMap::new();
    if let Some((_, p, _)) = stats::chi_square_homogeneity(&reference.pred_counts, &pred_counts) {
        p_values.insert("class_mix".to_string(), p);
    }
    let confidences: Vec<f32> = rows.iter().filter_map(|r| r.confidence).collect();
    if let Some(r) = ks::ks_against_sorted(&reference.confidences, &confidences) {
        p_values.insert("confidence".to_string(), r.p_value);
    }
    if let Some(p) = class_probs_p_value(&rows, reference) {
        p_values.insert("class_probs".to_string(), p);
    }
    if let Some(e) = &embedding {
        p_values.insert("embedding".to_string(), e.p_value);
    }
    // Bonferroni over the window's tests.
    let tests = p_values.len().max(1) as f64;
    let drift = p_values.values().any(|&p| p * tests < opts.alpha);
    let mean_confidence = (!confidences.is_empty())
        .then(|| confidences.iter().map(|&c| f64::from(c)).sum::<f64>() / confidences.len() as f64);
    let (estimated_accuracy, estimated_accuracy_ci) = match reference.atc_threshold {
        Some(t) if !confidences.is_empty() => {
            let k = stats::above(&confidences, t);
            let n = confidences.len() as u64;
            (
                Some(k as f64 / n as f64),
                crate::eval::intervals::wilson(k, n, crate::eval::intervals::Z95),
            )
        }
        _ => (None, None),
    };
    let labelled: Vec<&&LogRow> = rows.iter().filter(|r| r.label.is_some()).collect();
    let accuracy = (!labelled.is_empty()).then(|| {
        let right = labelled
            .iter()
            .filter(|r| r.label.as_deref() == Some(r.pred.as_str()))
            .count();
        right as f64 / labelled.len() as f64
    });
    let latencies: Vec<f32> = rows.iter().filter_map(|r| r.latency_ms).collect();
    WindowReport {
        start,
        end: start + opts.window_secs,
        group,
        n: rows.len(),
        psi: stats::psi(&pred_counts, expected),
        pred_counts,
        drift,
        p_values,
        mean_confidence,
        estimated_accuracy,
        estimated_accuracy_ci,
        accuracy,
        labelled: labelled.len(),
        rows: Vec::new(),
        embedding,
        latency_p50: stats::quantile(&latencies, 0.5),
        latency_p95: stats::quantile(&latencies, 0.95),
    }
}
