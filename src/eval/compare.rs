//! Two prediction sets on the same samples (450M vs 1.6B, fp32 vs int8, before vs after
//! fine-tuning): where they disagree, and which one is right there.

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
}
