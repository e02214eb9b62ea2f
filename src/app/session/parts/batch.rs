//! A labelling batch: images to label one at a time (a selection file's pool images, or samples
//! tagged `to-label`), what was decided for each, and the hints shown beside them.

use std::path::PathBuf;

use crate::select::labelling::Hints;

/// The tag that marks samples for the labelling batch (the device logs' "To label").
pub const TO_LABEL_TAG: &str = "to-label";

/// One image of the batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchItem {
    /// The image file.
    pub path: PathBuf,
    /// The dataset sample it is, when it is one (else a pool file, added by reference).
    pub sample: Option<usize>,
    /// A pool file's id once added: its canonical path (`None` when it cannot be resolved).
    pub id: Option<String>,
    /// Why it was chosen (the selection file's `reason`).
    pub reason: Option<String>,
}

/// What was decided for an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Given this label.
    Label(String),
    /// None of the classes.
    Negative,
    /// Left for later (not journaled).
    Skip,
}

/// The open labelling batch.
#[derive(Clone, Debug, Default)]
pub struct LabelBatch {
    /// Where the images came from ("to_label.csv", "samples tagged to-label").
    pub source: String,
    /// The images, in the order given.
    pub items: Vec<BatchItem>,
    /// The item shown.
    pub cursor: usize,
    /// Per item, what was decided in this batch.
    pub decided: Vec<Option<Decision>>,
    /// Decided items, latest last, and whether each decision was a journaled edit (undo).
    pub history: Vec<(usize, bool)>,
    /// Per item, the model's top labels and the nearest labelled samples (when computed).
    pub hints: Vec<Option<Hints>>,
    /// Why there are no hints, when there are none.
    pub hints_note: Option<String>,
    /// Pool images given a label: added to the dataset by reference (they join it when it is
    /// opened again; negatives are counted in [`LabelBatch::counts`]).
    pub added: usize,
}

impl LabelBatch {
    /// A batch of `items` from `source`, nothing decided.
    pub fn new(source: String, items: Vec<BatchItem>) -> Self {
        let n = items.len();
        Self {
            source,
            items,
            decided: vec![None; n],
            hints: vec![None; n],
            ..Self::default()
        }
    }

    /// How many items have a decision of each kind: (labelled, negatives, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for d in self.decided.iter().flatten() {
            match d {
                Decision::Label(_) => c.0 += 1,
                Decision::Negative => c.1 += 1,
                Decision::Skip => c.2 += 1,
            }
        }
        c
    }

    /// The first item after `from` (wrapping) with no decision, if any.
    pub fn next_open(&self, from: usize) -> Option<usize> {
        let n = self.items.len();
        (1..=n)
            .map(|k| (from + k) % n)
            .find(|&k| self.decided[k].is_none())
    }

    /// Records `decision` on the shown item and moves to the next open one (or stays on the
    /// last when every item is decided).
    pub fn record(&mut self, decision: Decision, journaled: bool) {
        let k = self.cursor;
        self.decided[k] = Some(decision);
        self.history.push((k, journaled));
        if let Some(next) = self.next_open(k) {
            self.cursor = next;
        }
    }

    /// Takes back the latest decision: its item is shown again. Returns whether it was a
    /// journaled edit (which the caller undoes).
    pub fn take_back(&mut self) -> Option<bool> {
        let (k, journaled) = self.history.pop()?;
        self.decided[k] = None;
        self.cursor = k;
        Some(journaled)
    }

    /// Whether every item has a decision.
    pub fn is_done(&self) -> bool {
        self.decided.iter().all(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: usize) -> LabelBatch {
        LabelBatch::new(
            "test".into(),
            (0..n)
                .map(|k| BatchItem {
                    path: format!("/p/{k}.png").into(),
                    sample: None,
                    id: None,
                    reason: None,
                })
                .collect(),
        )
    }

    #[test]
    fn decisions_advance_to_the_next_open_item_and_undo_goes_back() {
        let mut b = batch(3);
        b.record(Decision::Label("cat".into()), true);
        assert_eq!(b.cursor, 1);
        b.record(Decision::Skip, false);
        assert_eq!(b.cursor, 2);
        b.record(Decision::Negative, true);
        assert!(b.is_done());
        assert_eq!(b.counts(), (1, 1, 1));
        assert_eq!(b.take_back(), Some(true));
        assert_eq!((b.cursor, b.is_done()), (2, false));
        assert_eq!(b.take_back(), Some(false), "a skip was not journaled");
        assert_eq!(b.cursor, 1);
        // Deciding item 1 again skips the decided item 0 and goes on to the open item 2.
        b.record(Decision::Label("dog".into()), true);
        assert_eq!(b.cursor, 2);
    }
}
