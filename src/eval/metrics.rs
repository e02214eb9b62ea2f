//! Classification metrics exactly as scikit-learn's `classification_report` computes them with
//! `labels=` the dataset's classes and `zero_division=0`: per-class precision, recall, F1 and
//! support; macro and support-weighted averages; accuracy; balanced accuracy (mean recall over
//! classes with support). Predictions outside the label set (`other`, `unparsed`) count as wrong
//! answers: they lower recall and accuracy and are never dropped.

use serde::Serialize;

use super::calibration::expected_calibration_error;
use super::confusion::ConfusionMatrix;
use super::predictions::{Entry, Predicted, PredictionSet};
use crate::dataset::ClassId;

/// Metrics of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassMetrics {
    /// Class name.
    pub label: String,
    /// tp / (tp + fp), 0 when nothing was predicted as this class.
    pub precision: f64,
    /// tp / support, 0 when the class has no samples.
    pub recall: f64,
    /// 2tp / (2tp + fp + fn), 0 when undefined.
    pub f1: f64,
    /// Samples whose true label is this class.
    pub support: u64,
}

/// Inference latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// Everything `evaluate` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Samples in the dataset (or in the evaluated subset).
    pub num_samples: usize,
    /// Samples with a prediction and a label (the denominator of accuracy).
    pub num_evaluated: usize,
    /// Samples whose decode or inference failed.
    pub num_failed: usize,
    /// Samples with no prediction at all.
    pub num_missing: usize,
    /// Predictions outside the label set.
    pub num_other: usize,
    /// Answers that could not be parsed as a label.
    pub num_unparsed: usize,
    /// Fraction of evaluated samples predicted correctly.
    pub accuracy: f64,
    /// Mean recall over classes with support.
    pub balanced_accuracy: f64,
    /// Unweighted mean precision over classes.
    pub macro_precision: f64,
    /// Unweighted mean recall over classes.
    pub macro_recall: f64,
    /// Unweighted mean F1 over classes.
    pub macro_f1: f64,
    /// Support-weighted mean precision.
    pub weighted_precision: f64,
    /// Support-weighted mean recall.
    pub weighted_recall: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// Per-class metrics in class order.
    pub per_class: Vec<ClassMetrics>,
    /// The confusion matrix.
    pub confusion: ConfusionMatrix,
    /// Expected calibration error (15 bins), over samples with a confidence.
    pub ece: f64,
    /// Predictions with a confidence (the ECE is over these; 0 means no ECE).
    pub num_calibrated: usize,
    /// Inference latency per image.
    pub latency_ms: LatencySummary,
    /// Images per second of the run (None when everything came from the cache or a file).
    pub images_per_sec: Option<f64>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Linear-interpolated percentile (numpy's default) of unsorted values.
pub fn percentile(values: &[f32], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
    v.sort_by(f64::total_cmp);
    let pos = q / 100.0 * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Computes all metrics of `set` against `truth` (per sample; `None` leaves a sample out).
pub fn compute_metrics(
    classes: &[String],
    truth: &[Option<ClassId>],
    set: &PredictionSet,
) -> Metrics {
    let confusion = ConfusionMatrix::compute(classes, truth, set);
    let n = classes.len();
    let mut per_class = Vec::with_capacity(n);
    for (i, label) in classes.iter().enumerate() {
        let tp = confusion.matrix[i][i];
        let support = confusion.row_sum(i);
        let predicted = confusion.col_sum(i);
        let (fp, fn_) = (predicted - tp, support - tp);
        per_class.push(ClassMetrics {
            label: label.clone(),
            precision: ratio(tp, predicted),
            recall: ratio(tp, support),
            f1: ratio(2 * tp, 2 * tp + fp + fn_),
            support,
        });
    }
    let total_support: u64 = per_class.iter().map(|c| c.support).sum();
    let mean = |f: fn(&ClassMetrics) -> f64| {
        if n == 0 {
            0.0
        } else {
            per_class.iter().map(f).sum::<f64>() / n as f64
        }
    };
    let weighted = |f: fn(&ClassMetrics) -> f64| {
        if total_support == 0 {
            0.0
        } else {
            per_class
                .iter()
                .map(|c| f(c) * c.support as f64)
                .sum::<f64>()
                / total_support as f64
        }
    };
    let with_support: Vec<f64> = per_class
        .iter()
        .filter(|c| c.support > 0)
        .map(|c| c.recall)
        .collect();
    let balanced_accuracy = if with_support.is_empty() {
        0.0
    } else {
        with_support.iter().sum::<f64>() / with_support.len() as f64
    };
    let correct: u64 = (0..n).map(|i| confusion.matrix[i][i]).sum();

    let mut calib = Vec::new();
    let mut latencies = Vec::new();
    let (mut num_failed, mut num_missing, mut num_other, mut num_unparsed, mut num_samples) =
        (0, 0, 0, 0, 0);
    for (t, e) in truth.iter().zip(&set.entries) {
        let Some(t) = t else { continue };
        num_samples += 1;
        match e {
            Entry::Failed(_) => num_failed += 1,
            Entry::Missing => num_missing += 1,
            Entry::Predicted(p) => {
                num_other += usize::from(p.predicted == Predicted::Other);
                num_unparsed += usize::from(p.predicted == Predicted::Unparsed);
                if let Some(c) = p.confidence {
                    calib.push((c, p.predicted == Predicted::Class(*t)));
                }
                latencies.extend(p.latency_ms);
            }
        }
    }
    Metrics {
        num_samples,
        num_evaluated: confusion.total() as usize,
        num_failed,
        num_missing,
        num_other,
        num_unparsed,
        accuracy: ratio(correct, confusion.total()),
        balanced_accuracy,
        macro_precision: mean(|c| c.precision),
        macro_recall: mean(|c| c.recall),
        macro_f1: mean(|c| c.f1),
        weighted_precision: weighted(|c| c.precision),
        weighted_recall: weighted(|c| c.recall),
        weighted_f1: weighted(|c| c.f1),
        per_class,
        confusion,
        ece: expected_calibration_error(&calib),
        num_calibrated: calib.len(),
        latency_ms: LatencySummary {
            p50: percentile(&latencies, 50.0),
            p95: percentile(&latencies, 95.0),
        },
        images_per_sec: set
            .elapsed_secs
            .filter(|s| *s > 0.0 && set.num_inferred > 0)
            .map(|s| set.num_inferred as f64 / s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::predictions::Prediction;

    fn set(preds: &[Predicted]) -> PredictionSet {
        PredictionSet {
            name: "t".into(),
            source: "test".into(),
            entries: preds
                .iter()
                .map(|&p| {
                    Entry::Predicted(Prediction {
                        predicted: p,
                        confidence: Some(0.9),
                        probs: None,
                        raw: None,
                        latency_ms: None,
                        model_top: Vec::new(),
                    })
                })
                .collect(),
            elapsed_secs: None,
            num_cached: 0,
            num_inferred: 0,
        }
    }

    #[test]
    fn hand_computed_report_with_other_and_a_never_predicted_class() {
        // truth a a a b b c c ; predicted a a b b other a b (c is never predicted).
        let classes: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let c = |i| Predicted::Class(ClassId(i));
        let truth: Vec<Option<ClassId>> = [0, 0, 0, 1, 1, 2, 2]
            .iter()
            .map(|&i| Some(ClassId(i)))
            .collect();
        let m = compute_metrics(
            &classes,
            &truth,
            &set(&[c(0), c(0), c(1), c(1), Predicted::Other, c(0), c(1)]),
        );
        assert_eq!(m.confusion.predicted_labels, vec!["a", "b", "c", "other"]);
        assert_eq!(
            m.confusion.matrix,
            vec![vec![2, 1, 0, 0], vec![0, 1, 0, 1], vec![1, 1, 0, 0]]
        );
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        close(m.accuracy, 3.0 / 7.0);
        close(m.per_class[0].precision, 2.0 / 3.0);
        close(m.per_class[1].precision, 1.0 / 3.0);
        close(m.per_class[1].recall, 0.5);
        close(m.per_class[1].f1, 0.4);
        close(m.per_class[2].precision, 0.0);
        close(m.per_class[2].f1, 0.0);
        close(m.macro_precision, 1.0 / 3.0);
        close(m.macro_recall, 7.0 / 18.0);
        close(m.macro_f1, (2.0 / 3.0 + 0.4) / 3.0);
        close(m.weighted_f1, 0.4);
        close(m.balanced_accuracy, 7.0 / 18.0);
        assert_eq!((m.num_evaluated, m.num_other), (7, 1));
    }

    #[test]
    fn failures_and_missing_are_counted_not_scored() {
        let classes: Vec<String> = vec!["a".into(), "b".into()];
        let mut s = set(&[Predicted::Class(ClassId(0)), Predicted::Unparsed]);
        s.entries.push(Entry::Failed("bad: x.png".into()));
        s.entries.push(Entry::Missing);
        let truth = vec![
            Some(ClassId(0)),
            Some(ClassId(1)),
            Some(ClassId(1)),
            Some(ClassId(0)),
        ];
        let m = compute_metrics(&classes, &truth, &s);
        assert_eq!(
            (
                m.num_samples,
                m.num_evaluated,
                m.num_failed,
                m.num_missing,
                m.num_unparsed
            ),
            (4, 2, 1, 1, 1)
        );
        assert!((m.accuracy - 0.5).abs() < 1e-9);
        assert_eq!(
            m.confusion.predicted_labels.last().map(String::as_str),
            Some("unparsed")
        );
        // A sample left out (None) is not counted at all.
        let m2 = compute_metrics(&classes, &[None, Some(ClassId(1)), None, None], &s);
        assert_eq!((m2.num_samples, m2.num_evaluated), (1, 1));
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((percentile(&v, 50.0) - 2.5).abs() < 1e-9);
        assert!((percentile(&v, 95.0) - 3.85).abs() < 1e-9);
    }
}
