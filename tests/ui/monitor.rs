//! Device logs in the window: File > Open device logs runs the same core as `labelscope
//! monitor` as a background job; the Monitor view shows every day, the drifted ones flagged.

use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::sample_query::SortKey;
use labelscope::app::{AppCommand, CentralView, JobKind};

#[test]
fn the_bundled_device_log_shows_its_drifted_second_week() {
    // The log beside the dataset folder, as in sample_data/: its paths (fashion/<class>/...)
    // name the subset's images where the subset has them.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fashion");
    std::fs::create_dir_all(&data).unwrap();
    let mut h = app_on_fashion_subset(&data);
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    let log = dir.path().join("device_log.jsonl");
    std::fs::copy(
        crate::common::repo().join("sample_data/device_log.jsonl"),
        &log,
    )
    .unwrap();
    h.state_mut().apply(AppCommand::OpenLogs(log));
    assert_eq!(h.state().central, CentralView::Monitor);
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.monitor.is_some() && !s.jobs.is_running(JobKind::Monitor))
    });
    let s = h.state().session.as_ref().unwrap();
    let m = s.monitor.as_ref().unwrap();
    assert_eq!((m.rows, m.windows.len()), (2100, 14));
    // The first week matches the reference's class mix, the second (footwear and bags) not.
    let flags: Vec<bool> = m.windows.iter().map(|w| w.drift).collect();
    assert!(flags[..7].iter().all(|d| !d), "{flags:?}");
    assert!(flags[7..].iter().all(|d| *d), "{flags:?}");
    h.get_by_label("Monitor");
    assert!(h.query_all_by_label("drift").count() >= 7);
    assert!(h.query_by_label_contains("2100 inferences").is_some());

    // A day's images in the gallery: the ones of the dataset its rows name.
    let day8 = m.samples[7].clone();
    assert!(!day8.is_empty());
    let n = day8.len();
    h.get_all_by_label_contains("Show ")
        .nth(7)
        .expect("a Show button per day")
        .click();
    h.run_steps(3);
    assert_eq!(h.state().central, CentralView::Gallery);
    let s = h.state().session.as_ref().unwrap();
    let region = s.view.filter.region.clone().expect("the day's images");
    assert_eq!(
        (region.what.as_str(), region.samples.clone()),
        ("Device logs 12-08", day8)
    );
    assert_eq!(s.view.order.len(), n);
    h.get_by_label(&format!("Device logs 12-08 ({n}) ×"));

    // With the dataset's embeddings, the logged images were tested too, and the day's images
    // come most novel first.
    let m = s.monitor.as_ref().unwrap();
    assert!(m.embedding_note.is_none(), "{:?}", m.embedding_note);
    assert!(m.windows[7].embedding.is_some());
    let novelty = &m.novelty[7];
    assert_eq!(novelty.len(), n);
    assert_eq!(s.view.sort, SortKey::RegionRank);
    let first = s.view.order[0];
    let best = novelty.iter().copied().fold(f32::MIN, f32::max);
    assert_eq!(novelty[region.samples.binary_search(&first).unwrap()], best);

    // "To label" tags the day's most novel images in one journaled edit.
    h.state_mut()
        .apply(AppCommand::ShowView(CentralView::Monitor));
    h.run_steps(2);
    h.get_all_by_label("To label").nth(7).unwrap().click();
    h.run_steps(2);
    h.get_by_label_contains("most novel").click();
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    let tagged = (0..s.ws.dataset.samples.len())
        .filter(|&i| {
            s.curation
                .state()
                .get(&s.ws.dataset.samples[i].id.0)
                .is_some_and(|e| e.tags.iter().any(|t| t == "to-label"))
        })
        .count();
    assert_eq!(tagged, n.min(20));

    // A week per window: the same logs cut again, the second week flagged.
    h.get_by_label("Window");
    h.state_mut().apply(AppCommand::MonitorOptions(
        labelscope::monitor::MonitorOptions {
            window_secs: 604_800.0,
            ..Default::default()
        },
    ));
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session.as_ref().is_some_and(|s| {
            !s.jobs.is_running(JobKind::Monitor)
                && s.monitor.as_ref().is_some_and(|m| m.windows.len() == 2)
        })
    });
    let m = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .monitor
        .as_ref()
        .unwrap();
    let flags: Vec<bool> = m.windows.iter().map(|w| w.drift).collect();
    assert_eq!(flags, [false, true]);
}

#[test]
fn logged_images_outside_the_dataset_open_in_the_label_view() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fashion");
    std::fs::create_dir_all(&data).unwrap();
    let mut h = app_on_fashion_subset(&data);
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    // A day of logs: two of the dataset's own images and three pool images it has not got.
    let pool = crate::common::repo().join("sample_data/pool");
    let mut pool_files: Vec<_> = std::fs::read_dir(&pool)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    pool_files.sort();
    let own: Vec<_> = walkdir::WalkDir::new(&data)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .map(|e| e.path().to_path_buf())
        .take(2)
        .collect();
    let mut lines = String::new();
    for (k, p) in own
        .iter()
        .chain(&pool_files[..3])
        .chain(&pool_files[..1])
        .enumerate()
    {
        lines += &format!(
            "{{\"timestamp\": \"2026-12-01T10:0{k}:00Z\", \"pred\": \"Bag\", \"confidence\": 0.5, \"device\": \"cam-a\", \"path\": {:?}}}\n",
            p.display().to_string()
        );
    }
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, lines).unwrap();
    h.state_mut().apply(AppCommand::OpenLogs(log));
    step_until(&mut h, Duration::from_secs(60), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.monitor.is_some() && !s.jobs.is_running(JobKind::Monitor))
    });
    {
        let m = h
            .state()
            .session
            .as_ref()
            .unwrap()
            .monitor
            .as_ref()
            .unwrap();
        assert_eq!(m.samples[0].len(), 2);
        // Three files outside, each once (the fourth row names the first again).
        let outside = &m.outside[0];
        assert_eq!(outside.len(), 3, "{outside:?}");
        assert!(
            outside[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("on cam-a: predicted Bag 0.50")
        );
    }
    // (A floating scroll bar once lay over the only row and took this click.)
    h.get_by_label("To label").click();
    h.run_steps(2);
    h.get_by_label("Label the 3 logged images outside the dataset")
        .click();
    h.run_steps(2);
    assert_eq!(h.state().central, CentralView::Label);
    let s = h.state().session.as_ref().unwrap();
    let batch = s.batch.as_ref().unwrap();
    assert_eq!(batch.items.len(), 3);
    assert!(
        batch
            .items
            .iter()
            .all(|i| i.sample.is_none() && i.id.is_some())
    );
}
