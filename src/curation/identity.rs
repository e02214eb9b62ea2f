//! An edit stays with its image. A sample inside a table file (a Parquet or Arrow row) is named
//! by its position, `<file>/<row>`, which a rewritten table gives to another image; so each
//! edit records a fingerprint of the row's image bytes, and on open every edited row is checked:
//! an edit whose row now holds other bytes follows its image to the row that holds them (in the
//! same table, found by the fingerprint), or, when no row does, is reported and not applied.
//! It is never applied to another image. A file on disk is named by its path and needs none.

use std::collections::HashMap;

use super::edit::Edit;
use super::history::CurationState;
use crate::dataset::Dataset;
use crate::dataset::embedded::is_embedded;

/// Hex digits of BLAKE3 kept as a fingerprint (128 bits).
const PRINT_HEX: usize = 32;

/// The fingerprint of sample `i`'s image bytes when it is a table row, else `None`.
pub fn print_of(ds: &Dataset, i: usize) -> Option<String> {
    let path = &ds.samples.get(i)?.path;
    if !is_embedded(path) {
        return None;
    }
    let bytes = crate::dataset::image_io::read_image_bytes(path).ok()?;
    let mut hex = blake3::hash(&bytes).to_hex().to_string();
    hex.truncate(PRINT_HEX);
    Some(hex)
}

/// Records the fingerprint of every table row `edit` (and its parts) names.
pub fn fill_prints(edit: &mut Edit, ds: &Dataset) {
    let prints: Vec<String> = edit
        .ids
        .iter()
        .map(|id| {
            ds.index_of(id)
                .and_then(|i| print_of(ds, i))
                .unwrap_or_default()
        })
        .collect();
    edit.prints = if prints.iter().all(String::is_empty) {
        Vec::new()
    } else {
        prints
    };
    for part in &mut edit.then {
        fill_prints(part, ds);
    }
}

/// The table an id's row belongs to: the id without its last `/row` part.
fn table_of(id: &str) -> &str {
    id.rsplit_once('/').map_or("", |(t, _)| t)
}

/// `state` with every edit checked against the images its rows hold now: moved with its image
/// when its table was rewritten, dropped (with a note) when the image is gone. Returns the
/// notes.
pub fn resolve(ds: &Dataset, state: CurationState) -> (CurationState, Vec<String>) {
    let mut pairs: Vec<(String, String)> = state
        .printed_ids()
        .into_iter()
        .map(|(i, p)| (i.to_string(), p.to_string()))
        .collect();
    pairs.sort();
    pairs.dedup();
    if pairs.is_empty() {
        return (state, Vec::new());
    }
    let mut prints: HashMap<usize, Option<String>> = HashMap::new();
    let mut print = |i: usize| prints.entry(i).or_insert_with(|| print_of(ds, i)).clone();
    let mut rename: HashMap<(String, String), Option<String>> = HashMap::new();
    let mut claimed: HashMap<usize, (String, String)> = HashMap::new();
    let mut moved = Vec::new();
    let mut gone = Vec::new();
    let mut by_table: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
    for (id, p) in &pairs {
        let here = ds.index_of(id);
        if let Some(i) = here
            && print(i).as_deref() == Some(p.as_str())
        {
            rename.insert((id.clone(), p.clone()), Some(id.clone()));
            continue;
        }
        // Find the image in the same table (every row of it fingerprinted once).
        let table = table_of(id).to_string();
        let index = by_table.entry(table.clone()).or_insert_with(|| {
            let mut map: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, s) in ds.samples.iter().enumerate() {
                let same_table = if table.is_empty() {
                    is_embedded(&s.path)
                } else {
                    table_of(&s.id.0) == table
                };
                if same_table && let Some(fp) = print(i) {
                    map.entry(fp).or_default().push(i);
                }
            }
            map
        });
        let found = match index.get(p).map(Vec::as_slice) {
            Some([one]) if !claimed.contains_key(one) => Some(*one),
            _ => None,
        };
        match found {
            Some(j) => {
                claimed.insert(j, (id.clone(), p.clone()));
                let to = ds.samples[j].id.0.clone();
                moved.push(format!("`{id}` -> `{to}`"));
                rename.insert((id.clone(), p.clone()), Some(to));
            }
            None => {
                gone.push(id.clone());
                rename.insert((id.clone(), p.clone()), None);
            }
        }
    }
    let mut notes = Vec::new();
    if !moved.is_empty() {
        notes.push(format!(
            "{} edited images are in other rows than when they were edited (their table was rewritten); their edits follow them: {}",
            moved.len(),
            moved.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                + if moved.len() > 5 { ", ..." } else { "" }
        ));
    }
    for id in gone.iter().take(20) {
        notes.push(format!(
            "an edit of `{id}` is not applied: that row now holds another image and its image is in no row of the table (the table was rewritten)"
        ));
    }
    if gone.len() > 20 {
        notes.push(format!(
            "... and {} more edits of rewritten rows are not applied",
            gone.len() - 20
        ));
    }
    if moved.is_empty() && gone.is_empty() {
        return (state, notes);
    }
    let renamed = state.rekeyed(&|id: &str, p: &str| {
        if p.is_empty() {
            return Some(id.to_string());
        }
        rename
            .get(&(id.to_string(), p.to_string()))
            .cloned()
            .unwrap_or_else(|| Some(id.to_string()))
    });
    (renamed, notes)
}
