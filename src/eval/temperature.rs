//! Calibrating confidences: the temperature that minimises the negative log-likelihood of the
//! true labels (Guo et al. 2017, "On Calibration of Modern Neural Networks"), with the figures
//! before and after (NLL, ECE, the reliability bins). The scaling itself is
//! [`crate::model::temperature`]; `labelscope calibrate` writes the fitted value into a copy of
//! the model's spec, so every later run uses it.
//!
//! The NLL is convex in `β = 1/T` (a log-sum-exp of `β z` minus a linear term), so the fit is a
//! safeguarded Newton iteration on `β` inside a bracket: Newton's step when it stays inside,
//! bisection otherwise, to a gradient of 1e-12. It equals scipy's bounded scalar minimiser on
//! the same log-probabilities (`scripts/make_calibration_reference.py`, `tests/core/calibrate.rs`).

use serde::Serialize;

use super::{
    ECE_BINS, Entry, Predicted, Prediction, PredictionSet, ReliabilityBin,
    expected_calibration_error, reliability_bins,
};
use crate::dataset::ClassId;
use crate::model::temperature::{log_normaliser, log_prob, scale_value};

/// The smallest temperature a fit returns.
pub const MIN_TEMPERATURE: f64 = 0.01;
/// The largest temperature a fit returns.
pub const MAX_TEMPERATURE: f64 = 100.0;

/// A fitted temperature.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TemperatureFit {
    /// The temperature (dividing the log-probabilities the fit was given).
    pub temperature: f64,
    /// Mean negative log-likelihood of the true labels before (T = 1).
    pub nll_before: f64,
    /// ... and after.
    pub nll_after: f64,
    /// Whether the optimum lies at a bound ([`MIN_TEMPERATURE`] or [`MAX_TEMPERATURE`]): every
    /// sample right and the NLL still falling, or the labels unrelated to the predictions.
    pub at_bound: bool,
    /// Newton or bisection steps taken.
    pub iterations: usize,
}

/// Log-probability rows (`ln p`, floored) with the true label's column.
struct Rows {
    z: Vec<Vec<f64>>,
    label: Vec<usize>,
}

impl Rows {
    /// Mean NLL, its first and second derivatives in `beta`.
    fn derivatives(&self, beta: f64) -> (f64, f64, f64) {
        let (mut f, mut g, mut h) = (0.0, 0.0, 0.0);
        for (z, &y) in self.z.iter().zip(&self.label) {
            let max = z.iter().fold(f64::NEG_INFINITY, |m, v| m.max(beta * v));
            let w: Vec<f64> = z.iter().map(|v| (beta * v - max).exp()).collect();
            let sum: f64 = w.iter().sum();
            let mean_z: f64 = w.iter().zip(z).map(|(w, v)| w * v).sum::<f64>() / sum;
            let mean_z2: f64 = w.iter().zip(z).map(|(w, v)| w * v * v).sum::<f64>() / sum;
            f += max + sum.ln() - beta * z[y];
            g += mean_z - z[y];
            h += mean_z2 - mean_z * mean_z;
        }
        let n = self.z.len() as f64;
        (f / n, g / n, h.max(0.0) / n)
    }
}

