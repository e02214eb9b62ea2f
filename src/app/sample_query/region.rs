//! A named set of samples the gallery is limited to (a map selection, a device-log window),
//! with its own ranking.

/// A named set of samples the gallery is limited to.
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    /// What the set is, as the filter bar names it ("Map selection", "Device logs 12-08").
    pub what: String,
    /// Sorted sample indices.
    pub samples: Vec<usize>,
    /// A score per sample (parallel to `samples`; empty for none), highest first under
    /// [`super::SortKey::RegionRank`]: a device-log window's novelty.
    pub rank: Vec<f32>,
}

impl Region {
    /// The rank of sample `i`, when the region ranks it.
    pub fn rank_of(&self, i: usize) -> Option<f32> {
        let k = self.samples.binary_search(&i).ok()?;
        self.rank.get(k).copied().filter(|r| r.is_finite())
    }
}
