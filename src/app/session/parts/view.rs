//! What the gallery shows of the dataset: the filter, the sort, the visible order, the
//! selection and the marked samples.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use crate::app::background::BackgroundJob;
use crate::app::sample_query::{
    Filter, ORDER_APART_ABOVE, OrderInputs, SortKey, ViewInputs, visible_order,
};

/// The gallery's view of the open dataset.
pub struct ViewState {
    /// Gallery filter.
    pub filter: Filter,
    /// Gallery sort.
    pub sort: SortKey,
    /// The sort's order turned round (a second click on a table header).
    pub sort_reversed: bool,
    /// Visible sample indices in gallery order.
    pub order: Vec<usize>,
    /// Counts the recomputations of `order` (views that cache what they drew from it).
    pub order_revision: u64,
    /// Position of the selected sample in `order`.
    pub cursor: Option<usize>,
    /// Multi-selection (sample indices, kept across filter changes); edits apply to it when
    /// it is not empty, else to the selected sample.
    pub marked: BTreeSet<usize>,
    /// The order is stale (labels, predictions or problems changed).
    pub(in crate::app::session) dirty: bool,
    /// When the order was last computed (throttled while results stream in).
    pub(in crate::app::session) last_refresh: Instant,
    /// A new order being computed on its own thread (the old one stays shown until it is in).
    pending: Option<PendingOrder>,
    /// Past this many samples a new order is computed apart ([`ORDER_APART_ABOVE`]; tests
    /// lower it).
    pub apart_above: usize,
}

/// An order computing on its own thread.
struct PendingOrder {
    job: BackgroundJob<Vec<usize>>,
    /// Select the first sample when the selected one leaves the order (a new filter).
    keep_first: bool,
}

impl ViewState {
    /// Every one of `n` samples, in dataset order, nothing selected.
    pub fn new(n: usize) -> Self {
        Self {
            filter: Filter::default(),
            sort: SortKey::default(),
            sort_reversed: false,
            order: (0..n).collect(),
            order_revision: 0,
            cursor: None,
            marked: BTreeSet::new(),
            dirty: false,
            last_refresh: Instant::now(),
            pending: None,
            apart_above: ORDER_APART_ABOVE,
        }
    }

    /// The selected sample index, if any.
    pub fn selected(&self) -> Option<usize> {
        self.cursor.and_then(|c| self.order.get(c).copied())
    }

    /// Recomputes the order from `inputs` (filter and sort) now, keeping the selected sample
    /// (an order still computing apart is dropped).
    pub fn refresh(&mut self, inputs: ViewInputs<'_>) {
        let mut order = visible_order(inputs, &self.filter, self.sort);
        if self.sort_reversed && self.filter.similar.is_none() {
            order.reverse();
        }
        self.pending = None;
        self.install(order, false);
        self.dirty = false;
        self.last_refresh = Instant::now();
    }

    /// Starts computing the order from `inputs` on a thread of its own; [`Self::poll`] shows
    /// it once it is in (`keep_first`: selecting the first sample if the selected one left).
    /// A newer request replaces one still computing (its result is dropped).
    pub fn start(
        &mut self,
        inputs: OrderInputs,
        keep_first: bool,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<()> {
        let (filter, sort, reversed) = (self.filter.clone(), self.sort, self.sort_reversed);
        let job = BackgroundJob::spawn("gallery-order", wake, move |_| {
            inputs.order(&filter, sort, reversed)
        })?;
        self.pending = Some(PendingOrder { job, keep_first });
        self.dirty = false;
        self.last_refresh = Instant::now();
        Ok(())
    }

    /// Whether a new order is still computing.
    pub fn is_ordering(&self) -> bool {
        self.pending.is_some()
    }

    /// Shows the order computed apart once it is in; whether it came.
    pub fn poll(&mut self) -> bool {
        let Some(order) = self.pending.as_ref().and_then(|p| p.job.poll()) else {
            return false;
        };
        let keep_first = self.pending.take().is_some_and(|p| p.keep_first);
        self.install(order, keep_first);
        true
    }

    /// Makes `order` the shown one, keeping the selected sample where it still is.
    fn install(&mut self, order: Vec<usize>, keep_first: bool) {
        let selected = self.selected();
        self.order = order;
        self.order_revision += 1;
        self.cursor = selected.and_then(|s| self.order.iter().position(|&i| i == s));
        if keep_first && self.cursor.is_none() && selected.is_some() && !self.order.is_empty() {
            self.cursor = Some(0);
        }
    }

    /// How many samples an edit would apply to, without copying them (drawn every frame).
    pub fn edit_target_count(&self) -> usize {
        if self.marked.is_empty() {
            usize::from(self.selected().is_some())
        } else {
            self.marked.len()
        }
    }

    /// The samples an action (an edit, "find similar") applies to: the marked ones, else the
    /// selected one.
    pub fn edit_targets(&self) -> Vec<usize> {
        if self.marked.is_empty() {
            self.selected().into_iter().collect()
        } else {
            self.marked.iter().copied().collect()
        }
    }

    /// Marks or unmarks the sample at gallery position `pos` (Ctrl-click, Space).
    pub fn toggle_mark(&mut self, pos: usize) {
        if let Some(&i) = self.order.get(pos)
            && !self.marked.remove(&i)
        {
            self.marked.insert(i);
        }
    }

    /// Marks every sample between the selection and `pos` (Shift-click).
    pub fn mark_range(&mut self, pos: usize) {
        let from = self.cursor.unwrap_or(pos);
        let (a, b) = (from.min(pos), from.max(pos));
        let end = (b + 1).min(self.order.len());
        self.marked
            .extend(self.order.get(a..end).unwrap_or_default());
    }

    /// Marks every sample of the current filter.
    pub fn mark_all(&mut self) {
        self.marked.extend(self.order.iter().copied());
    }
}
