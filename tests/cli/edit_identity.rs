//! An edit stays with its image: a Parquet shard rewritten under the same name with its rows in
//! another order (`scripts/make_rewritten_shard.py`, pyarrow) moves each edit to the row that
//! now holds its image, and an edit whose image is gone is reported and applied to nothing.
//! Never is an edit applied to another image.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use labelscope::curation::{effective_labels, read_edits};
use labelscope::dataset::image_io::read_image_bytes;
use labelscope::dataset::{Dataset, OpenOptions, open_dataset};

const SHARD: &str = "data/train-00000-of-00001.parquet";

fn place(root: &Path, which: &str) {
    let from = common::repo()
        .join("tests/fixtures/hf/rewritten")
        .join(which)
        .join(SHARD);
    std::fs::create_dir_all(root.join("data")).unwrap();
    // Written in place under the same name, as a re-upload or a script would.
    std::fs::write(root.join(SHARD), std::fs::read(from).unwrap()).unwrap();
}

fn id(row: usize) -> String {
    format!("{SHARD}/{row:06}")
}

/// BLAKE3 of each sample's image bytes, by id.
fn images(ds: &Dataset) -> BTreeMap<String, String> {
    ds.samples
        .iter()
        .map(|s| {
            let b = read_image_bytes(&s.path).unwrap();
            (s.id.0.clone(), blake3::hash(&b).to_hex().to_string())
        })
        .collect()
}

fn cli(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labelscope"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

/// Edited images: BLAKE3 of the bytes -> effective label name (`None` = excluded) and tags.
type Edited = BTreeMap<String, (Option<String>, String)>;

/// Each edited image and its effective label and tags, with the warnings of reading the edits.
fn edited_images(root: &Path) -> (Edited, Vec<String>) {
    let ds = open_dataset(root, &OpenOptions::default()).unwrap();
    let (state, warnings) = read_edits(&ds).unwrap();
    let labels = effective_labels(&ds, &state);
    let bytes = images(&ds);
    let mut out = BTreeMap::new();
    for (i, s) in ds.samples.iter().enumerate() {
        if let Some(e) = state.get(&s.id.0) {
            let tags = e.tags.iter().cloned().collect::<Vec<_>>().join(";");
            let label = labels[i].map(|c| ds.class_name(c).to_string());
            out.insert(bytes[&s.id.0].clone(), (label, tags));
        }
    }
    (out, warnings)
}

#[test]
fn a_rewritten_shard_never_moves_an_edit_to_another_image() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ds");
    place(&root, "before");
    let before = open_dataset(&root, &OpenOptions::default()).unwrap();
    let old = images(&before);
    let r = root.to_str().unwrap();
    cli(&["edit", r, "relabel", &id(0), "bird"]);
    cli(&["edit", r, "exclude", &id(2), "--reason", "watermark/text"]);
    cli(&["edit", r, "tag", &id(3), "blurry"]);
    cli(&["edit", r, "relabel", &id(7), "dog"]);
    let (expected, warnings) = edited_images(&root);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(expected.len(), 4);

    // Same file name, rows reversed, the last row's image gone.
    place(&root, "after");
    let (now, warnings) = edited_images(&root);
    let gone = &old[&id(7)];
    let mut want = expected.clone();
    want.remove(gone);
    assert_eq!(
        now, want,
        "every edit is on its own image, the gone one on none"
    );
    let text = warnings.join("\n");
    assert!(
        text.contains("their edits follow them") && text.contains(&id(7)),
        "{text}"
    );
    // Row 7's position (now row 0 holds another image) keeps that image's own label.
    let after = open_dataset(&root, &OpenOptions::default()).unwrap();
    let (state, _) = read_edits(&after).unwrap();
    assert!(state.get(&id(0)).is_none(), "row 0 holds another image now");
    assert_eq!(state.get(&id(6)).unwrap().label.as_deref(), Some("bird"));

    // The command line says so too, and undo/redo and new edits keep working on the new rows.
    let stderr = cli(&["edits", r, "--format", "json"]);
    assert!(stderr.contains("follow them"), "{stderr}");
    cli(&["edit", r, "undo"]); // the relabel of the gone image: nothing to see
    cli(&["edit", r, "undo"]); // the tag
    let (now, _) = edited_images(&root);
    assert!(now.values().all(|(_, tags)| tags.is_empty()), "{now:?}");
    cli(&["edit", r, "relabel", &id(0), "bird"]);
    let (now, _) = edited_images(&root);
    let row0_image = &images(&after)[&id(0)];
    assert_eq!(now[row0_image].0.as_deref(), Some("bird"));
    assert_eq!(now[&old[&id(0)]].0.as_deref(), Some("bird"));
    assert_eq!(now[&old[&id(2)]].0, None, "still excluded");
}
