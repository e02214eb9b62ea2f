//! Temperature scaling of a prediction's probabilities: every column's log-probability is
//! divided by one number `T` and the columns renormalised, `p'_j = p_j^(1/T) / Σ_k p_k^(1/T)`.
//!
//! For a model whose classes are the dataset's labels this is exactly temperature scaling of
//! the logits (`softmax(z / T)`: `ln p_j` is `z_j` minus one constant per sample). With a
//! `label_map` or an `other` column it scales the summed label probabilities. `T > 1` softens
//! the confidences, `T < 1` sharpens them; the order of the columns, and so the predicted label,
//! never changes. The spec's `output.temperature` holds it (see [`crate::eval::temperature`] for
//! the fit); the prediction cache keeps the unscaled outcomes, so a new temperature needs no
//! new inference.

use super::outcome::{SampleOutcome, SamplePrediction};

/// The smallest probability whose log is taken (`ln 1e-30`): a column that underflowed to 0
/// keeps a finite log-probability, far below any real one.
pub const MIN_PROB: f64 = 1e-30;

/// `ln p`, floored at `ln MIN_PROB`.
pub fn log_prob(p: f32) -> f64 {
    f64::from(p).max(MIN_PROB).ln()
}

/// Whether `t` changes anything (`None`, 1 and non-positive or non-finite values do not).
pub fn is_active(t: Option<f64>) -> Option<f64> {
    t.filter(|t| t.is_finite() && *t > 0.0 && *t != 1.0)
}

/// The log of the normaliser `Σ_k p_k^(1/t)`, computed stably.
pub fn log_normaliser(probs: &[f32], t: f64) -> f64 {
    let scaled = probs.iter().map(|&p| log_prob(p) / t);
    let max = scaled.clone().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return 0.0;
    }
    max + scaled.map(|s| (s - max).exp()).sum::<f64>().ln()
}

/// One probability after scaling, given the normaliser of its row ([`log_normaliser`]).
pub fn scale_value(p: f32, t: f64, log_z: f64) -> f32 {
    (log_prob(p) / t - log_z).exp() as f32
}

/// A row of probabilities scaled by `t`.
pub fn scale_probs(probs: &[f32], t: f64) -> Vec<f32> {
    let log_z = log_normaliser(probs, t);
    probs.iter().map(|&p| scale_value(p, t, log_z)).collect()
}

/// Scales a prediction's dataset-column probabilities and its best unmapped class (`other_top`,
/// with the same normaliser, so `other` is predicted exactly when it was before). The model's
/// own top classes stay as the model gave them.
pub fn scale_prediction(p: &mut SamplePrediction, t: f64) {
    let log_z = log_normaliser(&p.probs, t);
    if p.other_top > 0.0 {
        p.other_top = scale_value(p.other_top, t, log_z);
    }
    for v in &mut p.probs {
        *v = scale_value(*v, t, log_z);
    }
}

/// [`scale_prediction`] on a predicted outcome when `t` is active; failures stay as they are.
pub fn scale_outcome(o: &mut SampleOutcome, t: Option<f64>) {
    if let (Some(t), SampleOutcome::Predicted(p)) = (is_active(t), o) {
        scale_prediction(p, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mapping::softmax;

    #[test]
    fn scaling_probabilities_equals_dividing_the_logits() {
        let logits = [2.0f32, -1.0, 0.5, 3.25];
        let p = softmax(&logits);
        for t in [0.5, 1.7, 3.0] {
            let direct = softmax(&logits.map(|z| (f64::from(z) / t) as f32));
            let scaled = scale_probs(&p, t);
            for (a, b) in direct.iter().zip(&scaled) {
                assert!((a - b).abs() < 1e-6, "T={t}: {direct:?} vs {scaled:?}");
            }
        }
    }

    #[test]
    fn the_predicted_column_and_other_keep_their_order() {
        let mut p = SamplePrediction {
            probs: vec![0.2, 0.1, 0.7],
            top_model: vec![(5, 0.4)],
            other_top: 0.4,
            latency_ms: 1.0,
            embedding: None,
        };
        scale_prediction(&mut p, 2.5);
        let sum: f32 = p.probs.iter().sum();
        assert!((sum - 1.0).abs() < 1e-6);
        assert!(p.probs[2] > p.probs[0] && p.probs[0] > p.probs[1]);
        // `other` (0.4) beat every dataset label (0.2) before, and still does.
        assert!(p.other_top > p.probs[0] && p.other_top <= p.probs[2]);
        assert_eq!(p.top_model, vec![(5, 0.4)]);
    }

    #[test]
    fn a_zero_column_stays_near_zero_and_one_is_a_no_op() {
        let scaled = scale_probs(&[0.0, 1.0], 2.0);
        assert!(scaled[0] < 1e-14 && (scaled[1] - 1.0).abs() < 1e-6);
        assert_eq!(is_active(Some(1.0)), None);
        assert_eq!(is_active(Some(-2.0)), None);
        assert_eq!(is_active(Some(1.5)), Some(1.5));
    }
}
