//! Duplicate groups: exact duplicates share a content hash; near duplicates have 256-bit
//! perceptual hashes within a Hamming distance. Candidate pairs come from bucketing hash chunks (two hashes
//! within distance `t` agree on at least one of `t + 1` chunks), so 100k images are not
//! compared pairwise.

use std::collections::HashMap;

use super::facts::{ImageFacts, PHash, distance};
use crate::dataset::Dataset;

/// Default Hamming-distance threshold between 256-bit perceptual hashes: resized and
/// re-encoded copies of the bundled images measured at most 10, distinct images at least 36.
pub const DEFAULT_NEAR_DISTANCE: u32 = 14;

/// Samples that are copies of one another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateGroup {
    /// Sample indices, sorted.
    pub members: Vec<usize>,
    /// Every member has the same bytes.
    pub exact: bool,
    /// Largest perceptual-hash distance from the first member.
    pub max_distance: u32,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

/// Chunks of `bits` bits (dividing 64) covering the 256-bit hash, numbered.
fn chunks(h: &PHash, bits: u32) -> impl Iterator<Item = (u32, u64)> + '_ {
    let mask = (1u64 << bits) - 1;
    let per_word = 64 / bits;
    h.iter().enumerate().flat_map(move |(w, word)| {
        (0..per_word).map(move |k| (w as u32 * per_word + k, (word >> (k * bits)) & mask))
    })
}

/// Groups samples whose files are identical or whose perceptual hashes are within `max_distance`
/// bits. Unreadable files join groups only by exact content.
pub fn find_duplicates(facts: &[Option<ImageFacts>], max_distance: u32) -> Vec<DuplicateGroup> {
    let n = facts.len();
    let mut uf = UnionFind((0..n).collect());
    let mut by_content: HashMap<&str, usize> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        if let Some(f) = f
            && !f.content_hash.is_empty()
        {
            match by_content.get(f.content_hash.as_str()) {
                Some(&j) => uf.union(i, j),
                None => {
                    by_content.insert(&f.content_hash, i);
                }
            }
        }
    }
    let hashes: Vec<Option<PHash>> = facts
        .iter()
        .map(|f| f.as_ref().and_then(|f| f.phash))
        .collect();
    // Chunk width such that at least max_distance + 1 chunks cover the hash.
    let bits = [16u32, 8, 4, 2, 1]
        .into_iter()
        .find(|b| 256 / b > max_distance)
        .unwrap_or(1);
    let mut buckets: HashMap<(u32, u64), Vec<usize>> = HashMap::new();
    for (i, h) in hashes.iter().enumerate() {
        if let Some(h) = h {
            for c in chunks(h, bits) {
                buckets.entry(c).or_default().push(i);
            }
        }
    }
    for members in buckets.values() {
        for (a_pos, &a) in members.iter().enumerate() {
            let Some(ha) = &hashes[a] else { continue };
            for &b in &members[a_pos + 1..] {
                if let Some(hb) = &hashes[b]
                    && distance(ha, hb) <= max_distance
                {
                    uf.union(a, b);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = uf.find(i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<DuplicateGroup> = groups
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|mut members| {
            members.sort();
            let hash_of = |i: usize| facts[i].as_ref().map(|f| f.content_hash.as_str());
            let exact = members.iter().all(|&i| hash_of(i) == hash_of(members[0]));
            let max_distance = members
                .iter()
                .filter_map(|&i| Some(distance(hashes[i].as_ref()?, hashes[members[0]].as_ref()?)))
                .max()
                .unwrap_or(0);
            DuplicateGroup {
                members,
                exact,
                max_distance,
            }
        })
        .collect();
    out.sort_by(|a, b| a.members.cmp(&b.members));
    out
}

/// `"; LEAK across splits train/val"` when the `members` of a group of copies come from more
/// than one of the dataset's splits, else nothing.
pub fn leak_note(ds: &Dataset, members: &[usize]) -> String {
    let mut splits: Vec<&str> = members
        .iter()
        .filter_map(|&i| ds.samples[i].split.as_deref())
        .collect();
    splits.sort_unstable();
    splits.dedup();
    if splits.len() > 1 {
        format!("; LEAK across splits {}", splits.join("/"))
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(content: &str, phash: PHash) -> Option<ImageFacts> {
        Some(ImageFacts {
            bytes: 1,
            content_hash: content.into(),
            width: 8,
            height: 8,
            color: "Rgb8".into(),
            phash: Some(phash),
            signature: None,
            error: None,
        })
    }

    #[test]
    fn exact_and_near_duplicates_group_and_distant_ones_do_not() {
        let base = [0x0123_4567_89ab_cdefu64, 7, 0xffff, 1 << 40];
        let flip = |mask: u64| [base[0] ^ mask, base[1], base[2], base[3]];
        let facts = vec![
            fact("a", base),
            fact("a", base),              // exact copy of 0
            fact("b", flip(0b1011)),      // 3 bits away from 0
            fact("c", base.map(|w| !w)),  // far from everything
            fact("d", flip(0x00ff_00ff)), // 16 bits away
            None,
        ];
        let groups = find_duplicates(&facts, 4);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members, vec![0, 1, 2]);
        assert!(!groups[0].exact);
        assert_eq!(groups[0].max_distance, 3);
        let exact_only = find_duplicates(&facts, 0);
        assert_eq!(exact_only.len(), 1);
        assert_eq!(exact_only[0].members, vec![0, 1]);
        assert!(exact_only[0].exact);
        // A large threshold (brute-force-sized chunks) still finds the 16-bit neighbour.
        assert_eq!(find_duplicates(&facts, 16)[0].members, vec![0, 1, 2, 4]);
    }
}
