//! A Hugging Face Parquet dataset in the window (#19): the gallery's thumbnails and the detail
//! view read the images inside the shards (and a row's file when it has a path only); the row
//! whose bytes are no image shows its error.

use std::time::Duration;

use crate::common::ui::{app_on_folder, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::AppCommand;
use labelscope::dataset::Layout;

#[test]
fn hub_parquet_shards_browse_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    crate::common::copy_hf_hub(&hub);
    let mut h = app_on_folder(&hub);
    h.run_steps(2);
    {
        let s = h.state().session.as_ref().expect("the dataset opened");
        assert_eq!(s.ws.dataset.layout, Layout::HfParquet);
        assert_eq!(s.ws.dataset.samples.len(), 36);
    }
    // Every visible cell gets its thumbnail from the shards (35 images, one broken row).
    step_until(&mut h, Duration::from_secs(60), |a| {
        a.thumbnail_textures() >= 35
    });
    // The row with a path only opens in the detail view from images/extra.png (9x9).
    let extra = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .ws
        .dataset
        .index_of("data/train-00001-of-00002.parquet/000003")
        .unwrap();
    h.state_mut().apply(AppCommand::ShowSample(extra));
    h.state_mut().apply(AppCommand::OpenDetail);
    let start = std::time::Instant::now();
    while h.query_by_label_contains("9x9 pixels").is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "no 9x9 detail");
        h.step();
    }

    // Export from the window as Hub-style Parquet and as a folder: the folder gets the image
    // files out of the shards (with their stored names), the Parquet the bytes as they were.
    h.state_mut().apply(AppCommand::OpenExport);
    h.run_steps(3);
    h.get_by_label("hf-parquet").click();
    let out = dir.path().join("out");
    h.state_mut().export.as_mut().unwrap().out = out.display().to_string();
    h.run_steps(2);
    h.get_by_label("Export").click();
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.export.as_ref().is_some_and(|d| d.result.is_some())
    });
    let msg = h.state().export.as_ref().unwrap().result.clone().unwrap();
    assert!(msg.is_ok(), "{msg:?}");
    assert!(out.join("README.md").is_file());
    let shards: Vec<_> = std::fs::read_dir(out.join("data")).unwrap().collect();
    assert!(!shards.is_empty());
    assert!(out.join("train/bird/extra.png").is_file() || out.join("val/bird/extra.png").is_file());
}
