//! The class-mix drift test's false alarms and power, by simulation: a reference sample and a
//! window drawn from one class mix (the bundled Fashion CNN's predictions on the bundled
//! sample), or the window's mix shifted by moving a share of its mass to one class. Both the
//! test monitoring uses (homogeneity of two samples) and the goodness-of-fit form that takes
//! the reference's proportions as known are run, to show why the second is not used.

use serde::Serialize;

use crate::monitor::stats::{chi_square, chi_square_homogeneity, smoothed_proportions};

/// The Fashion CNN's predictions per class on the bundled sample (T-shirt/top .. Ankle boot).
pub const FASHION_PRED_COUNTS: [u64; 10] = [126, 120, 130, 123, 125, 123, 103, 124, 119, 119];

/// One setting: how often each test rejects at the level.
#[derive(Clone, Debug, Serialize)]
pub struct DriftBenchRow {
    /// Reference sample size.
    pub reference_n: usize,
    /// Window size.
    pub window_n: usize,
    /// Share of the window's mass moved to one class (0: no shift, the false-alarm rate).
    pub shift: f64,
    /// Rejection rate of the homogeneity test (the one monitoring uses).
    pub homogeneity: f64,
    /// Rejection rate of the goodness-of-fit test against the smoothed reference proportions.
    pub goodness_of_fit: f64,
    /// Trials.
    pub trials: usize,
}

fn splitmix(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` draws from the categorical distribution `p`, as counts.
fn draw(p: &[f64], n: usize, uniform: &mut impl FnMut() -> f64) -> Vec<u64> {
    let mut counts = vec![0u64; p.len()];
    for _ in 0..n {
        let u = uniform();
        let mut acc = 0.0;
        let k = p
            .iter()
            .position(|&q| {
                acc += q;
                u < acc
            })
            .unwrap_or(p.len() - 1);
        counts[k] += 1;
    }
    counts
}

/// Rejection rates at level `alpha` over `trials` draws for each window size and shift.
pub fn bench_class_mix(
    reference_n: usize,
    window_sizes: &[usize],
    shifts: &[f64],
    alpha: f64,
    trials: usize,
) -> Vec<DriftBenchRow> {
    let total: u64 = FASHION_PRED_COUNTS.iter().sum();
    let p: Vec<f64> = FASHION_PRED_COUNTS
        .iter()
        .map(|&c| c as f64 / total as f64)
        .collect();
    let mut out = Vec::new();
    for (s, &shift) in shifts.iter().enumerate() {
        // The shifted mix: `shift` of the mass moves to the last class (Ankle boot).
        let mut q: Vec<f64> = p.iter().map(|x| x * (1.0 - shift)).collect();
        if let Some(last) = q.last_mut() {
            *last += shift;
        }
        for (w, &window_n) in window_sizes.iter().enumerate() {
            let mut uniform = splitmix(0x5EED ^ ((s as u64) << 32) ^ w as u64);
            let (mut hom, mut gof) = (0usize, 0usize);
            for _ in 0..trials {
                let reference = draw(&p, reference_n, &mut uniform);
                let window = draw(&q, window_n, &mut uniform);
                if chi_square_homogeneity(&reference, &window).is_some_and(|(_, pv, _)| pv < alpha)
                {
                    hom += 1;
                }
                let expected = smoothed_proportions(&reference);
                if chi_square(&window, &expected).is_some_and(|(_, pv)| pv < alpha) {
                    gof += 1;
                }
            }
            out.push(DriftBenchRow {
                reference_n,
                window_n,
                shift,
                homogeneity: hom as f64 / trials as f64,
                goodness_of_fit: gof as f64 / trials as f64,
                trials,
            });
        }
    }
    out
}
