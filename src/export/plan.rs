//! What an export will contain, computed before anything is written (the GUI's preview and the
//! report use the same plan): every non-excluded sample with its edited label and split,
//! duplicate groups kept together, optional oversampling of minority classes in train.

use std::collections::BTreeMap;

use super::split::{Split, SplitConfig, Unit, assign, keyed_rank};
use crate::curation::{CurationState, effective_labels};
use crate::dataset::{ClassId, Dataset};

/// Class-imbalance handling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Balance {
    /// Export as is.
    #[default]
    None,
    /// Repeat minority-class samples in train until every class has as many as the largest.
    Oversample,
    /// Write per-class weights (`class_weights.json`, inverse frequency in train).
    Weights,
}

/// How the split is chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanOptions {
    /// Fractions and seed.
    pub split: SplitConfig,
    /// Keep the dataset's own split (samples without one are assigned).
    pub keep_splits: bool,
    /// Imbalance handling.
    pub balance: Balance,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            split: SplitConfig::default(),
            keep_splits: false,
            balance: Balance::None,
        }
    }
}

/// One exported sample (oversampled samples appear several times, `copy` 0, 1, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRow {
    /// Sample index in the dataset.
    pub sample: usize,
    /// Its split.
    pub split: Split,
    /// Its label after edits.
    pub label: ClassId,
    /// Which repetition (0 for the sample itself).
    pub copy: u32,
}

/// Everything the export will write, and why.
#[derive(Clone, Debug)]
pub struct ExportPlan {
    /// Rows in output order: by split, then sample id, then copy.
    pub rows: Vec<PlannedRow>,
    /// Excluded samples (index, reason), not exported.
    pub excluded: Vec<(usize, String)>,
    /// Relabeled samples (index, from, to).
    pub relabeled: Vec<(usize, ClassId, ClassId)>,
    /// Duplicate groups (sample indices) with more than one exported member.
    pub groups: Vec<Vec<usize>>,
    /// Duplicate groups whose members had different dataset splits (only with `keep_splits`:
    /// leaks found, not fixed).
    pub leaks_kept: usize,
    /// Duplicate groups that a random split could have cut across train/val and that were kept
    /// together.
    pub groups_kept_together: usize,
    /// Options used.
    pub options: PlanOptions,
    /// Per-class weight for train (inverse frequency, mean 1).
    pub class_weights: Vec<f64>,
    /// Samples left out because their file is not a readable image (index, why); filled by
    /// the export when it checks the sources.
    pub not_exported: Vec<(usize, String)>,
}

impl ExportPlan {
    /// Rows per class per split: `counts[class][split]` (oversampled copies included).
    pub fn counts(&self, num_classes: usize) -> Vec<[usize; 3]> {
        let mut c = vec![[0usize; 3]; num_classes];
        for r in &self.rows {
            c[r.label.index()][r.split as usize] += 1;
        }
        c
    }

    /// Leaves out the samples in `bad` (index, why): no row of theirs is exported, and they
    /// are listed in [`ExportPlan::not_exported`].
    pub fn leave_out(&mut self, bad: Vec<(usize, String)>) {
        if bad.is_empty() {
            return;
        }
        let set: std::collections::HashSet<usize> = bad.iter().map(|(i, _)| *i).collect();
        self.rows.retain(|r| !set.contains(&r.sample));
        for g in &mut self.groups {
            g.retain(|i| !set.contains(i));
        }
        self.groups.retain(|g| g.len() > 1);
        self.not_exported.extend(bad);
    }

    /// Number of rows in `split`.
    pub fn split_len(&self, split: Split) -> usize {
        self.rows.iter().filter(|r| r.split == split).count()
    }
}