/// Fits a temperature to `(probabilities, true column)` rows; `None` when there are none (or a
/// label is past its row).
pub fn fit_temperature(rows: &[(&[f32], usize)]) -> Option<TemperatureFit> {
    if rows.is_empty() || rows.iter().any(|(p, y)| *y >= p.len()) {
        return None;
    }
    let rows = Rows {
        z: rows
            .iter()
            .map(|(p, _)| p.iter().map(|&v| log_prob(v)).collect())
            .collect(),
        label: rows.iter().map(|(_, y)| *y).collect(),
    };
    let (mut lo, mut hi) = (1.0 / MAX_TEMPERATURE, 1.0 / MIN_TEMPERATURE);
    let nll_before = rows.derivatives(1.0).0;
    let finish = |beta: f64, at_bound: bool, iterations: usize| TemperatureFit {
        temperature: 1.0 / beta,
        nll_before,
        nll_after: rows.derivatives(beta).0,
        at_bound,
        iterations,
    };
    if rows.derivatives(lo).1 >= 0.0 {
        return Some(finish(lo, true, 0));
    }
    if rows.derivatives(hi).1 <= 0.0 {
        return Some(finish(hi, true, 0));
    }
    let mut beta: f64 = 1.0;
    let mut iterations = 0;
    while iterations < 200 {
        iterations += 1;
        let (_, g, h) = rows.derivatives(beta);
        if g.abs() < 1e-12 {
            break;
        }
        if g > 0.0 {
            hi = beta;
        } else {
            lo = beta;
        }
        let newton = beta - g / h;
        let next = if h > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - beta).abs() <= 1e-15 * beta {
            break;
        }
        beta = next;
    }
    Some(finish(beta, false, iterations))
}

/// Calibration figures of a set of predictions against labels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationFigures {
    /// Samples counted (labelled, predicted, with probabilities, chosen).
    pub n: usize,
    /// Mean negative log-likelihood of the true label (natural log).
    pub nll: f64,
    /// Expected calibration error over [`ECE_BINS`] bins.
    pub ece: f64,
    /// Fraction predicted right.
    pub accuracy: f64,
    /// Mean confidence of the predicted label.
    pub mean_confidence: f64,
    /// The reliability diagram's bins.
    pub bins: Vec<ReliabilityBin>,
}

/// The samples a calibration uses: labelled (`truth`), chosen by `keep`, predicted with
/// probabilities whose length covers the label.
fn usable<'a>(
    set: &'a PredictionSet,
    truth: &'a [Option<ClassId>],
    keep: &'a dyn Fn(usize) -> bool,
) -> impl Iterator<Item = (&'a Prediction, &'a [f32], usize)> + 'a {
    set.entries
        .iter()
        .zip(truth)
        .enumerate()
        .filter_map(move |(i, (e, t))| match (e, t) {
            (Entry::Predicted(p), Some(t)) if keep(i) => {
                let probs = p.probs.as_deref()?;
                (t.index() < probs.len()).then_some((p, probs, t.index()))
            }
            _ => None,
        })
}

/// The figures of `set` on the samples `keep` chooses.
pub fn figures(
    set: &PredictionSet,
    truth: &[Option<ClassId>],
    keep: &dyn Fn(usize) -> bool,
) -> CalibrationFigures {
    let mut pairs = Vec::new();
    let mut nll = 0.0;
    for (p, probs, y) in usable(set, truth, keep) {
        nll -= log_prob(probs[y]);
        let correct = p.predicted == Predicted::Class(ClassId(y as u32));
        pairs.push((p.confidence.unwrap_or(0.0), correct));
    }
    let n = pairs.len();
    let mean = |f: &dyn Fn(&(f32, bool)) -> f64| {
        if n == 0 {
            0.0
        } else {
            pairs.iter().map(f).sum::<f64>() / n as f64
        }
    };
    CalibrationFigures {
        n,
        nll: if n == 0 { 0.0 } else { nll / n as f64 },
        ece: expected_calibration_error(&pairs),
        accuracy: mean(&|(_, ok)| f64::from(u8::from(*ok))),
        mean_confidence: mean(&|(c, _)| f64::from(*c)),
        bins: reliability_bins(&pairs, ECE_BINS),
    }
}

/// `set` with every prediction's probabilities and confidence scaled by `t` (the predicted
/// labels stay): what a run with that temperature gives, without running the model again.
pub fn scaled_set(set: &PredictionSet, t: f64) -> PredictionSet {
    let mut out = set.clone();
    for e in &mut out.entries {
        let Entry::Predicted(p) = e else { continue };
        let Some(probs) = p.probs.as_mut() else {
            continue;
        };
        let log_z = log_normaliser(probs, t);
        p.confidence = p.confidence.map(|c| scale_value(c, t, log_z));
        for v in probs.iter_mut() {
            *v = scale_value(*v, t, log_z);
        }
    }
    out
}

