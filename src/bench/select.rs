//! Whether choosing what to label pays: a simulated labelling loop on the bundled Fashion
//! sample's embeddings (the Fashion CNN's). A seeded 30% is held out for testing; the rest is
//! the pool. Each run starts with 2 labels per class, then for several rounds picks a budget of
//! pool images by a strategy, "labels" them with their true labels, trains a linear head
//! (logistic regression, C = 1, balanced class weights) on everything labelled and measures its test accuracy. Each
//! strategy runs over several seeds; the table is the mean accuracy per round.

use ndarray::{Array2, Axis};
use serde::Serialize;

use crate::rng::SplitMix;
use crate::select::{SelectInputs, Strategy, select};

/// One strategy's accuracy per round, averaged over seeds.
#[derive(Clone, Debug, Serialize)]
pub struct SelectBenchRow {
    /// The strategy.
    pub strategy: String,
    /// Labels after each round (the first entry: the starting labels).
    pub labels: Vec<usize>,
    /// Mean test accuracy after each round.
    pub accuracy: Vec<f64>,
}

/// The strategies compared, by name.
pub const STRATEGIES: [(&str, Strategy); 5] = [
    ("random", Strategy::Random),
    ("uncertainty", Strategy::Uncertainty),
    ("diversity", Strategy::Diversity),
    ("typical", Strategy::Typical),
    ("auto (default)", Strategy::Auto),
];

/// Runs the loop: `x` (L2-normalised rows) with true classes `y` over `classes`, `rounds`
/// rounds of `budget`, `seeds` seeds.
pub fn bench_select(
    x: &Array2<f32>,
    y: &[usize],
    classes: usize,
    rounds: usize,
    budget: usize,
    seeds: u64,
) -> Vec<SelectBenchRow> {
    let names: Vec<String> = (0..classes).map(|c| format!("class {c}")).collect();
    STRATEGIES
        .iter()
        .map(|(name, strategy)| {
            let mut sums = vec![0.0f64; rounds + 1];
            let mut labels = vec![0usize; rounds + 1];
            for seed in 0..seeds {
                let run = one_run(x, y, &names, *strategy, rounds, budget, seed);
                for (k, (n, acc)) in run.into_iter().enumerate() {
                    sums[k] += acc;
                    labels[k] = n;
                }
            }
            SelectBenchRow {
                strategy: name.to_string(),
                labels,
                accuracy: sums.iter().map(|s| s / seeds as f64).collect(),
            }
        })
        .collect()
}

/// One seeded run: (labels, test accuracy) after the start and each round.
fn one_run(
    x: &Array2<f32>,
    y: &[usize],
    classes: &[String],
    strategy: Strategy,
    rounds: usize,
    budget: usize,
    seed: u64,
) -> Vec<(usize, f64)> {
    let n = x.nrows();
    let mut rng = SplitMix::new(0x5E1E_C700 ^ seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let test: Vec<usize> = order[..n * 3 / 10].to_vec();
    let mut pool: Vec<usize> = order[n * 3 / 10..].to_vec();
    // Two labels per class to start.
    let mut labelled: Vec<usize> = Vec::new();
    for c in 0..classes.len() {
        labelled.extend(pool.iter().copied().filter(|&i| y[i] == c).take(2));
    }
    pool.retain(|i| !labelled.contains(i));
    let mut out = Vec::new();
    for round in 0..=rounds {
        let model = train(x, y, &labelled, classes.len());
        out.push((labelled.len(), accuracy(&model, x, y, &test)));
        if round == rounds {
            break;
        }
        let pool_x = x.select(Axis(0), &pool);
        let probs = model.probabilities(pool_x.view());
        let lab_x = x.select(Axis(0), &labelled);
        let lab_y: Vec<usize> = labelled.iter().map(|&i| y[i]).collect();
        let inputs = SelectInputs {
            pool: pool_x.view(),
            probs: Some(probs.view()),
            labelled: lab_x.view(),
            labelled_classes: &lab_y,
            classes,
        };
        let Ok(picks) = select(&inputs, budget, strategy, seed * 1000 + round as u64) else {
            break;
        };
        let chosen: Vec<usize> = picks.iter().map(|p| pool[p.index]).collect();
        labelled.extend(&chosen);
        pool.retain(|i| !chosen.contains(i));
    }
    out
}

fn train(
    x: &Array2<f32>,
    y: &[usize],
    labelled: &[usize],
    classes: usize,
) -> crate::linear::SoftmaxModel {
    let xs = x.select(Axis(0), labelled);
    let ys: Vec<u32> = labelled.iter().map(|&i| y[i] as u32).collect();
    // Balanced class weights (scikit-learn's `class_weight="balanced"`): a few labels of one
    // class must not tilt the head towards it.
    let mut counts = vec![0usize; classes];
    for &c in &ys {
        counts[c as usize] += 1;
    }
    let weights = counts
        .iter()
        .map(|&n| {
            if n == 0 {
                0.0
            } else {
                ys.len() as f64 / (classes as f64 * n as f64)
            }
        })
        .collect();
    let opts = crate::linear::LogRegOptions {
        class_weights: Some(weights),
        ..crate::linear::LogRegOptions::default()
    };
    crate::linear::fit(xs.view(), &ys, classes, &opts, None, |_| true).model
}

fn accuracy(
    model: &crate::linear::SoftmaxModel,
    x: &Array2<f32>,
    y: &[usize],
    test: &[usize],
) -> f64 {
    let logits = model.logits(x.select(Axis(0), test).view());
    let right = logits
        .axis_iter(Axis(0))
        .zip(test)
        .filter(|(row, i)| {
            let best = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(c, _)| c);
            best == y[**i]
        })
        .count();
    right as f64 / test.len().max(1) as f64
}
