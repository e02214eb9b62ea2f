//! Train/validation/test assignment: stratified by label, group-aware (a duplicate group is one
//! unit), deterministic. Each unit's place in its class is given by a keyed hash of the seed and
//! the unit's key (its first sample id), so the result depends on neither thread count nor file
//! system order, and adding one sample does not reshuffle the others.

use crate::dataset::ClassId;

listed_enum! {
/// One of the exported splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training.
    Train,
    /// Validation.
    Val,
    /// Test.
    Test,
}
}

impl Split {
    /// Folder and column name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
        }
    }

    /// Reads a split name as datasets spell it (`valid`, `validation`, `dev` are `val`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "train" | "training" => Some(Self::Train),
            "val" | "valid" | "validation" | "dev" => Some(Self::Val),
            "test" | "testing" => Some(Self::Test),
            _ => None,
        }
    }
}

/// A unit of assignment: one sample, or a duplicate group that must stay together.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Stable key (the smallest sample id of the unit).
    pub key: String,
    /// Its samples per label (one entry for a single sample).
    pub labels: Vec<(ClassId, usize)>,
}

impl Unit {
    /// A single sample.
    pub fn single(key: String, label: ClassId) -> Self {
        Self {
            key,
            labels: vec![(label, 1)],
        }
    }
}

/// Split fractions and seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitConfig {
    /// Fraction for validation.
    pub val: f64,
    /// Fraction for test.
    pub test: f64,
    /// Seed of the keyed ordering.
    pub seed: u64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            val: 0.1,
            test: 0.0,
            seed: 42,
        }
    }
}

/// A 64-bit hash of `key` under `seed`, used as a sample's random but reproducible rank.
pub fn keyed_rank(seed: u64, key: &str) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(key.as_bytes());
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// Assigns every unit a split. Units are taken in keyed-hash order; a unit goes to validation
/// when, for each of its labels, validation stays within `round(n_label * val)` samples, else
/// to test likewise, else to train. Single samples fill the shares exactly, so every class gets
/// its rounded share unless duplicate groups leave too few single samples.
pub fn assign(units: &[Unit], cfg: &SplitConfig) -> Vec<Split> {
    let num_classes = units
        .iter()
        .flat_map(|u| u.labels.iter().map(|(c, _)| c.index() + 1))
        .max()
        .unwrap_or(0);
    let mut n = vec![0usize; num_classes];
    for u in units {
        for &(c, k) in &u.labels {
            n[c.index()] += k;
        }
    }
    let target =
        |f: f64| -> Vec<usize> { n.iter().map(|&x| (x as f64 * f).round() as usize).collect() };
    let (target_val, target_test) = (target(cfg.val), target(cfg.test));
    let (mut val, mut test) = (vec![0usize; num_classes], vec![0usize; num_classes]);
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_cached_key(|&k| (keyed_rank(cfg.seed, &units[k].key), units[k].key.clone()));
    let mut out = vec![Split::Train; units.len()];
    let fits = |have: &[usize], want: &[usize], u: &Unit| {
        u.labels
            .iter()
            .all(|&(c, k)| have[c.index()] + k <= want[c.index()])
    };
    for k in order {
        let u = &units[k];
        if fits(&val, &target_val, u) {
            for &(c, x) in &u.labels {
                val[c.index()] += x;
            }
            out[k] = Split::Val;
        } else if fits(&test, &target_test, u) {
            for &(c, x) in &u.labels {
                test[c.index()] += x;
            }
            out[k] = Split::Test;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(counts: &[usize]) -> Vec<Unit> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(c, &n)| {
                (0..n).map(move |k| Unit::single(format!("c{c}/{k:05}.png"), ClassId(c as u32)))
            })
            .collect()
    }

    fn count(units: &[Unit], splits: &[Split], c: u32, s: Split) -> usize {
        units
            .iter()
            .zip(splits)
            .filter(|(u, x)| u.labels[0].0.0 == c && **x == s)
            .count()
    }

    #[test]
    fn every_class_keeps_its_share_within_one_sample() {
        let u = units(&[100, 37, 5, 1, 250]);
        let cfg = SplitConfig {
            val: 0.1,
            test: 0.2,
            seed: 7,
        };
        let s = assign(&u, &cfg);
        for (c, n) in [100usize, 37, 5, 1, 250].into_iter().enumerate() {
            let val = count(&u, &s, c as u32, Split::Val) as f64;
            let test = count(&u, &s, c as u32, Split::Test) as f64;
            assert!(
                (val - n as f64 * 0.1).abs() <= 1.0,
                "class {c}: val {val} of {n}"
            );
            assert!(
                (test - n as f64 * 0.2).abs() <= 1.0,
                "class {c}: test {test} of {n}"
            );
        }
    }

    #[test]
    fn same_seed_same_split_any_input_order_and_seed_matters() {
        let u = units(&[50, 50]);
        let cfg = SplitConfig::default();
        let a = assign(&u, &cfg);
        let mut rev = u.clone();
        rev.reverse();
        let mut b = assign(&rev, &cfg);
        b.reverse();
        assert_eq!(a, b, "file-system order does not matter");
        let other = assign(&u, &SplitConfig { seed: 43, ..cfg });
        assert_ne!(a, other, "the seed matters");
    }

    #[test]
    fn groups_are_units_and_never_overfill_validation() {
        let mut u = units(&[20]);
        u.push(Unit {
            key: "c0/group".into(),
            labels: vec![(ClassId(0), 5)],
        });
        let s = assign(&u, &SplitConfig::default());
        let val: usize = u
            .iter()
            .zip(&s)
            .filter(|(_, x)| **x == Split::Val)
            .map(|(u, _)| u.labels[0].1)
            .sum();
        assert_eq!(val, 3, "round(25 * 0.1) = 3 (2.5 rounds away from zero)");
    }
}
