//! Deterministic clustered vectors for tests and benchmarks: noise around 20 centres (every
//! dimension independent, so the intrinsic dimension is the full width: the hard case for a
//! neighbour graph).

/// `n` vectors of `dim` values, row `i` around centre `i % 20`, the same on every call.
pub fn clustered_rows(n: usize, dim: usize) -> impl Iterator<Item = Vec<f32>> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let centres: Vec<Vec<f32>> = (0..20)
        .map(|_| (0..dim).map(|_| next()).collect())
        .collect();
    (0..n).map(move |i| centres[i % 20].iter().map(|v| v + 0.6 * next()).collect())
}
