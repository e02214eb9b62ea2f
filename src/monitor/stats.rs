//! The statistics of monitoring: the class mix of a window against the reference (Pearson's
//! chi-square test of homogeneity of the two samples' counts, as `scipy.stats.chi2_contingency`,
//! and the population stability index), accuracy without labels (average thresholded
//! confidence, Garg et al., ICLR 2022) and percentiles. The p-values equal scipy's
//! (tests/core/monitor.rs against `scripts/make_monitor_reference.py`).
//!
//! The class-mix test is one of homogeneity, not of goodness of fit: the reference's
//! proportions are themselves a sample, and a goodness-of-fit test that took them as known would
//! raise false alarms on windows as large as the reference (`bench --suite monitor` measures
//! both).

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Pseudo-count added to every bucket of the reference before its proportions are taken
/// (Jeffreys' prior): a class the reference never predicted still has an expected count, so a
/// window predicting it is measured, not divided by zero.
pub const SMOOTHING: f64 = 0.5;

/// The reference proportions of `counts`, smoothed by [`SMOOTHING`].
pub fn smoothed_proportions(counts: &[u64]) -> Vec<f64> {
    let total: f64 = counts.iter().map(|&c| c as f64 + SMOOTHING).sum();
    counts
        .iter()
        .map(|&c| (c as f64 + SMOOTHING) / total)
        .collect()
}

/// Pearson's chi-square test of `observed` counts against `expected` proportions (summing to
/// 1): the statistic and its p-value on `k - 1` degrees of freedom. `None` with fewer than two
/// buckets or no observations.
pub fn chi_square(observed: &[u64], expected: &[f64]) -> Option<(f64, f64)> {
    let n: f64 = observed.iter().map(|&o| o as f64).sum();
    if observed.len() < 2 || observed.len() != expected.len() || n == 0.0 {
        return None;
    }
    let stat: f64 = observed
        .iter()
        .zip(expected)
        .map(|(&o, &p)| {
            let e = n * p;
            (o as f64 - e).powi(2) / e
        })
        .sum();
    let df = (observed.len() - 1) as f64;
    let p = ChiSquared::new(df).ok()?.sf(stat);
    Some((stat, p))
}

/// Pearson's chi-square test that `reference` and `window` counts (per bucket) come from the
/// same distribution, as `scipy.stats.chi2_contingency` on the 2 x k table: buckets empty in
/// both are left out, Yates' correction applies when one degree of freedom remains. The
/// statistic, its p-value and the degrees of freedom; `None` when either side is empty or fewer
/// than two buckets remain.
pub fn chi_square_homogeneity(reference: &[u64], window: &[u64]) -> Option<(f64, f64, usize)> {
    let cells: Vec<(f64, f64)> = reference
        .iter()
        .zip(window)
        .filter(|(r, w)| **r + **w > 0)
        .map(|(&r, &w)| (r as f64, w as f64))
        .collect();
    let (nr, nw): (f64, f64) = cells
        .iter()
        .fold((0.0, 0.0), |(a, b), (r, w)| (a + r, b + w));
    if cells.len() < 2 || nr == 0.0 || nw == 0.0 {
        return None;
    }
    let total = nr + nw;
    let df = cells.len() - 1;
    let mut stat = 0.0;
    for &(r, w) in &cells {
        let col = r + w;
        for (o, row) in [(r, nr), (w, nw)] {
            let e = row * col / total;
            let mut o = o;
            if df == 1 {
                let diff = e - o;
                o += diff.abs().min(0.5) * diff.signum();
            }
            stat += (o - e).powi(2) / e;
        }
    }
    let p = ChiSquared::new(df as f64).ok()?.sf(stat);
    Some((stat, p, df))
}

/// The population stability index of `observed` counts against `expected` proportions: the sum
/// of `(a - e) ln(a / e)` over buckets, the window's proportions `a` smoothed like the
/// reference's. Rule of thumb: under 0.1 stable, 0.1 to 0.25 a shift, over 0.25 a large one.
pub fn psi(observed: &[u64], expected: &[f64]) -> Option<f64> {
    if observed.iter().all(|&o| o == 0) || observed.len() != expected.len() {
        return None;
    }
    let actual = smoothed_proportions(observed);
    Some(
        actual
            .iter()
            .zip(expected)
            .map(|(a, e)| (a - e) * (a / e).ln())
            .sum(),
    )
}

/// The threshold of average thresholded confidence: on labelled reference data with
/// `confidences` and `accuracy`, the confidence above which the same share of samples lies as
/// the model gets right. `None` without data.
pub fn atc_threshold(confidences: &[f32], accuracy: f64) -> Option<f32> {
    if confidences.is_empty() || !(0.0..=1.0).contains(&accuracy) {
        return None;
    }
    let mut sorted = confidences.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let k = (accuracy * sorted.len() as f64).round() as usize;
    // `k` samples strictly above the threshold (the k-th largest value itself is not above).
    Some(match k {
        0 => sorted[0],
        k if k >= sorted.len() => f32::NEG_INFINITY,
        k => sorted[k],
    })
}

/// The negative entropy of a probability vector (nats; 0 for a one-hot, lower the more it
/// spreads): the score of ATC-NE, which Garg et al. found closer than the top probability.
pub fn negative_entropy(probs: &[f32]) -> f32 {
    probs
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| p * p.ln())
        .sum()
}

/// How many of `confidences` lie above `threshold` (the accuracy estimate's numerator).
pub fn above(confidences: &[f32], threshold: f32) -> u64 {
    confidences.iter().filter(|&&c| c > threshold).count() as u64
}

/// The `q` quantile (0..=1) of `values` by linear interpolation between order statistics
/// (numpy's default); `None` when empty.
pub fn quantile(values: &[f32], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atc_puts_as_many_samples_above_the_threshold_as_the_model_gets_right() {
        let conf = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
        let t = atc_threshold(&conf, 0.7).unwrap();
        assert_eq!(above(&conf, t), 7);
        assert_eq!(above(&conf, atc_threshold(&conf, 1.0).unwrap()), 10);
        assert_eq!(above(&conf, atc_threshold(&conf, 0.0).unwrap()), 0);
    }

    #[test]
    fn psi_is_zero_for_the_same_mix_and_grows_with_the_shift() {
        let reference = smoothed_proportions(&[500, 300, 200]);
        assert!(psi(&[500, 300, 200], &reference).unwrap().abs() < 1e-12);
        let small = psi(&[450, 330, 220], &reference).unwrap();
        let large = psi(&[200, 300, 500], &reference).unwrap();
        assert!(
            0.0 < small && small < 0.1 && large > 0.25,
            "{small} {large}"
        );
    }

    #[test]
    fn quantiles_interpolate_as_numpy() {
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.95), Some(3.8499999999999996));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
