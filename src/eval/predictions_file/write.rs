//! Writing the predictions table (`labelscope predict --out`), the format [`super::read`] reads.

use crate::dataset::{ClassId, Dataset};
use crate::eval::predictions::{Entry, PredictionSet};
use crate::table::OutColumn;

/// The predictions table of `set` over `ds`, one row per sample: `path`, `label` (the current
/// label from `truth`, else the dataset's), `split`, `pred`, `confidence`, `prob_<label>` per
/// dataset label (plus `prob_other` when `num_cols` has the extra column), `model_top1`,
/// `model_top1_prob` and `model_top5` (the model's own classes, when known), `error`, and
/// `raw_output` (VLM answers).
pub fn prediction_columns(
    ds: &Dataset,
    truth: &[Option<ClassId>],
    set: &PredictionSet,
    num_cols: usize,
) -> Vec<OutColumn> {
    let n = ds.samples.len();
    let mut pred = Vec::with_capacity(n);
    let mut conf = Vec::with_capacity(n);
    let mut error = Vec::with_capacity(n);
    let mut probs: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); num_cols];
    let mut raw = Vec::with_capacity(n);
    let mut top1 = Vec::with_capacity(n);
    let mut top1_prob = Vec::with_capacity(n);
    let mut top5 = Vec::with_capacity(n);
    for e in &set.entries {
        let model_top = match e {
            Entry::Predicted(p) => p.model_top.as_slice(),
            _ => &[],
        };
        top1.push(model_top.first().map(|t| t.0.clone()));
        top1_prob.push(model_top.first().map(|t| f64::from(t.1)));
        top5.push((!model_top.is_empty()).then(|| {
            serde_json::to_string(
                &model_top
                    .iter()
                    .map(|(k, v)| serde_json::json!({"class": k, "prob": v}))
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default()
        }));
        raw.push(match e {
            Entry::Predicted(p) => p.raw.clone(),
            _ => None,
        });
        match e {
            Entry::Predicted(p) => {
                pred.push(Some(p.predicted.name(&ds.classes)));
                conf.push(p.confidence.map(f64::from));
                error.push(None);
                for (k, col) in probs.iter_mut().enumerate() {
                    col.push(
                        p.probs
                            .as_ref()
                            .and_then(|v| v.get(k))
                            .map(|&x| f64::from(x)),
                    );
                }
            }
            Entry::Failed(msg) => {
                pred.push(None);
                conf.push(None);
                error.push(Some(msg.clone()));
                probs.iter_mut().for_each(|c| c.push(None));
            }
            Entry::Missing => {
                pred.push(None);
                conf.push(None);
                error.push(Some("not predicted (cancelled)".to_string()));
                probs.iter_mut().for_each(|c| c.push(None));
            }
        }
    }
    let mut cols = vec![
        OutColumn::Str(
            "path".into(),
            ds.samples.iter().map(|s| Some(s.id.0.clone())).collect(),
        ),
        OutColumn::Str(
            "label".into(),
            ds.samples
                .iter()
                .zip(truth)
                .map(|(s, t)| Some(ds.class_name(t.unwrap_or(s.label)).to_string()))
                .collect(),
        ),
        OutColumn::Str(
            "split".into(),
            ds.samples.iter().map(|s| s.split.clone()).collect(),
        ),
        OutColumn::Str("pred".into(), pred),
        OutColumn::F64("confidence".into(), conf),
    ];
    for (k, col) in probs.into_iter().enumerate() {
        let name = ds
            .classes
            .get(k)
            .map_or("prob_other".to_string(), |c| format!("prob_{c}"));
        cols.push(OutColumn::F64(name, col));
    }
    if top1.iter().any(Option::is_some) {
        cols.push(OutColumn::Str("model_top1".into(), top1));
        cols.push(OutColumn::F64("model_top1_prob".into(), top1_prob));
        cols.push(OutColumn::Str("model_top5".into(), top5));
    }
    cols.push(OutColumn::Str("error".into(), error));
    if raw.iter().any(Option::is_some) {
        cols.push(OutColumn::Str("raw_output".into(), raw));
    }
    cols
}
