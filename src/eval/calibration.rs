//! Calibration: reliability bins and expected calibration error (ECE, 15 equal-width bins over
//! (0, 1], a sample with confidence c falling in bin ceil(15c) - 1).

use serde::Serialize;

/// Number of ECE bins.
pub const ECE_BINS: usize = 15;

/// One bin of a reliability diagram.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lower edge (exclusive, except for the first bin).
    pub lo: f32,
    /// Upper edge (inclusive).
    pub hi: f32,
    /// Samples in the bin.
    pub count: usize,
    /// Mean confidence of those samples.
    pub mean_confidence: f32,
    /// Fraction of them predicted correctly.
    pub accuracy: f32,
}

/// Reliability bins from (confidence, correct) pairs.
pub fn reliability_bins(samples: &[(f32, bool)], num_bins: usize) -> Vec<ReliabilityBin> {
    let mut sum_conf = vec![0f64; num_bins];
    let mut num_correct = vec![0usize; num_bins];
    let mut count = vec![0usize; num_bins];
    for &(c, ok) in samples {
        let c = c.clamp(0.0, 1.0);
        let b = ((c * num_bins as f32).ceil() as usize)
            .saturating_sub(1)
            .min(num_bins - 1);
        sum_conf[b] += f64::from(c);
        num_correct[b] += usize::from(ok);
        count[b] += 1;
    }
    (0..num_bins)
        .map(|b| {
            let n = count[b].max(1) as f64;
            ReliabilityBin {
                lo: b as f32 / num_bins as f32,
                hi: (b + 1) as f32 / num_bins as f32,
                count: count[b],
                mean_confidence: (sum_conf[b] / n) as f32,
                accuracy: (num_correct[b] as f64 / n) as f32,
            }
        })
        .collect()
}

/// Expected calibration error over [`ECE_BINS`] bins: sum over bins of
/// |accuracy - mean confidence| weighted by the bin's share of samples.
pub fn expected_calibration_error(samples: &[(f32, bool)]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let total = samples.len() as f64;
    reliability_bins(samples, ECE_BINS)
        .iter()
        .map(|b| {
            (b.count as f64 / total) * (f64::from(b.accuracy) - f64::from(b.mean_confidence)).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ece_of_a_hand_computed_case() {
        // Bin (0.8667, 0.9333]: two samples at 0.9, one right -> |0.5 - 0.9| * 2/4.
        // Bin (0.2667, 0.3333]: two samples at 0.3, both wrong -> |0 - 0.3| * 2/4.
        let s = [(0.9, true), (0.9, false), (0.3, false), (0.3, false)];
        let ece = expected_calibration_error(&s);
        assert!((ece - (0.4 * 0.5 + 0.3 * 0.5)).abs() < 1e-6, "{ece}");
        let perfect = [(1.0, true), (1.0, true)];
        assert!(expected_calibration_error(&perfect) < 1e-9);
        let bins = reliability_bins(&s, ECE_BINS);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 4);
        assert_eq!(bins[13].count, 2);
    }
}
