//! The gallery order computed apart from the UI thread: what it is computed from, owned (the
//! large parts shared, never copied), so a thread of its own can sort a million samples while
//! the window goes on drawing the order it had.

use std::sync::Arc;

use super::{EditFilter, Filter, SortKey, ViewInputs, visible_order};
use crate::curation::CurationState;
use crate::dataset::{ClassId, Dataset};
use crate::eval::PredictionSet;
use crate::problems::ProblemIndex;

/// Past this many samples a new filter or sort is computed on a thread of its own (below it,
/// at once: 100,000 samples take ~5 ms).
pub const ORDER_APART_ABOVE: usize = 100_000;

/// The inputs of [`visible_order`], owned.
pub struct OrderInputs {
    /// The dataset.
    pub ds: Arc<Dataset>,
    /// Effective labels (`None` = excluded).
    pub truth: Arc<Vec<Option<ClassId>>>,
    /// Predictions, if any.
    pub preds: Option<Arc<PredictionSet>>,
    /// The edits, copied only when the filter or the sort reads them (else empty).
    pub edits: CurationState,
    /// Findings by sample.
    pub problems: Arc<ProblemIndex>,
}

impl OrderInputs {
    /// Borrowed, as [`visible_order`] reads them (no compared sets, no embeddings: see
    /// [`can_order_apart`]).
    pub fn view(&self) -> ViewInputs<'_> {
        ViewInputs {
            ds: &self.ds,
            truth: &self.truth,
            preds: self.preds.as_deref(),
            edits: &self.edits,
            problems: Some(&self.problems),
            compare: &[],
            embeddings: None,
        }
    }

    /// The order under `filter` and `sort`, turned round when `reversed` (except a "show
    /// similar" list, which stays nearest first).
    pub fn order(&self, filter: &Filter, sort: SortKey, reversed: bool) -> Vec<usize> {
        let mut order = visible_order(self.view(), filter, sort);
        if reversed && filter.similar.is_none() {
            order.reverse();
        }
        order
    }
}

/// Whether the order under `filter` can be computed from [`OrderInputs`]: not when it compares
/// prediction sets or looks up neighbours (both bounded or rare; they stay on the UI thread).
pub fn can_order_apart(filter: &Filter) -> bool {
    !filter.disagree && filter.similar.is_none()
}

/// Whether the order under `filter` and `sort` reads the edits (so they are copied for it).
pub fn reads_edits(filter: &Filter, sort: SortKey) -> bool {
    filter.edits != EditFilter::Any || sort == SortKey::EditedFirst
}
