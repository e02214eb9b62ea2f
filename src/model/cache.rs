//! The prediction cache: per (model file hash, spec, model labels, dataset classes), one
//! [`StampCache`] file in the dataset's state folder holding each sample's outcome keyed by id,
//! file size and mtime; with embeddings wanted, an [`EmbeddingStore`] beside it (per model
//! file, preprocessing and embedding value). Reopening a dataset with the same model runs zero
//! inferences for unchanged files.

use std::path::{Path, PathBuf};

use super::load::LoadedModel;
use super::outcome::SampleOutcome;
use crate::embedding_store::EmbeddingStore;
use crate::jobs::per_sample::ResultCache;
use crate::stamp_cache::{FileStamp, StampCache};

const CACHE_VERSION: u32 = 3;

/// The cached outcomes (and embeddings, when wanted) of one model on one dataset.
#[derive(Debug)]
pub struct PredictionCache {
    outcomes: StampCache<SampleOutcome>,
    state_dir: PathBuf,
    embeddings: Option<EmbeddingStore>,
}

fn hash_parts(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\0");
    }
    h.finalize().to_hex()[..24].to_string()
}

/// The cache key of `model` for a dataset with `classes`: what decides an outcome (the model's
/// bytes, preprocessing, output, labels, label map, embedding value), not the spec's name, where
/// it lies or how it lists the labels. The temperature is left out too: the cache keeps
/// unscaled outcomes and every run scales them (see [`crate::model::temperature`]), so a
/// calibrated copy of a spec answers from the same cache with no new inference.
fn key(model: &LoadedModel, classes: &[String]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(model.model_hash.as_bytes());
    let spec = &model.spec;
    let decides = serde_json::json!([
        spec.input,
        spec.output.name,
        spec.output.kind,
        spec.label_map,
        spec.embedding
    ]);
    h.update(decides.to_string().as_bytes());
    h.update(model.model_labels.join("\n").as_bytes());
    h.update(classes.join("\n").as_bytes());
    h.finalize().to_hex()[..24].to_string()
}

/// Where the embeddings of `model` (read from `value`) on a dataset are stored in `state_dir`:
/// they depend on the model file, its preprocessing and the value, not on labels.
pub fn embedding_store_path(state_dir: &Path, model: &LoadedModel, value: &str) -> PathBuf {
    let input = serde_json::to_string(&model.spec.input).unwrap_or_default();
    state_dir.join("embeddings").join(format!(
        "{}.bin",
        hash_parts(&[&model.model_hash, &input, value])
    ))
}

/// Opens (or starts) the prediction cache of `model` in `state_dir`. A cache that does not
/// verify is discarded with a notice (see [`PredictionCache::notice`]).
pub fn open_prediction_cache(
    state_dir: &Path,
    model: &LoadedModel,
    classes: &[String],
) -> PredictionCache {
    let path = state_dir
        .join("predictions")
        .join(format!("{}.json", key(model, classes)));
    PredictionCache {
        outcomes: StampCache::open(path, CACHE_VERSION, "model predictions"),
        state_dir: state_dir.to_path_buf(),
        embeddings: None,
    }
}

impl PredictionCache {
    /// Loads the embedding store of `model`'s value `value`: from now on a sample counts as
    /// cached only when its embedding is too.
    pub fn want_embeddings(&mut self, model: &LoadedModel, value: &str) {
        let path = embedding_store_path(&self.state_dir, model, value);
        if self.embeddings.as_ref().is_none_or(|s| s.path() != path) {
            self.embeddings = Some(EmbeddingStore::open(path));
        }
    }

    /// The outcomes file.
    pub fn path(&self) -> &Path {
        self.outcomes.path()
    }

    /// Number of cached outcomes.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether no outcome is cached.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }
}

impl ResultCache<SampleOutcome> for PredictionCache {
    fn notice(&self) -> Option<&str> {
        self.outcomes
            .notice()
            .or_else(|| self.embeddings.as_ref().and_then(EmbeddingStore::notice))
    }

    fn lookup(&self, id: &str, stamp: Option<FileStamp>) -> Option<SampleOutcome> {
        let mut outcome = self.outcomes.get(id, stamp)?.clone();
        if let (Some(store), SampleOutcome::Predicted(p)) = (&self.embeddings, &mut outcome) {
            p.embedding = Some(store.get(id, stamp)?.clone());
        }
        Some(outcome)
    }

    /// The outcome moved out of the cache (its embedding, when kept, copied from theirs).
    fn take(&mut self, id: &str, stamp: Option<FileStamp>) -> Option<SampleOutcome> {
        let mut outcome = self.outcomes.take(id, stamp)?;
        if let (Some(store), SampleOutcome::Predicted(p)) = (&self.embeddings, &mut outcome) {
            match store.get(id, stamp) {
                Some(e) => p.embedding = Some(e.clone()),
                None => {
                    // An outcome whose wanted embedding is missing is no hit: it stays cached.
                    self.outcomes.insert(id.to_string(), stamp?, outcome);
                    return None;
                }
            }
        }
        Some(outcome)
    }

    fn store(&mut self, id: String, stamp: FileStamp, value: SampleOutcome) {
        if let (Some(store), SampleOutcome::Predicted(p)) = (&mut self.embeddings, &value)
            && let Some(e) = &p.embedding
        {
            store.insert(id.clone(), stamp, e.clone());
        }
        self.outcomes.insert(id, stamp, value);
    }

    fn save(&self) -> Result<(), crate::stamp_cache::CacheError> {
        self.outcomes.save()?;
        match &self.embeddings {
            Some(store) => store.save(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding_store::to_embedding;
    use crate::model::outcome::SamplePrediction;

    fn predicted() -> SampleOutcome {
        SampleOutcome::Predicted(SamplePrediction {
            probs: vec![0.25, 0.75],
            top_model: vec![(1, 0.75)],
            other_top: 0.0,
            latency_ms: 1.0,
            embedding: None,
        })
    }

    #[test]
    fn a_hit_needs_its_embedding_and_a_miss_leaves_the_outcome_cached() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = FileStamp {
            size: 3,
            mtime_ns: 9,
        };
        let mut cache = PredictionCache {
            outcomes: StampCache::open(dir.path().join("p.json"), CACHE_VERSION, "t"),
            state_dir: dir.path().to_path_buf(),
            embeddings: Some(EmbeddingStore::open(dir.path().join("e.bin"))),
        };
        let mut with = predicted();
        if let SampleOutcome::Predicted(p) = &mut with {
            p.embedding = Some(to_embedding(&[1.0, 2.0]));
        }
        cache.store("a".into(), stamp, with.clone());
        // "b" has an outcome but no embedding (stored before embeddings were wanted).
        cache.outcomes.insert("b".into(), stamp, predicted());
        let other = FileStamp { size: 4, ..stamp };
        assert_eq!(cache.take("a", Some(other)), None, "another stamp");
        assert_eq!(cache.take("b", Some(stamp)), None, "no embedding");
        assert_eq!(cache.len(), 2, "both stay cached");
        assert_eq!(cache.take("a", Some(stamp)), Some(with));
        assert_eq!(cache.len(), 1, "moved out");
        assert_eq!(cache.take("a", Some(stamp)), None);
    }
}
