//! Multinomial logistic regression (softmax over all classes, L2 on the weights, intercept not
//! penalised): the objective of scikit-learn's `LogisticRegression(C=c)` with the `lbfgs`
//! solver, `sum_i s_i * -log p(y_i | x_i) / S + |W|^2 / (2 c S)` with sample weights `s_i`
//! (the class weight of the sample's label, or 1) and `S = sum_i s_i`. The probabilities of a
//! converged fit equal scikit-learn's (tested against committed reference values).
//!
//! Written here rather than taken from linfa-logistic, which depends on ndarray 0.16 (a second
//! copy beside our 0.17) and argmin, evaluates the objective on one thread and has no way to
//! report each iteration (the window plots the loss and cancels): the objective below is two
//! matrix products per block of rows, the blocks on all threads.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2, Axis, s};
use rayon::prelude::*;

use super::lbfgs::{LbfgsOptions, minimize};

/// Training settings.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRegOptions {
    /// Inverse regularisation strength (scikit-learn's `C`).
    pub c: f64,
    /// Optional weight per class (scikit-learn's `class_weight`), indexed by class.
    pub class_weights: Option<Vec<f64>>,
    /// Optimiser settings.
    pub lbfgs: LbfgsOptions,
}

impl Default for LogRegOptions {
    fn default() -> Self {
        Self {
            c: 1.0,
            class_weights: None,
            lbfgs: LbfgsOptions::default(),
        }
    }
}

/// A fitted softmax classifier: `p = softmax(x W + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxModel {
    /// Weights, features x classes.
    pub weights: Array2<f32>,
    /// Intercepts, one per class.
    pub bias: Array1<f32>,
}

/// A fit and how it went.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The model.
    pub model: SoftmaxModel,
    /// The objective at the end.
    pub loss: f64,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Whether the optimiser met its tolerance.
    pub converged: bool,
    /// Whether the callback stopped it.
    pub stopped: bool,
}

/// One optimiser step, as the callback of [`fit`] sees it.
pub struct Step<'a> {
    /// Iterations so far.
    pub iteration: usize,
    /// The training objective.
    pub loss: f64,
    params: &'a [f64],
    dim: usize,
    classes: usize,
}

impl Step<'_> {
    /// The model at this step.
    pub fn model(&self) -> SoftmaxModel {
        SoftmaxModel::from_params(self.params, self.dim, self.classes)
    }
}

const BLOCK_ROWS: usize = 2048;

/// Softmax of each row in place; returns nothing (rows of `-inf` stay uniform-safe).
fn softmax_rows(z: &mut Array2<f32>) {
    for mut row in z.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
}

impl SoftmaxModel {
    /// Number of input features.
    pub fn dim(&self) -> usize {
        self.weights.nrows()
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.weights.ncols()
    }

    /// Logits of each row of `x`.
    pub fn logits(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut z = x.dot(&self.weights);
        z += &self.bias;
        z
    }

    /// Probabilities of each row of `x` (rows x classes).
    pub fn probabilities(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut z = self.logits(x);
        softmax_rows(&mut z);
        z
    }

    fn to_params(&self) -> Vec<f64> {
        self.weights
            .iter()
            .chain(self.bias.iter())
            .map(|&v| f64::from(v))
            .collect()
    }

    fn from_params(p: &[f64], dim: usize, classes: usize) -> Self {
        let weights = Array2::from_shape_fn((dim, classes), |(i, j)| p[i * classes + j] as f32);
        let bias = Array1::from_iter(p[dim * classes..].iter().map(|&v| v as f32));
        Self { weights, bias }
    }
}

/// The objective and its gradient over the rows `ranges` of `x`, `y`.
struct Objective<'a> {
    x: ArrayView2<'a, f32>,
    y: &'a [u32],
    blocks: Vec<Range<usize>>,
    classes: usize,
    sample_weight: Vec<f32>,
    weight_sum: f64,
    l2: f64,
}

impl Objective<'_> {
    fn eval(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let (dim, k) = (self.x.ncols(), self.classes);
        let model = SoftmaxModel::from_params(params, dim, k);
        // Per-block sums collected in block order and added in that order: the same result
        // whatever the threads did (a reduce tree would follow the work stealing).
        let parts: Vec<(f64, Array2<f32>, Array1<f64>)> = self
            .blocks
            .par_iter()
            .map(|block| {
                let (lo, hi) = (block.start, block.end);
                let xb = self.x.slice(s![lo..hi, ..]);
                let mut z = model.logits(xb);
                let mut loss = 0f64;
                for (r, mut row) in z.rows_mut().into_iter().enumerate() {
                    let y = self.y[lo + r] as usize;
                    let sw = self.sample_weight[lo + r];
                    let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    let sum: f64 = row.iter().map(|&v| f64::from(v - max).exp()).sum();
                    loss += f64::from(sw) * (sum.ln() + f64::from(max) - f64::from(row[y]));
                    let (max, sum) = (max, sum as f32);
                    row.mapv_inplace(|v| sw * (v - max).exp() / sum);
                    row[y] -= sw;
                }
                let gw = xb.t().dot(&z);
                let gb = z.sum_axis(Axis(0)).mapv(f64::from);
                (loss, gw, gb)
            })
            .collect();
        let mut loss = 0f64;
        let mut gw = Array2::<f32>::zeros((dim, k));
        let mut gb = Array1::<f64>::zeros(k);
        for (l, w, b) in parts {
            loss += l;
            gw += &w;
            gb += &b;
        }
        let scale = 1.0 / self.weight_sum;
        let mut penalty = 0.0;
        for (i, g) in grad[..dim * k].iter_mut().enumerate() {
            let w = params[i];
            penalty += w * w;
            *g = f64::from(gw[[i / k, i % k]]) * scale + self.l2 * w;
        }
        for (j, g) in grad[dim * k..].iter_mut().enumerate() {
            *g = gb[j] * scale;
        }
        loss * scale + 0.5 * self.l2 * penalty
    }
}

