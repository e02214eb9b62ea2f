//! How sure a metric is: Wilson score intervals for proportions (accuracy, per-class precision
//! and recall), seeded percentile bootstrap intervals for balanced accuracy, macro F1 and ECE,
//! McNemar's exact test and a paired bootstrap for the difference between two prediction sets
//! on the same samples. Wilson and McNemar equal statsmodels' `proportion_confint(method=
//! "wilson")` and `mcnemar(exact=True)` (tested against committed reference values).

use rayon::prelude::*;
use serde::Serialize;

use super::calibration::expected_calibration_error;
use super::{Entry, Metrics, Predicted, PredictionSet};
use crate::dataset::ClassId;

/// The normal quantile of a two-sided 95% interval (scipy's `norm.ppf(0.975)`).
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval of `k` successes in `n` trials; `None` when `n` is 0.
pub fn wilson(k: u64, n: u64, z: f64) -> Option<[f64; 2]> {
    if n == 0 {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some([centre - half, centre + half])
}

/// A 95% interval in percent, "85.3-89.1". Its ends are clamped to 0-100 for display only: at
/// 0 right, Wilson's lower end is 0 up to rounding and would print as "-0.0".
pub fn percent_interval(lo: f64, hi: f64) -> String {
    // `+ 0.0` turns a negative zero into zero.
    let pct = |x: f64| (x * 100.0).clamp(0.0, 100.0) + 0.0;
    format!("{:.1}-{:.1}", pct(lo), pct(hi))
}

/// `P(X <= k)` for `X ~ Binomial(n, 1/2)`, summed in log space.
fn binomial_half_cdf(k: u64, n: u64) -> f64 {
    let ln2 = std::f64::consts::LN_2;
    let mut log_c = 0f64; // ln C(n, 0)
    let mut terms = Vec::with_capacity(k as usize + 1);
    for i in 0..=k.min(n) {
        if i > 0 {
            log_c += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        terms.push(log_c - n as f64 * ln2);
    }
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln())
        .min(0.0)
        .exp()
}

/// McNemar's exact test: the two-sided binomial p-value of `b` vs `c` discordant samples.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    if b + c == 0 {
        return 1.0;
    }
    (2.0 * binomial_half_cdf(b.min(c), b + c)).min(1.0)
}

/// SplitMix64: a small seeded generator, one stream per resample.
fn splitmix(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// numpy's default (linear) percentile of sorted values.
fn percentile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let at = (v.len() - 1) as f64 * q;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (at - lo as f64)
}

/// The percentile interval of `stat` over `resamples` bootstrap resamples of `n` items
/// (indices drawn with replacement, resample `r` seeded by `seed` and `r`).
pub fn bootstrap(
    n: usize,
    resamples: usize,
    seed: u64,
    level: f64,
    stat: impl Fn(&[usize]) -> f64 + Sync,
) -> Option<[f64; 2]> {
    bootstrap_each(n, resamples, seed, level, |idx| vec![stat(idx)])?
        .first()
        .copied()
}

