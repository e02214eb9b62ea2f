//! Two prediction sets on the same samples (450M vs 1.6B, fp32 vs int8, before vs after
//! fine-tuning): where they disagree, and which one is right there.

use super::intervals::{PairedTest, paired_test};
use super::predictions::{Predicted, PredictionSet};
use crate::dataset::ClassId;

/// Counts over samples both sets predicted (excluded samples skipped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    /// Samples both sets have a prediction for.
    pub both_predicted: usize,
    /// Of those, samples where the two answers differ.
    pub disagree: usize,
    /// Disagreements where only the first set is right.
    pub only_first_right: usize,
    /// Disagreements where only the second set is right.
    pub only_second_right: usize,
}

/// Whether sample `i` is predicted differently by `a` and `b`.
pub fn disagree(a: &PredictionSet, b: &PredictionSet, i: usize) -> bool {
    match (a.prediction(i), b.prediction(i)) {
        (Some(x), Some(y)) => x.predicted != y.predicted,
        _ => false,
    }
}

/// Compares `a` and `b` against `truth` (`None` = excluded).
pub fn compare(a: &PredictionSet, b: &PredictionSet, truth: &[Option<ClassId>]) -> Comparison {
    let mut c = Comparison::default();
    for (i, t) in truth.iter().enumerate() {
        let (Some(t), Some(x), Some(y)) = (t, a.prediction(i), b.prediction(i)) else {
            continue;
        };
        c.both_predicted += 1;
        if x.predicted != y.predicted {
            c.disagree += 1;
            let right = Predicted::Class(*t);
            if x.predicted == right {
                c.only_first_right += 1;
            } else if y.predicted == right {
                c.only_second_right += 1;
            }
        }
    }
    c
}

/// One pair of sets compared on the samples both predicted.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PairReport {
    /// Index of the first set.
    pub first: usize,
    /// Index of the second set.
    pub second: usize,
    /// Disagreement counts.
    pub comparison: Comparison,
    /// The 2x2 right/wrong table, McNemar's test and the paired macro F1 bootstrap.
    pub significance: PairedTest,
}

impl PairReport {
    /// Share of the samples both predicted on which the two give the same answer.
    pub fn agreement(&self) -> Option<f64> {
        let c = &self.comparison;
        (c.both_predicted > 0)
            .then(|| (c.both_predicted - c.disagree) as f64 / c.both_predicted as f64)
    }
}

/// Every pair of `sets` (first before second, in order), each named by `names` in verdicts.
pub fn compare_pairs(
    truth: &[Option<ClassId>],
    sets: &[&PredictionSet],
    names: &[String],
    num_classes: usize,
    resamples: usize,
    seed: u64,
) -> Vec<PairReport> {
    let mut out = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            out.push(PairReport {
                first: i,
                second: j,
                comparison: compare(sets[i], sets[j], truth),
                significance: paired_test(
                    truth,
                    (sets[i], sets[j]),
                    [&names[i], &names[j]],
                    num_classes,
                    resamples,
                    seed,
                ),
            });
        }
    }
    out
}

/// Names that tell the sets apart: each set's name, or where two share one, the name with its
/// source's file name ("EfficientNet-Lite0 (int8w.onnx)").
pub fn distinct_names(names: &[&str], sources: &[&str]) -> Vec<String> {
    names
        .iter()
        .zip(sources)
        .map(|(n, src)| {
            if names.iter().filter(|m| *m == n).count() > 1 {
                let file = std::path::Path::new(src)
                    .file_name()
                    .map_or_else(|| src.to_string(), |f| f.to_string_lossy().into_owned());
                format!("{n} ({file})")
            } else {
                n.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Entry, predictions_from_probs};

    fn set(preds: &[Option<usize>]) -> PredictionSet {
        PredictionSet {
            name: "s".into(),
            source: String::new(),
            entries: preds
                .iter()
                .map(|p| match p {
                    Some(k) => {
                        let mut v = vec![0.0; 2];
                        v[*k] = 1.0;
                        Entry::Predicted(predictions_from_probs(&v, 2, None))
                    }
                    None => Entry::Missing,
                })
                .collect(),
            elapsed_secs: None,
            num_cached: 0,
            num_inferred: 0,
        }
    }

    #[test]
    fn counts_disagreements_and_who_is_right() {
        let truth = [
            Some(ClassId(0)),
            Some(ClassId(0)),
            Some(ClassId(1)),
            None,
            Some(ClassId(1)),
        ];
        let a = set(&[Some(0), Some(0), Some(0), Some(0), None]);
        let b = set(&[Some(0), Some(1), Some(1), Some(1), Some(1)]);
        let c = compare(&a, &b, &truth);
        assert_eq!(
            c,
            Comparison {
                both_predicted: 3,
                disagree: 2,
                only_first_right: 1,
                only_second_right: 1
            }
        );
        assert!(disagree(&a, &b, 1) && !disagree(&a, &b, 0) && !disagree(&a, &b, 4));
    }

    #[test]
    fn every_pair_once_with_its_two_by_two_table() {
        let truth = [Some(ClassId(0)), Some(ClassId(1)), Some(ClassId(1))];
        let a = set(&[Some(0), Some(1), Some(0)]);
        let b = set(&[Some(0), Some(0), Some(0)]);
        let c = set(&[Some(1), Some(1), Some(1)]);
        let names = distinct_names(&["m", "m", "n"], &["/x/fp16.onnx", "/x/int8.onnx", "p.csv"]);
        assert_eq!(names, ["m (fp16.onnx)", "m (int8.onnx)", "n"]);
        let pairs = compare_pairs(&truth, &[&a, &b, &c], &names, 2, 50, 1);
        let idx: Vec<_> = pairs.iter().map(|p| (p.first, p.second)).collect();
        assert_eq!(idx, [(0, 1), (0, 2), (1, 2)]);
        let t = &pairs[0].significance;
        assert_eq!(
            (
                t.both_right,
                t.only_first_right,
                t.only_second_right,
                t.both_wrong
            ),
            (1, 1, 0, 1)
        );
        assert_eq!(pairs[0].agreement(), Some(2.0 / 3.0));
        let t = &pairs[1].significance;
        assert_eq!(
            (
                t.both_right,
                t.only_first_right,
                t.only_second_right,
                t.both_wrong
            ),
            (1, 1, 1, 0)
        );
    }
}