/// A calibration: the fitted temperature and the figures before and after on the same samples.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// The temperature to store: the fitted one times the one the predictions already had.
    pub temperature: f64,
    /// The temperature the predictions were made with (1 without one).
    pub previous_temperature: f64,
    /// The fit on the predictions as given.
    pub fit: TemperatureFit,
    /// Figures of the predictions as given.
    pub before: CalibrationFigures,
    /// Figures after scaling by the fitted temperature.
    pub after: CalibrationFigures,
}

/// Why nothing could be calibrated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalibrateError {
    /// No chosen sample has both a label and predicted probabilities.
    #[error(
        "no sample has both a label and predicted probabilities{0}: calibration needs labelled predictions"
    )]
    NothingToFit(String),
}

/// Fits a temperature on the samples `keep` chooses and measures it there; `previous` is the
/// temperature `set` was made with.
pub fn calibrate(
    set: &PredictionSet,
    truth: &[Option<ClassId>],
    keep: &dyn Fn(usize) -> bool,
    previous: f64,
    context: &str,
) -> Result<Calibration, CalibrateError> {
    let rows: Vec<(&[f32], usize)> = usable(set, truth, keep)
        .map(|(_, probs, y)| (probs, y))
        .collect();
    let fit = fit_temperature(&rows).ok_or_else(|| CalibrateError::NothingToFit(context.into()))?;
    let before = figures(set, truth, keep);
    let after = figures(&scaled_set(set, fit.temperature), truth, keep);
    Ok(Calibration {
        temperature: previous * fit.temperature,
        previous_temperature: previous,
        fit,
        before,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mapping::softmax;
    use crate::rng::SplitMix;

    /// Rows from logits `z * scale`, labels drawn from softmax(z): a model overconfident by
    /// `scale` should get back a temperature near `scale`.
    fn overconfident(scale: f32, n: usize) -> Vec<(Vec<f32>, usize)> {
        let mut rng = SplitMix::new(7);
        (0..n)
            .map(|_| {
                let z: Vec<f32> = (0..4).map(|_| (rng.uniform() as f32 - 0.5) * 4.0).collect();
                let truth = softmax(&z);
                let u = rng.uniform() as f32;
                let mut acc = 0.0;
                let y = truth
                    .iter()
                    .position(|p| {
                        acc += p;
                        acc >= u
                    })
                    .unwrap_or(3);
                (softmax(&z.iter().map(|v| v * scale).collect::<Vec<_>>()), y)
            })
            .collect()
    }

    #[test]
    fn an_overconfident_model_gets_its_scale_back() {
        let rows = overconfident(2.5, 4000);
        let refs: Vec<(&[f32], usize)> = rows.iter().map(|(p, y)| (p.as_slice(), *y)).collect();
        let fit = fit_temperature(&refs).unwrap();
        assert!(!fit.at_bound);
        assert!((fit.temperature - 2.5).abs() < 0.2, "{fit:?}");
        assert!(fit.nll_after < fit.nll_before);
    }

    #[test]
    fn all_right_and_sure_runs_to_the_bound() {
        let rows = [(vec![0.9f32, 0.1], 0usize), (vec![0.2, 0.8], 1)];
        let refs: Vec<(&[f32], usize)> = rows.iter().map(|(p, y)| (p.as_slice(), *y)).collect();
        let fit = fit_temperature(&refs).unwrap();
        assert!(
            fit.at_bound && fit.temperature == MIN_TEMPERATURE,
            "{fit:?}"
        );
        assert!(fit_temperature(&[]).is_none());
    }
}
