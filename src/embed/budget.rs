//! Where exact neighbour search stops paying and the HNSW graph ([`super::ann`]) takes over:
//! for every row's neighbours, and for one query. The figures behind them are in
//! `docs/embeddings.md` (`bench --suite ann`).

/// Multiply-adds of the exact all-pairs search above which [`super::knn::all_nearest`] builds an HNSW
/// graph instead (at 1,280 values a row: about 17,700 rows).
pub const EXACT_BUDGET: f64 = 4e11;

/// Whether every row's neighbours in a set of `rows` x `dim` are found exactly.
pub fn exact_is_affordable(rows: usize, dim: usize) -> bool {
    (rows as f64).powi(2) * dim as f64 <= EXACT_BUDGET
}

/// Values scanned by one exact query above which a query asks the set's HNSW graph when it
/// has one (about 200,000 rows of 1,280 values: some 25 ms on two cores).
pub const QUERY_BUDGET: f64 = 2.5e8;

/// Whether one exact query over `rows` x `dim` stays fast.
pub fn exact_query_is_fast(rows: usize, dim: usize) -> bool {
    rows as f64 * dim as f64 <= QUERY_BUDGET
}
