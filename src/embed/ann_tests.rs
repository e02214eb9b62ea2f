//! Tests of the neighbour graph ([`super::ann`]) against exact search, and of how a set keeps
//! its graph.

use std::sync::Arc;

use super::ann::{AnnIndex, AnnOptions, Storage};
use super::distance::dot;
use super::knn::exact_all_nearest;
use super::set::EmbeddingSet;

/// `n` vectors of `dim` values around 20 centres, deterministic.
fn clustered(n: usize, dim: usize) -> EmbeddingSet {
    let rows: Vec<Vec<f32>> = super::synthetic::clustered_rows(n, dim).collect();
    EmbeddingSet::from_rows(&rows)
}

#[test]
fn the_graph_finds_nearly_every_exact_neighbour_with_exact_distances() {
    let set = clustered(3000, 48);
    for storage in [Storage::F32, Storage::F16, Storage::I8] {
        let opts = AnnOptions {
            storage,
            ..AnnOptions::default()
        };
        let index = AnnIndex::build(set.as_rows(), opts, None).unwrap();
        assert_eq!(index.len(), 3000);
        let approx = index.all_nearest(set.as_rows(), 10, None).unwrap();
        let exact = exact_all_nearest(&set, 10);
        let mut hits = 0;
        for (r, (a, e)) in approx.iter().zip(&exact).enumerate() {
            assert_eq!(a.len(), 10);
            assert!(a.windows(2).all(|w| w[0].distance <= w[1].distance));
            for n in a {
                // No row is its own neighbour; distances are recomputed exactly.
                assert_ne!(n.sample, set.samples[r] as usize);
                let exact = 1.0 - dot(&set.row(r), &set.of_sample(n.sample).unwrap());
                assert_eq!(n.distance, exact);
            }
            hits += a
                .iter()
                .filter(|n| e.iter().any(|m| m.sample == n.sample))
                .count();
        }
        let recall = hits as f64 / (10.0 * 3000.0);
        assert!(recall > 0.95, "{storage:?}: recall {recall}");
    }
}

#[test]
fn a_set_builds_its_graph_once_for_every_clone_and_not_for_a_subset() {
    let set = clustered(400, 8);
    let copy = set.clone();
    assert!(copy.built_graph().is_none());
    let g = set.graph(None).unwrap();
    let again = copy.graph(None).unwrap();
    assert!(Arc::ptr_eq(&g, &again), "a clone reuses the graph");
    assert!(set.subset(&[0, 1, 2]).built_graph().is_none());
}

#[test]
fn a_query_skips_the_excluded_samples_and_sorts_by_exact_distance() {
    let set = clustered(500, 16);
    let index = AnnIndex::build(set.as_rows(), AnnOptions::default(), None).unwrap();
    let q = set.row(7).to_vec();
    let got = index.nearest(set.as_rows(), &q, 5, &[7, 8]).unwrap();
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|n| n.sample != 7 && n.sample != 8));
    assert!(got.windows(2).all(|w| w[0].distance <= w[1].distance));
    for n in &got {
        let exact = 1.0 - dot(&q, &set.of_sample(n.sample).unwrap());
        assert_eq!(n.distance, exact);
    }
}