/// [`bootstrap`] of several statistics computed together on the same resamples.
pub fn bootstrap_each(
    n: usize,
    resamples: usize,
    seed: u64,
    level: f64,
    stats: impl Fn(&[usize]) -> Vec<f64> + Sync,
) -> Option<Vec<[f64; 2]>> {
    if n == 0 || resamples == 0 {
        return None;
    }
    let per_resample: Vec<Vec<f64>> = (0..resamples)
        .into_par_iter()
        .map(|r| {
            let mut next = splitmix(seed ^ (r as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let idx: Vec<usize> = (0..n).map(|_| (next() % n as u64) as usize).collect();
            stats(&idx)
        })
        .collect();
    let count = per_resample.first().map_or(0, Vec::len);
    let a = (1.0 - level) / 2.0;
    Some(
        (0..count)
            .map(|j| {
                let mut values: Vec<f64> = per_resample
                    .iter()
                    .filter_map(|v| v.get(j).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                values.sort_by(f64::total_cmp);
                [
                    percentile_sorted(&values, a),
                    percentile_sorted(&values, 1.0 - a),
                ]
            })
            .collect(),
    )
}

/// Balanced accuracy and macro F1 from `(true, predicted column)` pairs, as
/// [`super::compute_metrics`] computes them (macro over all `k` classes, balanced accuracy
/// over the classes with support; predictions outside the classes count against recall).
fn balanced_and_macro_f1(pairs: &[(u32, u32)], idx: &[usize], k: usize) -> (f64, f64) {
    let (mut tp, mut support, mut predicted) = (vec![0u64; k], vec![0u64; k], vec![0u64; k]);
    for &i in idx {
        let (t, p) = pairs[i];
        support[t as usize] += 1;
        if (p as usize) < k {
            predicted[p as usize] += 1;
            tp[t as usize] += u64::from(t == p);
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let recalls: Vec<f64> = (0..k)
        .filter(|&c| support[c] > 0)
        .map(|c| ratio(tp[c], support[c]))
        .collect();
    let balanced = if recalls.is_empty() {
        0.0
    } else {
        recalls.iter().sum::<f64>() / recalls.len() as f64
    };
    let f1: f64 = (0..k)
        .map(|c| {
            let (fp, fn_) = (predicted[c] - tp[c], support[c] - tp[c]);
            ratio(2 * tp[c], 2 * tp[c] + fp + fn_)
        })
        .sum();
    (balanced, if k == 0 { 0.0 } else { f1 / k as f64 })
}

/// `(true class, predicted column)` per evaluated sample, and `(confidence, correct)` per
/// sample with a confidence.
type Evaluated = (Vec<(u32, u32)>, Vec<(f32, bool)>);

/// The evaluated samples of `set` as `(true class, predicted column)` (column `k` = other or
/// unparsed), and the (confidence, correct) pairs of the calibration.
fn evaluated(truth: &[Option<ClassId>], set: &PredictionSet, k: usize) -> Evaluated {
    let (mut pairs, mut calib) = (Vec::new(), Vec::new());
    for (t, e) in truth.iter().zip(&set.entries) {
        let (Some(t), Entry::Predicted(p)) = (t, e) else {
            continue;
        };
        let col = match p.predicted {
            Predicted::Class(c) if c.index() < k => c.0,
            _ => k as u32,
        };
        pairs.push((t.0, col));
        if let Some(c) = p.confidence {
            calib.push((c, p.predicted == Predicted::Class(*t)));
        }
    }
    (pairs, calib)
}

/// Intervals of one set's headline metrics.
#[derive(Clone, Debug, Serialize)]
pub struct MetricIntervals {
    /// Confidence level (0.95).
    pub ci_level: f64,
    /// How each interval was made.
    pub ci_method: String,
    /// Accuracy (Wilson).
    pub accuracy_ci: Option<[f64; 2]>,
    /// Balanced accuracy (bootstrap).
    pub balanced_accuracy_ci: Option<[f64; 2]>,
    /// Macro F1 (bootstrap).
    pub macro_f1_ci: Option<[f64; 2]>,
    /// Expected calibration error (bootstrap).
    pub ece_ci: Option<[f64; 2]>,
    /// Per class: precision and recall (Wilson).
    pub per_class: Vec<ClassIntervals>,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Bootstrap seed.
    pub seed: u64,
}

/// One class's intervals.
#[derive(Clone, Debug, Serialize)]
pub struct ClassIntervals {
    /// The class.
    pub label: String,
    /// Precision (Wilson on tp of predicted).
    pub precision_ci: Option<[f64; 2]>,
    /// Recall (Wilson on tp of support).
    pub recall_ci: Option<[f64; 2]>,
}

/// The 95% Wilson interval of `m`'s accuracy (the confusion matrix's diagonal over its total).
pub fn accuracy_interval(m: &Metrics) -> Option<[f64; 2]> {
    let cm = &m.confusion;
    let correct: u64 = (0..m.per_class.len()).map(|i| cm.matrix[i][i]).sum();
    wilson(correct, cm.total(), Z95)
}

/// 95% intervals of `m` (the metrics of `set` against `truth`): Wilson for proportions, a
/// seeded percentile bootstrap over samples for the rest.
pub fn metric_intervals(
    m: &Metrics,
    truth: &[Option<ClassId>],
    set: &PredictionSet,
    resamples: usize,
    seed: u64,
) -> MetricIntervals {
    let k = m.per_class.len();
    let cm = &m.confusion;
    let (pairs, calib) = evaluated(truth, set, k);
    let level = 0.95;
    let both = bootstrap_each(pairs.len(), resamples, seed, level, |idx| {
        let (balanced, macro_f1) = balanced_and_macro_f1(&pairs, idx, k);
        vec![balanced, macro_f1]
    });
    MetricIntervals {
        ci_level: level,
        ci_method: format!(
            "Wilson score for accuracy, precision and recall; percentile bootstrap over samples ({resamples} resamples, seed {seed}) for balanced accuracy, macro F1 and ECE"
        ),
        accuracy_ci: accuracy_interval(m),
        balanced_accuracy_ci: both.as_ref().and_then(|b| b.first().copied()),
        macro_f1_ci: both.as_ref().and_then(|b| b.get(1).copied()),
        ece_ci: bootstrap(calib.len(), resamples, seed, level, |idx| {
            let sample: Vec<(f32, bool)> = idx.iter().map(|&i| calib[i]).collect();
            expected_calibration_error(&sample)
        }),
        per_class: m
            .per_class
            .iter()
            .enumerate()
            .map(|(i, c)| ClassIntervals {
                label: c.label.clone(),
                precision_ci: wilson(cm.matrix[i][i], cm.col_sum(i), Z95),
                recall_ci: wilson(cm.matrix[i][i], cm.row_sum(i), Z95),
            })
            .collect(),
        resamples,
        seed,
    }
}

/// Whether two sets differ, on the samples both predicted.
#[derive(Clone, Debug, Serialize)]
pub struct PairedTest {
    /// Samples both sets predicted (with a label).
    pub n: usize,
    /// Only the first is right.
    pub only_first_right: u64,
    /// Only the second is right.
    pub only_second_right: u64,
    /// Both are right.
    pub both_right: u64,
    /// Both are wrong (the same wrong answer or not).
    pub both_wrong: u64,
    /// McNemar's exact p-value for accuracy.
    pub mcnemar_p: f64,
    /// Second minus first macro F1 on these samples.
    pub macro_f1_difference: f64,
    /// Its 95% paired-bootstrap interval.
    pub macro_f1_difference_ci: Option<[f64; 2]>,
    /// The verdict in words.
    pub verdict: String,
}

/// McNemar's exact test on accuracy and a paired bootstrap of the macro F1 difference between
/// `a` and `b` on the samples both predicted; the verdict calls them by `names`.
pub fn paired_test(
    truth: &[Option<ClassId>],
    (a, b): (&PredictionSet, &PredictionSet),
    names: [&str; 2],
    k: usize,
    resamples: usize,
    seed: u64,
) -> PairedTest {
    let (mut pa, mut pb) = (Vec::new(), Vec::new());
    for ((t, ea), eb) in truth.iter().zip(&a.entries).zip(&b.entries) {
        let (Some(t), Entry::Predicted(x), Entry::Predicted(y)) = (t, ea, eb) else {
            continue;
        };
        let col = |p: Predicted| match p {
            Predicted::Class(c) if c.index() < k => c.0,
            _ => k as u32,
        };
        pa.push((t.0, col(x.predicted)));
        pb.push((t.0, col(y.predicted)));
    }
    let [mut first, mut second, mut both_right, mut both_wrong] = [0u64; 4];
    for (x, y) in pa.iter().zip(&pb) {
        match (x.0 == x.1, y.0 == y.1) {
            (true, false) => first += 1,
            (false, true) => second += 1,
            (true, true) => both_right += 1,
            (false, false) => both_wrong += 1,
        }
    }
    let all: Vec<usize> = (0..pa.len()).collect();
    let diff =
        |idx: &[usize]| balanced_and_macro_f1(&pb, idx, k).1 - balanced_and_macro_f1(&pa, idx, k).1;
    let p = mcnemar_exact(first, second);
    let n = pa.len();
    let points = (second as f64 - first as f64) / n.max(1) as f64 * 100.0;
    let p_text = if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    };
    let verdict = if p < 0.05 {
        format!(
            "{} is better by {:.1} points of accuracy, {p_text}, {} vs {} discordant samples",
            if points > 0.0 { names[1] } else { names[0] },
            points.abs(),
            second.max(first),
            second.min(first)
        )
    } else {
        format!(
            "no significant difference in accuracy at n = {n} (p = {p:.2}, {first} vs {second} discordant samples)"
        )
    };
    PairedTest {
        n,
        only_first_right: first,
        only_second_right: second,
        both_right,
        both_wrong,
        mcnemar_p: p,
        macro_f1_difference: diff(&all),
        macro_f1_difference_ci: bootstrap(n, resamples, seed, 0.95, diff),
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let values: Vec<f64> = (0..500).map(|i| (i % 7) as f64).collect();
        let mean = |idx: &[usize]| idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64;
        let a = bootstrap(500, 400, 3, 0.95, mean).unwrap();
        assert_eq!(Some(a), bootstrap(500, 400, 3, 0.95, mean));
        let all: Vec<usize> = (0..500).collect();
        assert!(a[0] < mean(&all) && mean(&all) < a[1], "{a:?}");
        assert_ne!(Some(a), bootstrap(500, 400, 4, 0.95, mean));
    }
    #[test]
    fn an_interval_at_zero_or_all_right_prints_no_minus_sign() {
        let [lo, hi] = wilson(0, 132, 1.959964).unwrap();
        assert_eq!(percent_interval(lo, hi), "0.0-2.8");
        assert_eq!(percent_interval(-0.0, 1.0 + 1e-12), "0.0-100.0");
        assert_eq!(percent_interval(0.853, 0.891), "85.3-89.1");
    }
}
