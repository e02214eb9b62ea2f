//! Limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., algorithms 7.4
//! and 7.5) with a backtracking Armijo line search, for smooth convex objectives such as the
//! L2-regularised softmax regression of `logreg`. The objective is evaluated by the
//! caller (which parallelises it); this file only keeps the curvature pairs and the steps.

use std::collections::VecDeque;

/// Stopping rules and memory of the optimiser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsOptions {
    /// Curvature pairs kept.
    pub memory: usize,
    /// Iterations at most.
    pub max_iter: usize,
    /// Stop when the largest gradient component is at most this (scipy's `pgtol`).
    pub gtol: f64,
    /// Stop when an iteration lowers the objective by at most this relative amount.
    pub ftol: f64,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        Self {
            memory: 10,
            max_iter: 500,
            gtol: 1e-5,
            ftol: 1e-10,
        }
    }
}

/// Where the optimiser stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsOutcome {
    /// The parameters.
    pub x: Vec<f64>,
    /// The objective there.
    pub f: f64,
    /// Iterations made.
    pub iterations: usize,
    /// A stopping rule was met (rather than the iteration limit or a failed line search).
    pub converged: bool,
    /// The caller's callback asked to stop.
    pub stopped: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Minimises `objective` (which returns the value and writes the gradient) from `x0`.
/// `after_iteration(iteration, value, x)` is called after every iteration; returning `false`
/// stops the optimiser (cancellation), keeping the best point so far.
pub fn minimize(
    mut objective: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    opts: &LbfgsOptions,
    mut after_iteration: impl FnMut(usize, f64, &[f64]) -> bool,
) -> LbfgsOutcome {
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut f = objective(&x, &mut g);
    let mut pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::new();
    let (mut x_new, mut g_new, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut alpha = vec![0.0; opts.memory.max(1)];
    let out = |x: Vec<f64>, f, iterations, converged, stopped| LbfgsOutcome {
        x,
        f,
        iterations,
        converged,
        stopped,
    };
    if !f.is_finite() {
        return out(x, f, 0, false, false);
    }
    for it in 0..opts.max_iter {
        if max_abs(&g) <= opts.gtol {
            return out(x, f, it, true, false);
        }
        // Two-loop recursion: d = -H g.
        d.iter_mut().zip(&g).for_each(|(d, g)| *d = -g);
        for (i, (s, y, rho)) in pairs.iter().enumerate().rev() {
            alpha[i] = rho * dot(s, &d);
            d.iter_mut().zip(y).for_each(|(d, y)| *d -= alpha[i] * y);
        }
        let gamma = pairs
            .back()
            .map_or(1.0 / max_abs(&g).max(1e-12).max(1.0), |(s, y, _)| {
                dot(s, y) / dot(y, y)
            });
        d.iter_mut().for_each(|d| *d *= gamma);
        for (i, (s, y, rho)) in pairs.iter().enumerate() {
            let beta = rho * dot(y, &d);
            d.iter_mut()
                .zip(s)
                .for_each(|(d, s)| *d += (alpha[i] - beta) * s);
        }
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (rounding): restart from steepest descent.
            pairs.clear();
            let scale = max_abs(&g).max(1.0);
            d.iter_mut().zip(&g).for_each(|(d, g)| *d = -g / scale);
            slope = dot(&g, &d);
        }
        // Backtracking line search (Armijo, c1 = 1e-4).
        let mut step = 1.0;
        let mut f_new = f64::INFINITY;
        let mut accepted = false;
        for _ in 0..40 {
            x_new
                .iter_mut()
                .zip(x.iter().zip(&d))
                .for_each(|(xn, (x, d))| *xn = x + step * d);
            f_new = objective(&x_new, &mut g_new);
            if f_new.is_finite() && f_new <= f + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return out(x, f, it, false, false);
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).max(1e-300) {
            if pairs.len() == opts.memory.max(1) {
                pairs.pop_front();
            }
            pairs.push_back((s, y, 1.0 / sy));
        }
        let decrease = f - f_new;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;
        if !after_iteration(it + 1, f, &x) {
            return out(x, f, it + 1, false, true);
        }
        if decrease <= opts.ftol * f.abs().max(1.0) {
            return out(x, f, it + 1, true, false);
        }
    }
    out(x, f, opts.max_iter, false, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_function() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let opts = LbfgsOptions {
            max_iter: 2000,
            gtol: 1e-9,
            ftol: 0.0,
            ..LbfgsOptions::default()
        };
        let out = minimize(rosen, vec![-1.2, 1.0], &opts, |_, _, _| true);
        assert!(out.converged, "{out:?}");
        assert!((out.x[0] - 1.0).abs() < 1e-6 && (out.x[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_callback_stops_it() {
        let quad = |x: &[f64], g: &mut [f64]| {
            g.iter_mut().zip(x).for_each(|(g, x)| *g = 2.0 * x);
            x.iter().map(|v| v * v).sum()
        };
        let out = minimize(quad, vec![3.0; 4], &LbfgsOptions::default(), |it, _, _| {
            it < 1
        });
        assert!(out.stopped && out.iterations == 1);
    }
}
