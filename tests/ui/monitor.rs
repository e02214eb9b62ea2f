//! Device logs in the window: File > Open device logs runs the same core as `labelscope
//! monitor` as a background job; the Monitor view shows every day, the drifted ones flagged.

use std::time::Duration;

use crate::common::ui::{app_on_fashion_subset, predictions_done, step_until};
use egui_kittest::kittest::Queryable;
use labelscope::app::{AppCommand, CentralView, JobKind};

#[test]
fn the_bundled_device_log_shows_its_drifted_second_week() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    let log = crate::common::repo().join("sample_data/device_log.jsonl");
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
}
