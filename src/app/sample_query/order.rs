//! The gallery's order: the samples that pass the filter, sorted by the chosen key (ties by
//! file name), computed on the UI thread.

use super::similar::similar_order;
use super::{Filter, SortKey, ViewInputs, label_of, loss, passes};
use crate::eval::Predicted;

/// Indices of the samples passing `filter`, sorted by `sort` (ties by file name).
pub fn visible_order(v: ViewInputs<'_>, filter: &Filter, sort: SortKey) -> Vec<usize> {
    let ViewInputs {
        ds, truth, preds, ..
    } = v;
    if let Some(similar) = &filter.similar {
        return similar_order(v, filter, similar);
    }
    // On the calling (UI) thread, never on the worker pool: background jobs fill the pool, and a
    // frame that waits for a worker waits for their tasks (a second or more at a million).
    let mut order: Vec<usize> = (0..ds.samples.len())
        .filter(|&i| passes(v, filter, i))
        .collect();
    let conf = |i: usize| {
        preds
            .and_then(|p| p.prediction(i))
            .and_then(|p| p.confidence)
    };
    match (sort, preds) {
        (SortKey::FileName, _) => {}
        (SortKey::LabelIssue, _) => {
            // The review queue: lowest combined probability of the given label first; samples
            // outside it (excluded, no evidence) last, by file name.
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| {
                    v.problems
                        .and_then(|x| x.queue_score.get(i).copied().flatten())
                        .map_or(-2.0, |score| -score)
                })
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::Label, _) => {
            // Classes in the dataset's order (the True filter's numbering), then file name.
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| -(label_of(ds, truth, i).0 as f32))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::Problems, _) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| v.problems.map_or(0, |p| p.kinds_of(i).count()) as f32)
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::RegionRank, _) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| {
                    filter
                        .region
                        .as_ref()
                        .and_then(|r| r.rank_of(i))
                        .unwrap_or(f32::MIN)
                })
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::EditedFirst, _) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| {
                    let edited = v
                        .edits
                        .get(&ds.samples[i].id.0)
                        .is_some_and(|e| !e.is_untouched());
                    f32::from(u8::from(edited))
                })
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::Prediction, Some(p)) => {
            let k = ds.classes.len() as f32;
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| match p.prediction(i).map(|x| x.predicted) {
                    Some(Predicted::Class(c)) => -(c.0 as f32),
                    Some(Predicted::Other) => -k,
                    Some(Predicted::Unparsed) => -k - 1.0,
                    None => -k - 2.0,
                })
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::LossDesc, Some(p)) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| loss(ds, truth, p, i).unwrap_or(f32::NEG_INFINITY))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::ConfidenceAsc, Some(_)) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| -conf(i).unwrap_or(f32::INFINITY))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (SortKey::ConfidenceDesc, Some(_)) => {
            let keys: Vec<f32> = order
                .iter()
                .map(|&i| conf(i).unwrap_or(f32::NEG_INFINITY))
                .collect();
            sort_by_key_desc(&mut order, &keys);
        }
        (_, None) => {}
    }
    order
}

/// Sorts `order` by `keys` (aligned with it) descending in `f32::total_cmp`'s order, ties by
/// sample index ascending. Each (key, index) is packed into one `u64` whose ascending order is
/// exactly that order (the key's bits mapped to an unsigned total order and turned round above,
/// the index below), then radix-sorted: a million in ~10 ms where comparing pairs took ~70.
pub(super) fn sort_by_key_desc(order: &mut Vec<usize>, keys: &[f32]) {
    if order.iter().any(|&i| u32::try_from(i).is_err()) {
        let mut pairs: Vec<(f32, usize)> =
            keys.iter().copied().zip(order.iter().copied()).collect();
        pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        *order = pairs.into_iter().map(|(_, i)| i).collect();
        return;
    }
    let mut packed: Vec<u64> = keys
        .iter()
        .zip(order.iter())
        .map(|(&k, &i)| (u64::from(!total_order_bits(k)) << 32) | i as u64)
        .collect();
    radsort::sort(&mut packed);
    *order = packed
        .into_iter()
        .map(|p| (p & u64::from(u32::MAX)) as usize)
        .collect();
}

/// `k`'s bits as an unsigned integer whose order is `f32::total_cmp`'s: negative values (sign
/// bit set) have every bit turned round, the others only the sign bit.
fn total_order_bits(k: f32) -> u32 {
    let b = k.to_bits();
    if b >> 31 == 1 { !b } else { b | 0x8000_0000 }
}
