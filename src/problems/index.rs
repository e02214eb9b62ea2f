//! Findings indexed by sample for views: which kinds each sample has (a bit set), its
//! label-issue score and suggestion, its details, and counts per kind.

use super::kind::{Finding, FindingKind};
use crate::dataset::ClassId;

/// Per-sample view of the findings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProblemIndex {
    /// Bit `kind as u8` set when the sample has a finding of that kind.
    pub flags: Vec<u8>,
    /// Label-issue score per sample (flagged samples only).
    pub label_score: Vec<Option<f32>>,
    /// Suggested label per sample (flagged samples only).
    pub suggested: Vec<Option<ClassId>>,
    /// Label-quality score per sample (the combined probability of its label; lower is more
    /// suspicious), for every sample in the review queue.
    pub queue_score: Vec<Option<f32>>,
    /// Findings per kind.
    pub counts: [usize; FindingKind::COUNT],
    /// All findings, most suspicious first.
    pub findings: Vec<Finding>,
}

impl ProblemIndex {
    /// Indexes `findings` over `n` samples.
    pub fn build(n: usize, mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.sample.cmp(&b.sample)));
        let mut ix = Self {
            flags: vec![0; n],
            label_score: vec![None; n],
            suggested: vec![None; n],
            queue_score: vec![None; n],
            counts: [0; FindingKind::COUNT],
            findings: Vec::new(),
        };
        for f in &findings {
            if f.sample >= n {
                continue;
            }
            ix.flags[f.sample] |= 1 << f.kind as u8;
            ix.counts[f.kind as usize] += 1;
            if f.kind == FindingKind::Label {
                ix.label_score[f.sample] = Some(f.score);
                ix.suggested[f.sample] = f.suggested;
            }
        }
        ix.findings = findings;
        ix
    }

    /// Takes the review queue's scores.
    pub fn set_queue(&mut self, quality: &crate::label_quality::LabelQuality) {
        self.queue_score = vec![None; self.flags.len()];
        for e in &quality.queue {
            if let Some(slot) = self.queue_score.get_mut(e.sample) {
                *slot = Some(e.score);
            }
        }
    }

    /// Per kind: how many samples have it among those `excluded` says no to, and among those
    /// it says yes to (the window counts what its filter shows and names the rest).
    pub fn sample_counts(
        &self,
        excluded: impl Fn(usize) -> bool,
    ) -> [(usize, usize); FindingKind::COUNT] {
        let mut out = [(0, 0); FindingKind::COUNT];
        for (i, &bits) in self.flags.iter().enumerate() {
            if bits == 0 {
                continue;
            }
            let out_of_set = excluded(i);
            for k in FindingKind::ALL {
                if bits & (1 << k as u8) != 0 {
                    let slot = &mut out[k as usize];
                    if out_of_set {
                        slot.1 += 1;
                    } else {
                        slot.0 += 1;
                    }
                }
            }
        }
        out
    }

    /// Whether sample `i` has a finding of `kind`.
    pub fn has(&self, i: usize, kind: FindingKind) -> bool {
        self.flags
            .get(i)
            .is_some_and(|f| f & (1 << kind as u8) != 0)
    }

    /// The kinds sample `i` has.
    pub fn kinds_of(&self, i: usize) -> impl Iterator<Item = FindingKind> + '_ {
        FindingKind::ALL
            .into_iter()
            .filter(move |&k| self.has(i, k))
    }

    /// The findings of sample `i`.
    pub fn of(&self, i: usize) -> impl Iterator<Item = &Finding> + '_ {
        self.findings.iter().filter(move |f| f.sample == i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_counts_and_suggestions_follow_the_findings() {
        let f = |sample, kind, score, suggested| Finding {
            other: None,
            sample,
            kind,
            score,
            detail: String::new(),
            suggested,
        };
        let ix = ProblemIndex::build(
            4,
            vec![
                f(1, FindingKind::Text, 0.6, None),
                f(1, FindingKind::Label, 0.9, Some(ClassId(2))),
                f(3, FindingKind::Duplicate, 1.0, None),
            ],
        );
        assert!(ix.has(1, FindingKind::Text) && ix.has(1, FindingKind::Label));
        assert!(!ix.has(0, FindingKind::Text));
        assert_eq!(ix.counts, [1, 1, 1, 0, 0, 0, 0]);
        assert_eq!(ix.suggested[1], Some(ClassId(2)));
        assert_eq!(ix.label_score[1], Some(0.9));
        assert_eq!(
            ix.kinds_of(1).collect::<Vec<_>>(),
            [FindingKind::Label, FindingKind::Text]
        );
        assert_eq!(ix.findings[0].sample, 3, "most suspicious first");
    }
}