/// Plans an export of `ds` with `edits` applied. `groups` are duplicate groups (sample indices)
/// from the duplicate finder; members of one group always share a split.
pub fn plan_export(
    ds: &Dataset,
    edits: &CurationState,
    groups: &[Vec<usize>],
    opts: &PlanOptions,
) -> ExportPlan {
    let truth = effective_labels(ds, edits);
    let mut excluded = Vec::new();
    let mut relabeled = Vec::new();
    for (i, t) in truth.iter().enumerate() {
        match t {
            None => {
                let reason = edits
                    .get(&ds.samples[i].id.0)
                    .and_then(|e| e.excluded.clone())
                    .unwrap_or_default();
                excluded.push((i, reason));
            }
            Some(l) if *l != ds.samples[i].label => relabeled.push((i, ds.samples[i].label, *l)),
            Some(_) => {}
        }
    }
    let members = exported_groups(ds.samples.len(), groups, &truth);
    let mut unit_of: Vec<Option<usize>> = vec![None; ds.samples.len()];
    for (u, m) in members.iter().enumerate() {
        for &i in m {
            unit_of[i] = Some(u);
        }
    }
    let mut units: Vec<(Unit, Vec<usize>)> = members
        .iter()
        .map(|m| {
            let mut labels: BTreeMap<ClassId, usize> = BTreeMap::new();
            for l in m.iter().filter_map(|&i| truth[i]) {
                *labels.entry(l).or_default() += 1;
            }
            let key = m
                .iter()
                .map(|&i| ds.samples[i].id.0.clone())
                .min()
                .unwrap_or_default();
            let unit = Unit {
                key,
                labels: labels.into_iter().collect(),
            };
            (unit, m.clone())
        })
        .collect();
    for (i, t) in truth.iter().enumerate() {
        if let (Some(l), None) = (t, unit_of[i]) {
            units.push((Unit::single(ds.samples[i].id.0.clone(), *l), vec![i]));
        }
    }
    let mut split_of: Vec<Option<Split>> = vec![None; ds.samples.len()];
    let mut leaks_kept = 0;
    if opts.keep_splits {
        for (_, m) in &units {
            let given: Vec<Option<Split>> = m
                .iter()
                .map(|&i| ds.samples[i].split.as_deref().and_then(Split::parse))
                .collect();
            let mut distinct: Vec<Split> = given.iter().flatten().copied().collect();
            distinct.sort();
            distinct.dedup();
            if distinct.len() > 1 {
                leaks_kept += 1;
            }
            for (&i, s) in m.iter().zip(given) {
                split_of[i] = s;
            }
        }
    }
    let todo: Vec<usize> = (0..units.len())
        .filter(|&u| units[u].1.iter().all(|&i| split_of[i].is_none()))
        .collect();
    let todo_units: Vec<Unit> = todo.iter().map(|&u| units[u].0.clone()).collect();
    let assigned = assign(&todo_units, &opts.split);
    for (&u, s) in todo.iter().zip(assigned) {
        for &i in &units[u].1 {
            split_of[i] = Some(s);
        }
    }
    let mut rows: Vec<PlannedRow> = (0..ds.samples.len())
        .filter_map(|i| {
            Some(PlannedRow {
                sample: i,
                split: split_of[i].unwrap_or(Split::Train),
                label: truth[i]?,
                copy: 0,
            })
        })
        .collect();
    let class_weights = weights(&rows, ds.classes.len());
    if opts.balance == Balance::Oversample {
        rows.extend(oversample(ds, &rows, opts.split.seed));
    }
    rows.sort_by(|a, b| {
        (a.split, &ds.samples[a.sample].id.0, a.copy).cmp(&(
            b.split,
            &ds.samples[b.sample].id.0,
            b.copy,
        ))
    });
    let groups_kept_together = if opts.keep_splits { 0 } else { members.len() };
    ExportPlan {
        rows,
        excluded,
        relabeled,
        groups: members,
        leaks_kept,
        groups_kept_together,
        options: opts.clone(),
        class_weights,
        not_exported: Vec::new(),
    }
}

/// Merges overlapping groups (union-find) and keeps the exported members of groups that still
/// have at least two, sorted.
fn exported_groups(n: usize, groups: &[Vec<usize>], truth: &[Option<ClassId>]) -> Vec<Vec<usize>> {
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for g in groups {
        let kept: Vec<usize> = g
            .iter()
            .copied()
            .filter(|&i| truth.get(i).copied().flatten().is_some())
            .collect();
        for w in kept.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        by_root.entry(r).or_default().push(i);
    }
    by_root.into_values().filter(|m| m.len() > 1).collect()
}

/// Inverse-frequency weights over train rows (see [`balanced_class_weights`]).
fn weights(rows: &[PlannedRow], num_classes: usize) -> Vec<f64> {
    balanced_class_weights(
        rows.iter()
            .filter(|r| r.split == Split::Train)
            .map(|r| r.label),
        num_classes,
    )
}

/// scikit-learn's `compute_class_weight("balanced")`: `n / (k * n_c)` for each class with
/// `n_c` of the `n` labels, `k` the number of classes present; 0 for an absent class.
pub fn balanced_class_weights(
    labels: impl Iterator<Item = ClassId>,
    num_classes: usize,
) -> Vec<f64> {
    let mut n = vec![0usize; num_classes];
    for l in labels {
        if let Some(c) = n.get_mut(l.index()) {
            *c += 1;
        }
    }
    let present = n.iter().filter(|&&c| c > 0).count().max(1) as f64;
    let total: usize = n.iter().sum();
    n.iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                total as f64 / (present * c as f64)
            }
        })
        .collect()
}

/// Extra train rows so that every class reaches the largest class's count.
fn oversample(ds: &Dataset, rows: &[PlannedRow], seed: u64) -> Vec<PlannedRow> {
    let mut by_class: BTreeMap<ClassId, Vec<usize>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.split == Split::Train) {
        by_class.entry(r.label).or_default().push(r.sample);
    }
    let max = by_class.values().map(Vec::len).max().unwrap_or(0);
    let mut extra = Vec::new();
    for (label, mut samples) in by_class {
        samples.sort_by_cached_key(|&i| keyed_rank(seed, &ds.samples[i].id.0));
        let n = samples.len();
        for k in 0..max.saturating_sub(n) {
            extra.push(PlannedRow {
                sample: samples[k % n],
                split: Split::Train,
                label,
                copy: (k / n) as u32 + 1,
            });
        }
    }
    extra
}