/// Fits the classifier on rows `x` with labels `y` (each below `classes`), starting from
/// `init` when given (a warm start: the previous fit on slightly different labels) and from
/// zero otherwise. `after_iteration` is called after every optimiser step; returning `false`
/// stops the fit.
pub fn fit(
    x: ArrayView2<f32>,
    y: &[u32],
    classes: usize,
    opts: &LogRegOptions,
    init: Option<&SoftmaxModel>,
    after_iteration: impl FnMut(&Step) -> bool,
) -> Fit {
    let all = 0..x.nrows();
    fit_rows(
        x,
        y,
        std::slice::from_ref(&all),
        classes,
        opts,
        init,
        after_iteration,
    )
}

/// [`fit`] on the rows of `x` in `ranges` only (`y` is indexed like `x`): K-fold training
/// without copying the training rows.
pub fn fit_rows(
    x: ArrayView2<f32>,
    y: &[u32],
    ranges: &[Range<usize>],
    classes: usize,
    opts: &LogRegOptions,
    init: Option<&SoftmaxModel>,
    mut after_iteration: impl FnMut(&Step) -> bool,
) -> Fit {
    let dim = x.ncols();
    let sample_weight: Vec<f32> = y
        .iter()
        .map(|&c| {
            opts.class_weights
                .as_ref()
                .and_then(|w| w.get(c as usize))
                .map_or(1.0, |&w| w as f32)
        })
        .collect();
    let blocks: Vec<Range<usize>> = ranges
        .iter()
        .flat_map(|r| {
            (r.start..r.end)
                .step_by(BLOCK_ROWS)
                .map(move |lo| lo..(lo + BLOCK_ROWS).min(r.end))
        })
        .collect();
    let weight_sum = blocks
        .iter()
        .flat_map(|b| sample_weight[b.clone()].iter())
        .map(|&w| f64::from(w))
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let objective = Objective {
        x,
        y,
        blocks,
        classes,
        l2: 1.0 / (opts.c * weight_sum),
        sample_weight,
        weight_sum,
    };
    let x0 = match init {
        Some(m) if m.dim() == dim && m.classes() == classes => m.to_params(),
        _ => vec![0.0; (dim + 1) * classes],
    };
    let out = minimize(
        |p, g| objective.eval(p, g),
        x0,
        &opts.lbfgs,
        |iteration, loss, params| {
            after_iteration(&Step {
                iteration,
                loss,
                params,
                dim,
                classes,
            })
        },
    );
    Fit {
        model: SoftmaxModel::from_params(&out.x, dim, classes),
        loss: out.f,
        iterations: out.iterations,
        converged: out.converged,
        stopped: out.stopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_gradient_matches(classes: usize, weights: Option<Vec<f64>>) {
        let x = Array2::from_shape_fn((7, 3), |(i, j)| ((i * 3 + j) as f32 * 0.37).sin());
        let y = [0u32, 1, 2, 0, 1, 2, 2];
        let obj = Objective {
            x: x.view(),
            y: &y,
            blocks: std::iter::once(0..7).collect(),
            classes,
            sample_weight: y
                .iter()
                .map(|&c| weights.as_ref().map_or(1.0, |w| w[c as usize] as f32))
                .collect(),
            weight_sum: y
                .iter()
                .map(|&c| weights.as_ref().map_or(1.0, |w| w[c as usize]))
                .sum(),
            l2: 0.3,
        };
        let p: Vec<f64> = (0..(3 + 1) * classes)
            .map(|i| (i as f64 * 0.7).cos() * 0.5)
            .collect();
        let mut g = vec![0.0; p.len()];
        obj.eval(&p, &mut g);
        for i in 0..p.len() {
            let (mut hi, mut lo) = (p.clone(), p.clone());
            hi[i] += 1e-3;
            lo[i] -= 1e-3;
            let mut scratch = vec![0.0; p.len()];
            let numeric = (obj.eval(&hi, &mut scratch) - obj.eval(&lo, &mut scratch)) / 2e-3;
            assert!((numeric - g[i]).abs() < 1e-3, "{i}: {numeric} vs {}", g[i]);
        }
    }

    #[test]
    fn the_gradient_is_the_derivative_of_the_loss() {
        numeric_gradient_matches(3, None);
        numeric_gradient_matches(4, Some(vec![1.0, 2.0, 0.5, 1.0]));
    }

    #[test]
    fn separable_classes_are_learned_and_warm_starts_converge_at_once() {
        let x = Array2::from_shape_fn((60, 2), |(i, j)| {
            let c = (i % 3) as f32;
            (if j == 0 { c * 2.0 } else { -c }) + ((i * 7 + j) as f32 * 0.9).sin() * 0.3
        });
        let y: Vec<u32> = (0..60).map(|i| (i % 3) as u32).collect();
        let opts = LogRegOptions::default();
        let fitted = fit(x.view(), &y, 3, &opts, None, |_| true);
        assert!(fitted.converged);
        let p = fitted.model.probabilities(x.view());
        for (i, row) in p.rows().into_iter().enumerate() {
            let best = (0..3)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            assert_eq!(best as u32, y[i]);
            assert!((row.sum() - 1.0).abs() < 1e-5);
        }
        let again = fit(x.view(), &y, 3, &opts, Some(&fitted.model), |_| true);
        assert!(again.iterations <= 2, "{}", again.iterations);
    }
}
