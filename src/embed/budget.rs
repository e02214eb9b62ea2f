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

/// How much slower an exact scan of rows on disk is than of rows in memory (read, widened
/// from f16 and normalised block by block): 94 against 19.5 ms a query at 100,000 x 1,280,
/// page cache warm (`bench --suite ann`, 2026-12-06).
pub const DISK_SCAN_COST: f64 = 5.0;

/// [`exact_query_is_fast`] for a set whose rows are on disk when `on_disk`.
pub fn exact_query_is_fast_in(rows: usize, dim: usize, on_disk: bool) -> bool {
    let cost = if on_disk { DISK_SCAN_COST } else { 1.0 };
    rows as f64 * dim as f64 * cost <= QUERY_BUDGET
}
