//! The confusion matrix: rows are true labels, columns predicted labels plus `other` and
//! `unparsed` when any prediction falls there.

use serde::Serialize;

use super::predictions::{Entry, Predicted, PredictionSet};
use crate::dataset::ClassId;

/// Confusion counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    /// Row labels (the dataset's classes).
    pub labels: Vec<String>,
    /// Column labels: the classes, then `other` / `unparsed` when present.
    pub predicted_labels: Vec<String>,
    /// `matrix[true][predicted]`.
    pub matrix: Vec<Vec<u64>>,
}

impl ConfusionMatrix {
    /// Counts `set` against the true labels `truth` (per sample; `None` = sample left out, e.g. excluded).
    pub fn compute(classes: &[String], truth: &[Option<ClassId>], set: &PredictionSet) -> Self {
        let n = classes.len();
        let has_other = set.has(Predicted::Other);
        let has_unparsed = set.has(Predicted::Unparsed);
        let mut predicted_labels = classes.to_vec();
        if has_other {
            predicted_labels.push("other".into());
        }
        if has_unparsed {
            predicted_labels.push("unparsed".into());
        }
        let mut matrix = vec![vec![0u64; predicted_labels.len()]; n];
        for (t, e) in truth.iter().zip(&set.entries) {
            let (Some(t), Entry::Predicted(p)) = (t, e) else {
                continue;
            };
            if let Some(col) = Self::column_of(p.predicted, n, has_other) {
                matrix[t.index()][col] += 1;
            }
        }
        Self {
            labels: classes.to_vec(),
            predicted_labels,
            matrix,
        }
    }

    /// The column of a prediction given the number of classes and whether `other` exists.
    pub fn column_of(p: Predicted, num_classes: usize, has_other: bool) -> Option<usize> {
        Some(match p {
            Predicted::Class(c) => c.index(),
            Predicted::Other => num_classes,
            Predicted::Unparsed => num_classes + usize::from(has_other),
        })
    }

    /// Which prediction a column stands for.
    pub fn predicted_of_column(&self, col: usize) -> Option<Predicted> {
        let n = self.labels.len();
        match self.predicted_labels.get(col).map(String::as_str) {
            None => None,
            Some(_) if col < n => Some(Predicted::Class(ClassId(col as u32))),
            Some("other") => Some(Predicted::Other),
            Some(_) => Some(Predicted::Unparsed),
        }
    }

    /// Sum of row `r` (support of class `r`).
    pub fn row_sum(&self, r: usize) -> u64 {
        self.matrix[r].iter().sum()
    }

    /// Sum of column `c` (how often it was predicted).
    pub fn col_sum(&self, c: usize) -> u64 {
        self.matrix.iter().map(|row| row[c]).sum()
    }

    /// Total count.
    pub fn total(&self) -> u64 {
        self.matrix.iter().flatten().sum()
    }
}
