//! The maximum mean discrepancy in linear time and memory: random Fourier features of a
//! Gaussian kernel (Rahimi and Recht 2007), MMD² as the squared distance between the two sides'
//! mean features, and a permutation test that sums only the smaller side's rows.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use crate::rng::SplitMix;

/// Random Fourier features of a Gaussian kernel: `sqrt(2/D) cos(x W + b)`.
#[derive(Clone, Debug)]
pub struct RandomFeatures {
    /// Frequencies, inputs x features.
    pub omega: Array2<f32>,
    /// Phases, one per feature, in [0, 2π).
    pub phase: Array1<f32>,
}

impl RandomFeatures {
    /// `features` features of the kernel `exp(-|x - y|² / (2 bandwidth²))` on `dim` inputs.
    pub fn new(dim: usize, features: usize, bandwidth: f32, seed: u64) -> Self {
        let mut rng = SplitMix::new(seed);
        let omega = Array2::from_shape_fn((dim, features), |_| rng.normal() as f32 / bandwidth);
        let phase =
            Array1::from_shape_fn(features, |_| (rng.uniform() * std::f64::consts::TAU) as f32);
        Self { omega, phase }
    }

    /// The features of each row of `x`.
    pub fn map(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let scale = (2.0 / self.phase.len().max(1) as f32).sqrt();
        let mut z = x.dot(&self.omega);
        z.rows_mut().into_iter().for_each(|mut r| {
            r.iter_mut()
                .zip(&self.phase)
                .for_each(|(v, b)| *v = scale * (*v + b).cos());
        });
        z
    }
}

/// MMD² as the squared distance between the mean feature rows of `a` and `b`.
pub fn mmd2(a: ArrayView2<f32>, b: ArrayView2<f32>) -> f64 {
    let (sa, sb) = (column_sums(a), column_sums(b));
    distance2(&sa, a.nrows(), &sb, b.nrows())
}

fn column_sums(x: ArrayView2<f32>) -> Vec<f64> {
    let mut s = vec![0.0f64; x.ncols()];
    for r in x.rows() {
        s.iter_mut().zip(r).for_each(|(s, &v)| *s += f64::from(v));
    }
    s
}

fn distance2(sum_a: &[f64], n_a: usize, sum_b: &[f64], n_b: usize) -> f64 {
    let (na, nb) = (n_a.max(1) as f64, n_b.max(1) as f64);
    sum_a
        .iter()
        .zip(sum_b)
        .map(|(a, b)| (a / na - b / nb).powi(2))
        .sum()
}

/// The permutation p-value of [`mmd2`] between feature rows `a` and `b`: `permutations`
/// random re-splits of the pooled rows into groups of the same sizes.
pub fn permutation_p_value(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    permutations: usize,
    seed: u64,
) -> f64 {
    let (n, m) = (a.nrows(), b.nrows());
    let (sa, sb) = (column_sums(a), column_sums(b));
    let observed = distance2(&sa, n, &sb, m);
    let total: Vec<f64> = sa.iter().zip(&sb).map(|(x, y)| x + y).collect();
    let pooled = n + m;
    let row = |i: usize| if i < n { a.row(i) } else { b.row(i - n) };
    // Draw the smaller group; the other is the rest.
    let drawn = n.min(m);
    let at_least = (0..permutations)
        .into_par_iter()
        .map_init(
            || (0..pooled as u32).collect::<Vec<u32>>(),
            |order, p| {
                let mut rng =
                    SplitMix::new(seed ^ (p as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                // Partial Fisher-Yates for a uniform subset; the swaps are undone after, so
                // every permutation starts from the same order whatever thread runs it.
                let mut swaps = Vec::with_capacity(drawn);
                for i in 0..drawn {
                    let j = i + rng.below((pooled - i) as u64) as usize;
                    order.swap(i, j);
                    swaps.push(j);
                }
                let mut sum = vec![0.0f64; total.len()];
                for &i in &order[..drawn] {
                    sum.iter_mut()
                        .zip(row(i as usize))
                        .for_each(|(s, &v)| *s += f64::from(v));
                }
                for (i, &j) in swaps.iter().enumerate().rev() {
                    order.swap(i, j);
                }
                let rest: Vec<f64> = total.iter().zip(&sum).map(|(t, s)| t - s).collect();
                let stat = distance2(&sum, drawn, &rest, pooled - drawn);
                usize::from(stat >= observed)
            },
        )
        .sum::<usize>();
    (1 + at_least) as f64 / (1 + permutations) as f64
}
