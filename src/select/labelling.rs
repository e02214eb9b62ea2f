//! The labelling batch's core (the window draws it): which images a batch holds, read from a
//! selection file (`labelscope select`'s CSV), and what is shown beside each image: the model's
//! most probable labels and the nearest labelled samples of the dataset.

use std::path::{Path, PathBuf};

use crate::dataset::{ClassId, Dataset};
use crate::embed::EmbeddingSet;
use crate::eval::PredictionSet;
use crate::jobs::JobControl;
use crate::model::{LoadedModel, PredictError, PredictOptions, ResolvedBackend, predict_dataset};

/// One image of a selection file.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    /// The image file.
    pub path: PathBuf,
    /// Why it was chosen (the `reason` column), when the file says.
    pub reason: Option<String>,
}

/// The image files a selection CSV lists (its `path` column, in its order; each once) with their
/// `reason`. A relative path is read from the CSV's folder, else from the current folder (where
/// `select` was run). Rows whose file is not there are returned as problems, each with its row.
pub fn read_selection(csv: &Path) -> Result<(Vec<Selected>, Vec<String>), String> {
    let t = crate::table::read_table(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    let paths = t
        .require("path", csv)
        .map_err(|e| format!("{}: {e}", csv.display()))?;
    let reasons = t.column("reason");
    let base = csv.parent().unwrap_or(Path::new("."));
    let mut out: Vec<Selected> = Vec::new();
    let mut problems: Vec<String> = t.problems.iter().map(ToString::to_string).collect();
    for (r, cell) in paths.iter().enumerate() {
        let Some(p) = cell.as_deref().map(str::trim).filter(|p| !p.is_empty()) else {
            problems.push(format!("row {}: no path", t.row_number(r)));
            continue;
        };
        let given = Path::new(p);
        let found = [base.join(given), given.to_path_buf()]
            .into_iter()
            .find(|c| c.is_file());
        match found {
            Some(f) if !out.iter().any(|s| s.path == f) => out.push(Selected {
                path: f,
                reason: reasons
                    .and_then(|c| c[r].clone())
                    .filter(|v| !v.trim().is_empty()),
            }),
            Some(_) => {}
            None => problems.push(format!("row {}: no file {p}", t.row_number(r))),
        }
    }
    Ok((out, problems))
}

/// What the window shows beside one image of a batch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hints {
    /// The model's most probable labels, best first (at most 3).
    pub top: Vec<(ClassId, f32)>,
    /// The nearest labelled samples of the dataset (index, cosine similarity), nearest first
    /// (at most 4).
    pub neighbours: Vec<(usize, f32)>,
    /// Why the model gave nothing for it (the file does not decode...).
    pub failed: Option<String>,
}

/// The labelled samples whose embeddings the neighbours come from.
pub struct Labelled<'a> {
    /// The dataset's embeddings (same model as the batch's).
    pub set: &'a EmbeddingSet,
    /// Each sample's label after edits (`None`: excluded, not a neighbour).
    pub truth: &'a [Option<ClassId>],
}

/// Runs `model` on the batch's images (nothing cached or written) and gives each its hints:
/// the model's top 3 labels over `classes`, and, with `labelled` (embeddings of the same
/// width), the 4 nearest labelled samples.
pub fn hints(
    paths: &[PathBuf],
    classes: &[String],
    model: &LoadedModel,
    backend: &ResolvedBackend,
    labelled: Option<Labelled<'_>>,
    job: &JobControl,
) -> Result<Vec<Hints>, PredictError> {
    let batch = Dataset::unlabelled(paths.to_vec(), classes);
    let embeddings = labelled.is_some() && backend.factory.embedding().is_ok();
    let opts = PredictOptions {
        use_cache: false,
        embeddings,
        ..PredictOptions::default()
    };
    let report = predict_dataset(&batch, model, backend, &opts, None, job, None)?;
    let preds = PredictionSet::from_report(
        &model.spec.name,
        &report,
        classes.len(),
        &model.model_labels,
    );
    let set = EmbeddingSet::from_outcomes(&report.outcomes);
    Ok((0..paths.len())
        .map(|i| {
            let mut h = Hints::default();
            match &preds.entries[i] {
                crate::eval::Entry::Predicted(p) => {
                    if let Some(probs) = &p.probs {
                        h.top = top_k(&probs[..classes.len().min(probs.len())], 3);
                    }
                }
                crate::eval::Entry::Failed(why) => h.failed = Some(why.clone()),
                crate::eval::Entry::Missing => h.failed = Some("not read".into()),
            }
            if let (Some(l), Some(v)) = (&labelled, set.of_sample(i)) {
                h.neighbours = nearest_labelled(l, &v, 4);
            }
            h
        })
        .collect())
}

/// The `k` largest values of `probs` with their class, largest first.
fn top_k(probs: &[f32], k: usize) -> Vec<(ClassId, f32)> {
    let mut all: Vec<(ClassId, f32)> = probs
        .iter()
        .enumerate()
        .map(|(c, &p)| (ClassId(c as u32), p))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

/// The `k` labelled samples most similar (cosine) to the unit vector `v`, most similar first.
pub fn nearest_labelled(l: &Labelled<'_>, v: &[f32], k: usize) -> Vec<(usize, f32)> {
    if l.set.dim != v.len() {
        return Vec::new();
    }
    let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
    for r in 0..l.set.len() {
        let sample = l.set.samples[r] as usize;
        if l.truth.get(sample).copied().flatten().is_none() {
            continue;
        }
        let sim: f32 = l.set.row(r).iter().zip(v).map(|(a, b)| a * b).sum();
        if best.len() < k || sim > best[best.len() - 1].1 {
            let at = best.partition_point(|&(_, s)| s >= sim);
            best.insert(at, (sample, sim));
            best.truncate(k);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_labelled_skips_excluded_samples_and_orders_by_similarity() {
        let set = EmbeddingSet::from_rows(&[
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![0.9, 0.1],
            vec![0.6, 0.4],
        ]);
        let truth = [Some(ClassId(0)), Some(ClassId(1)), None, Some(ClassId(0))];
        let l = Labelled {
            set: &set,
            truth: &truth,
        };
        let got: Vec<usize> = nearest_labelled(&l, &[1.0, 0.0], 2)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(got, vec![0, 3], "sample 2 is excluded");
        assert!(
            nearest_labelled(&l, &[1.0, 0.0, 0.0], 2).is_empty(),
            "other width"
        );
    }

    #[test]
    fn read_selection_reads_paths_from_the_csv_folder_and_reports_missing_rows() {
        let dir = tempfile::tempdir().unwrap();
        image::RgbImage::new(2, 2)
            .save(dir.path().join("a.png"))
            .unwrap();
        let csv = dir.path().join("sel.csv");
        std::fs::write(
            &csv,
            "path,rank,score,reason\na.png,1,0.5,x\ngone.png,2,0.4,y\na.png,3,0.1,z\n",
        )
        .unwrap();
        let (selected, problems) = read_selection(&csv).unwrap();
        assert_eq!(
            selected,
            vec![Selected {
                path: dir.path().join("a.png"),
                reason: Some("x".into())
            }]
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("gone.png"), "{problems:?}");
    }
}
