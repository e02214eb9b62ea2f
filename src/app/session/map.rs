//! The map's state in the window: the PCA map (made first, in a moment) and the UMAP map (made
//! next, with progress and cancel), both on background threads and cached in the state folder
//! per embedding set and settings. They are made when the map is first shown.

use super::Session;
use super::parts::map::MapState;
use crate::app::jobs::{Finished, JobKind};
use crate::embed::EmbeddingSet;
use crate::embed::map_cache::{load_map, map_key, save_map};
use crate::embed::project::{Map, MapMethod, UmapOptions, pca_map, umap_map};
use crate::jobs::{JobControl, JobError};
use std::sync::Arc;

impl Session {
    /// Starts making whatever map is missing (PCA first, then UMAP); call while the map is
    /// shown. Nothing happens without embeddings or while a map is being made.
    pub fn ensure_maps(&mut self) {
        let Some(set) = self.embeddings.set.clone() else {
            return;
        };
        let state = &mut self.embeddings.map;
        let id = self.embeddings.set_id;
        if state.set != id {
            self.jobs.cancel(JobKind::Map);
            *state = MapState {
                set: id,
                ..MapState::default()
            };
        }
        if self.jobs.is_running(JobKind::Map) || state.error.is_some() {
            return;
        }
        let method = match (&state.pca, &state.umap) {
            (None, _) => MapMethod::Pca,
            (Some(_), None) => MapMethod::Umap,
            _ => return,
        };
        let dir = self.ws.state_dir().map(std::path::Path::to_path_buf);
        let set_id = id;
        let started = self.jobs.start(JobKind::Map, move |job| {
            Finished::Map(set_id, make(&set, method, dir.as_deref(), job))
        });
        if let Err(e) = started {
            state.error = Some(e);
        }
    }

    /// Keeps a finished map (one of an earlier embedding set is dropped).
    pub(crate) fn finish_map(&mut self, set_id: u64, result: Result<Map, JobError>) {
        let state = &mut self.embeddings.map;
        if state.set != set_id {
            return;
        }
        match result {
            Ok(map) => {
                let slot = match map.method {
                    MapMethod::Pca => &mut state.pca,
                    MapMethod::Umap => &mut state.umap,
                };
                *slot = Some(Arc::new(map));
            }
            Err(JobError::Cancelled) => state.error = Some("making the map was cancelled".into()),
            Err(e) => state.error = Some(format!("the map failed: {e}")),
        }
    }

    /// Makes the UMAP map again after a cancel or a failure.
    pub fn retry_map(&mut self) {
        self.embeddings.map.error = None;
    }
}

/// Makes (or loads) one map of `set`.
fn make(
    set: &EmbeddingSet,
    method: MapMethod,
    dir: Option<&std::path::Path>,
    job: &JobControl,
) -> Result<Map, JobError> {
    let opts = UmapOptions::default();
    job.begin_stage("looking for a saved map", 1);
    let key = map_key(set, method, &opts);
    if let Some(map) = dir.and_then(|d| load_map(d, &key, method)) {
        return Ok(map);
    }
    let map = match method {
        MapMethod::Pca => {
            job.begin_stage("principal components", 1);
            pca_map(set)
        }
        MapMethod::Umap => umap_map(set, &opts, job)?,
    };
    if let Some(d) = dir
        && let Err(e) = save_map(d, &key, &map)
    {
        job.note(format!(
            "the map is not saved, it is made again next time: {e}"
        ));
    }
    Ok(map)
}
