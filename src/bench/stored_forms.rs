//! What storing embeddings compactly costs in neighbours: exact search over each stored form
//! (f16 as the cache and the rows on disk keep them; 8-bit; principal components in f32 or
//! 8-bit) against exact search over the f32 vectors, recall@10; and what reading the rows from
//! disk costs a query.

use std::path::Path;
use std::time::Instant;

use ndarray::{Array2, Axis, s};
use serde::Serialize;

use crate::embed::EmbeddingSet;
use crate::embed::knn::exact_nearest;
use crate::embed::matrix::Spill;
use crate::embed::pca::pca_basis;

/// Neighbours compared.
const K: usize = 10;

/// One stored form's figures.
#[derive(Clone, Debug, Serialize)]
pub struct FormRow {
    /// "f16", "i8", "pca-256 f32", ...
    pub name: String,
    /// Bytes a row takes stored.
    pub bytes_per_row: usize,
    /// Mean recall@10 of exact search over the form against exact search over f32.
    pub recall_at_10: f64,
}

/// The figures of the stored forms.
#[derive(Clone, Debug, Serialize)]
pub struct StoredForms {
    /// Rows searched.
    pub rows: usize,
    /// Their dimension.
    pub dim: usize,
    /// Queries scored.
    pub queries: usize,
    /// One row per form.
    pub forms: Vec<FormRow>,
    /// Exact query p50 / p95 ms with the rows in memory.
    pub memory_query_ms: [f64; 2],
    /// Exact query p50 / p95 ms with the rows on disk (read in blocks, page cache warm).
    pub disk_query_ms: [f64; 2],
}

/// Rows scaled to unit length (a zero row stays zero).
fn unit_rows(mut x: Array2<f32>) -> Array2<f32> {
    for mut r in x.rows_mut() {
        let n = r.dot(&r).sqrt();
        if n > 0.0 {
            r /= n;
        }
    }
    x
}

/// Each query row's `K` nearest other rows of `x` (unit rows) by cosine, in blocks of rows.
fn neighbours(x: &Array2<f32>, queries: &[usize]) -> Vec<Vec<usize>> {
    let q = x.select(Axis(0), queries);
    let mut best: Vec<Vec<(f32, usize)>> = vec![Vec::new(); queries.len()];
    const BLOCK: usize = 16_384;
    for lo in (0..x.nrows()).step_by(BLOCK) {
        let hi = (lo + BLOCK).min(x.nrows());
        let sims = q.dot(&x.slice(s![lo..hi, ..]).t());
        for (qi, row) in sims.rows().into_iter().enumerate() {
            let b = &mut best[qi];
            b.extend(
                row.iter()
                    .enumerate()
                    .map(|(j, &v)| (1.0 - v, lo + j))
                    .filter(|&(_, r)| r != queries[qi]),
            );
            b.sort_by(|a, c| a.0.total_cmp(&c.0).then(a.1.cmp(&c.1)));
            b.truncate(K);
        }
    }
    best.into_iter()
        .map(|b| b.into_iter().map(|(_, r)| r).collect())
        .collect()
}

fn recall(found: &[Vec<usize>], exact: &[Vec<usize>]) -> f64 {
    let hits: usize = found
        .iter()
        .zip(exact)
        .map(|(f, e)| f.iter().filter(|r| e.contains(r)).count())
        .sum();
    hits as f64 / (exact.len() * K).max(1) as f64
}

/// Each value to 8 bits by its column's largest magnitude (for unit rows, 1/127 steps).
fn int8(x: &Array2<f32>, per_column: bool) -> Array2<f32> {
    let scale: Vec<f32> = if per_column {
        x.columns()
            .into_iter()
            .map(|c| c.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0)
            .collect()
    } else {
        vec![1.0 / 127.0; x.ncols()]
    };
    let mut out = x.clone();
    for mut r in out.rows_mut() {
        for (v, &s) in r.iter_mut().zip(&scale) {
            *v = if s > 0.0 {
                (*v / s).round().clamp(-127.0, 127.0) * s
            } else {
                0.0
            };
        }
    }
    out
}

