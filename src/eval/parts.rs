//! Sharded prediction runs: `predict --shard I/N` takes a deterministic 1/N of the samples (by a
//! hash of the sample id, so the split does not depend on listing order or on which machine
//! lists the files) and writes `part-I-of-N.parquet`; a directory of such parts reads back as one
//! prediction set.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::table::TableError;

/// Shard `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}`: expected I/N with 0 <= I < N, e.g. 0/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl Shard {
    /// Whether the sample with this id belongs to this shard.
    pub fn contains(&self, sample_id: &str) -> bool {
        let h = blake3::hash(sample_id.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&h.as_bytes()[..8]);
        u64::from_le_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }

    /// The part file name, e.g. `part-3-of-8.parquet`.
    pub fn part_name(&self, ext: &str) -> String {
        format!("part-{}-of-{}.{ext}", self.index, self.count)
    }
}

/// The extensions of prediction and embedding parts.
const TABLE_PARTS: &[&str] = &["parquet", "csv", "jsonl"];

/// Parses `part-I-of-N.<ext>` with one of `exts`.
fn parse_part_name(name: &str, exts: &[&str]) -> Option<Shard> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !exts.contains(&ext) {
        return None;
    }
    let rest = stem.strip_prefix("part-")?;
    let (i, n) = rest.split_once("-of-")?;
    format!("{i}/{n}").parse().ok()
}

/// The part files of `dir`, sorted by index. A missing part or mixed shard counts are warnings
/// (naming the directory); no part at all is an error.
pub fn part_files(dir: &Path, warnings: &mut Vec<String>) -> Result<Vec<PathBuf>, TableError> {
    part_files_of(dir, TABLE_PARTS, warnings)
}

/// [`part_files`] with one of `exts` (e.g. `issues --shard`'s image facts).
pub fn part_files_of(
    dir: &Path,
    exts: &[&str],
    warnings: &mut Vec<String>,
) -> Result<Vec<PathBuf>, TableError> {
    let io = |source| TableError::Io {
        source,
        path: dir.to_path_buf(),
    };
    let mut parts: Vec<(Shard, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(shard) = parse_part_name(&name, exts) {
            parts.push((shard, entry.path()));
        }
    }
    if parts.is_empty() {
        return Err(TableError::NoParts {
            path: dir.to_path_buf(),
        });
    }
    parts.sort_by_key(|(s, _)| (s.count, s.index));
    let count = parts[parts.len() - 1].0.count;
    if parts.iter().any(|(s, _)| s.count != count) {
        warnings.push(format!(
            "parts of different shard counts in {}; reading all of them",
            dir.display()
        ));
    }
    for index in 0..count {
        if !parts
            .iter()
            .any(|(s, _)| s.count == count && s.index == index)
        {
            warnings.push(format!(
                "part {index} of {count} is missing in {} (its samples count as missing)",
                dir.display()
            ));
        }
    }
    Ok(parts.into_iter().map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_samples_evenly() {
        let ids: Vec<String> = (0..4000)
            .map(|i| format!("class{}/{i:05}.jpg", i % 7))
            .collect();
        let shards: Vec<Shard> = (0..8).map(|i| format!("{i}/8").parse().unwrap()).collect();
        let mut sizes = [0usize; 8];
        for id in &ids {
            let owners: Vec<usize> = (0..8).filter(|&k| shards[k].contains(id)).collect();
            assert_eq!(owners.len(), 1, "{id} belongs to exactly one shard");
            sizes[owners[0]] += 1;
        }
        for s in sizes {
            assert!((400..=600).contains(&s), "uneven shards: {sizes:?}");
        }
    }

    #[test]
    fn shard_syntax_is_checked() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["8/8", "1/0", "3", "a/b", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            parse_part_name("part-2-of-4.parquet", TABLE_PARTS).map(|s| s.index),
            Some(2)
        );
        assert_eq!(parse_part_name("part-2-of-4.txt", TABLE_PARTS), None);
        assert_eq!(parse_part_name("notes.csv", TABLE_PARTS), None);
        assert_eq!(parse_part_name("part-2-of-4.facts", TABLE_PARTS), None);
        assert!(parse_part_name("part-2-of-4.facts", &["facts"]).is_some());
    }
}
