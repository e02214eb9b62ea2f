//! Metrics as the CLI prints them: with their intervals, as text or JSON (`evaluate`, and each
//! set of `evaluate --compare`).

use crate::eval::Metrics;
use crate::eval::intervals::MetricIntervals;

/// The metrics as JSON with their intervals beside them (`accuracy_ci`, ..., `per_class_ci`).
pub(super) fn with_intervals(m: &Metrics, ci: &MetricIntervals) -> serde_json::Value {
    let mut value = serde_json::to_value(m).unwrap_or_default();
    if let (Some(obj), Ok(serde_json::Value::Object(extra))) =
        (value.as_object_mut(), serde_json::to_value(ci))
    {
        for (k, v) in extra {
            let key = if k == "per_class" {
                "per_class_ci".to_string()
            } else {
                k
            };
            obj.insert(key, v);
        }
    }
    value
}

/// "accuracy 0.8729 (0.8530-0.8905)  balanced accuracy ...  macro F1 ...  ECE ...".
pub(super) fn headline(m: &Metrics, ci: &MetricIntervals) -> String {
    format!(
        "accuracy {:.4}{}  balanced accuracy {:.4}{}  macro F1 {:.4}{}  ECE {:.4}{}",
        m.accuracy,
        range(ci.accuracy_ci),
        m.balanced_accuracy,
        range(ci.balanced_accuracy_ci),
        m.macro_f1,
        range(ci.macro_f1_ci),
        m.ece,
        range(ci.ece_ci)
    )
}

/// " (lo-hi)", or " (lo to hi)" when a bound is negative (a difference).
pub(super) fn range(ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(String::new, |[lo, hi]| {
        if lo < 0.0 {
            format!(" ({lo:.4} to {hi:.4})")
        } else {
            format!(" ({lo:.4}-{hi:.4})")
        }
    })
}