fn percentiles(mut ms: Vec<f64>) -> [f64; 2] {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    if ms.is_empty() {
        [0.0, 0.0]
    } else {
        [at(0.5), at(0.95)]
    }
}

/// Measures the forms on `rows` (f32, as the model gives them) with `queries` query rows
/// spread over the set; the rows on disk go to an unnamed file in `scratch`.
pub fn stored_forms(rows: &[Vec<f32>], queries: usize, scratch: &Path) -> StoredForms {
    let n = rows.len();
    let dim = rows.first().map_or(0, Vec::len);
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    let x = unit_rows(Array2::from_shape_vec((n, dim), flat).expect("rows x dim"));
    let step = (n / queries.max(1)).max(1);
    let picked: Vec<usize> = (0..n).step_by(step).take(queries).collect();
    let exact = neighbours(&x, &picked);
    let mut forms = Vec::new();
    let mut add = |name: String, bytes_per_row: usize, approx: Array2<f32>| {
        let found = neighbours(&unit_rows(approx), &picked);
        forms.push(FormRow {
            name,
            bytes_per_row,
            recall_at_10: recall(&found, &exact),
        });
    };
    // f16: what the embedding cache and the rows on disk hold (the model's values rounded).
    let half = x.mapv(|v| half::f16::from_f32(v).to_f32());
    add("f16".into(), dim * 2, half);
    add("i8 (x127)".into(), dim, int8(&x, false));
    let fit_rows: Vec<usize> = (0..n).step_by((n / 20_000).max(1)).collect();
    let mut ks = vec![256.min(dim), 64.min(dim)];
    ks.dedup();
    for k in ks {
        let Some(basis) = pca_basis(x.select(Axis(0), &fit_rows).view(), k.min(dim)) else {
            continue;
        };
        let projected = basis.project(x.view());
        add(format!("pca-{k} f32"), k * 4, projected.clone());
        add(format!("pca-{k} i8"), k, int8(&projected, true));
    }
    // The same exact search with the rows in memory and on disk.
    let memory = EmbeddingSet::from_rows(rows);
    let spill = Spill {
        dir: scratch.to_path_buf(),
        past_bytes: 0,
    };
    let disk = EmbeddingSet::from_rows_in(rows, Some(&spill));
    let time = |set: &EmbeddingSet| {
        let mut ms = Vec::with_capacity(picked.len());
        for &r in &picked {
            let q = set.row(r).into_owned();
            let t = Instant::now();
            std::hint::black_box(exact_nearest(set, &q, K, &[r]));
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        percentiles(ms)
    };
    // A first pass warms the page cache for the rows on disk, as a second query would.
    time(&disk);
    StoredForms {
        rows: n,
        dim,
        queries: picked.len(),
        forms,
        memory_query_ms: time(&memory),
        disk_query_ms: time(&disk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_keeps_almost_every_neighbour_and_pca_to_two_values_loses_many() {
        let mut rng = crate::rng::SplitMix::new(3);
        let rows: Vec<Vec<f32>> = (0..2000)
            .map(|_| (0..32).map(|_| rng.normal() as f32).collect())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let f = stored_forms(&rows, 50, dir.path());
        let by = |name: &str| {
            f.forms
                .iter()
                .find(|r| r.name == name)
                .unwrap()
                .recall_at_10
        };
        assert!(by("f16") > 0.97, "{f:?}");
        assert!(by("i8 (x127)") > 0.8, "{f:?}");
        // 32 dimensions: 32 components keep them all (and are measured once).
        assert!(by("pca-32 f32") > 0.97, "{f:?}");
        assert_eq!(f.forms.len(), 4, "{f:?}");
        assert_eq!(f.rows, 2000);
        assert_eq!(f.queries, 50);
    }
}
