//! The neighbour vote: the labels of each sample's nearest neighbours in embedding space
//! (SimiFeat, Zhu, Dong & Liu, ICML 2022: images close in a good feature space share their true
//! label, so a label most neighbours disagree with is suspect). No training; a relabel changes
//! only the votes it takes part in.

use crate::dataset::ClassId;
use crate::embed::Neighbourhood;

/// How many of a sample's neighbours carry each class.
#[derive(Clone, Debug, PartialEq)]
pub struct Votes {
    /// Count per class.
    pub counts: Vec<u16>,
    /// Neighbours that voted (excluded neighbours do not).
    pub total: u16,
}

impl Votes {
    /// The class most neighbours carry (ties: the lower class index) and how many do.
    pub fn majority(&self) -> (ClassId, u16) {
        let (c, n) = self
            .counts
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .map_or((0, 0), |(c, &n)| (c, n));
        (ClassId(c as u32), n)
    }

    /// Vote shares smoothed towards uniform by `alpha` pseudo-votes per class, so that a class
    /// no neighbour carries keeps a small probability.
    pub fn probabilities(&self, alpha: f32) -> Vec<f32> {
        let denom = f32::from(self.total) + alpha * self.counts.len() as f32;
        self.counts
            .iter()
            .map(|&n| (f32::from(n) + alpha) / denom)
            .collect()
    }
}

/// The votes of each row of `hood.active` (in row order) under the labels `truth`.
pub fn neighbour_votes(
    hood: &Neighbourhood,
    truth: &[Option<ClassId>],
    classes: usize,
) -> Vec<Votes> {
    hood.neighbours
        .iter()
        .map(|list| {
            let mut counts = vec![0u16; classes];
            let mut total = 0u16;
            for nb in list {
                if let Some(c) = truth.get(nb.sample).copied().flatten()
                    && let Some(n) = counts.get_mut(c.index())
                {
                    *n += 1;
                    total += 1;
                }
            }
            Votes { counts, total }
        })
        .collect()
}
