//! Maps cached in the dataset's state folder, one file per (embedding set, method, settings):
//! reopening a dataset shows its UMAP at once instead of computing it again.
//!
//! The key is the BLAKE3 of the set (its dimension, samples and values), the method and the
//! settings. The file is a JSON header line (`version`, `key`, `n`, BLAKE3 of the body) and the
//! points as little-endian f32 pairs; a file that does not verify is ignored and rewritten.

use std::path::{Path, PathBuf};

use super::project::{Map, MapMethod, UmapOptions};
use super::set::EmbeddingSet;
use crate::stamp_cache::CacheError;

const VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    version: u32,
    key: String,
    n: usize,
    blake3: String,
}

/// The cache key of the map of `set` made by `method` with `opts`.
pub fn map_key(set: &EmbeddingSet, method: MapMethod, opts: &UmapOptions) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&(set.dim as u64).to_le_bytes());
    for s in &set.samples {
        h.update(&s.to_le_bytes());
    }
    let mut buf = Vec::with_capacity(64 * 1024);
    let rows_per_block = (16 * 1024 / set.dim.max(1)).max(1);
    for lo in (0..set.len()).step_by(rows_per_block) {
        let block = set.block(lo, (lo + rows_per_block).min(set.len()));
        for chunk in block.chunks(16 * 1024) {
            buf.clear();
            buf.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
            h.update(&buf);
        }
    }
    h.update(format!("{method:?}").as_bytes());
    if method == MapMethod::Umap {
        h.update(serde_json::to_string(opts).unwrap_or_default().as_bytes());
    }
    h.finalize().to_hex()[..24].to_string()
}

fn path_of(state_dir: &Path, key: &str) -> PathBuf {
    state_dir.join("maps").join(format!("{key}.bin"))
}

/// The cached map with `key`, if a file verifies.
pub fn load_map(state_dir: &Path, key: &str, method: MapMethod) -> Option<Map> {
    let bytes = std::fs::read(path_of(state_dir, key)).ok()?;
    let split = bytes.iter().position(|&b| b == b'\n')?;
    let header: Header = serde_json::from_slice(&bytes[..split]).ok()?;
    let body = &bytes[split + 1..];
    let ok = header.version == VERSION
        && header.key == key
        && body.len() == header.n * 8
        && blake3::hash(body).to_hex().as_str() == header.blake3;
    if !ok {
        return None;
    }
    let points = body
        .chunks_exact(8)
        .map(|c| {
            let f = |k: usize| f32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]);
            [f(0), f(4)]
        })
        .collect();
    Some(Map { method, points })
}

/// Saves `map` under `key` (atomically).
pub fn save_map(state_dir: &Path, key: &str, map: &Map) -> Result<(), CacheError> {
    let path = path_of(state_dir, key);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let body: Vec<u8> = map
        .points
        .iter()
        .flat_map(|p| p[0].to_le_bytes().into_iter().chain(p[1].to_le_bytes()))
        .collect();
    let header = Header {
        version: VERSION,
        key: key.to_string(),
        n: map.points.len(),
        blake3: blake3::hash(&body).to_hex().to_string(),
    };
    let mut bytes = serde_json::to_vec(&header).map_err(|e| CacheError::Encode(e.to_string()))?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    crate::state::write_atomic(&path, &bytes).map_err(|source| CacheError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding_store::to_embedding;

    #[test]
    fn a_saved_map_loads_under_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let e = [to_embedding(&[1.0, 0.0]), to_embedding(&[0.0, 1.0])];
        let refs: Vec<Result<_, String>> = e.iter().map(Ok).collect();
        let set = EmbeddingSet::from_embeddings(&refs);
        let opts = UmapOptions::default();
        let key = map_key(&set, MapMethod::Umap, &opts);
        assert_ne!(key, map_key(&set, MapMethod::Pca, &opts));
        let other = UmapOptions {
            n_neighbors: 5,
            ..opts.clone()
        };
        assert_ne!(key, map_key(&set, MapMethod::Umap, &other));
        let map = Map {
            method: MapMethod::Umap,
            points: vec![[1.5, -2.0], [f32::NAN, 3.0]],
        };
        save_map(dir.path(), &key, &map).unwrap();
        let back = load_map(dir.path(), &key, MapMethod::Umap).unwrap();
        assert_eq!(back.points[0], [1.5, -2.0]);
        assert!(back.points[1][0].is_nan());
        // A damaged file is not used.
        let path = path_of(dir.path(), &key);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
        assert!(load_map(dir.path(), &key, MapMethod::Umap).is_none());
    }
}
