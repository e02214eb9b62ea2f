//! The window on a generated 100,000-sample dataset, driven headlessly by `egui_kittest`:
//! open time, CPU time per frame (the app's logic and UI plus tessellation; GPU painting is not
//! included) while paging through the gallery and when a filter or sort changes, and memory
//! while scrolling through the whole gallery (thumbnail textures against their budget, RSS);
//! the table view's frames while paging and sorting by a column.
//!
//! `cargo bench --bench gallery_frames` (env `LABELSCOPE_BENCH_SAMPLES` to change the size;
//! `LABELSCOPE_BENCH_JSON` to choose the JSON file, default `gallery_frames.json`;
//! `LABELSCOPE_BENCH_DATA` to use a dataset already generated there, e.g. the scale suite's
//! `<images-dir>/scale-1000000/data`, whose predictions may be cached already, or to generate
//! one there and keep it;
//! `LABELSCOPE_BENCH_SCROLL_PAGES` to stop the scroll through the gallery after that many
//! pages: the whole of a million samples is 22,000 pages).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use labelscope::app::sample_query::{Correctness, Filter, SortKey};
use labelscope::app::{AppCommand, LabelscopeApp, StartupArgs, THUMB_BUDGET};
use labelscope::bench::scale::generate_fashion_set;
use labelscope::bench::{peak_rss_mib, repo_path, rss_mib};
use labelscope::model::BackendKind;

// The allocator the binary ships with, so the memory figures are the window's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * p / 100.0).round() as usize]
}

/// One frame: step the app and tessellate its shapes; CPU milliseconds.
fn frame(h: &mut Harness<'_, LabelscopeApp>) -> f64 {
    let t = Instant::now();
    h.step();
    let shapes = h.output().shapes.clone();
    let t_clone = Instant::now();
    let ppp = h.ctx.pixels_per_point();
    let clone_ms = t_clone.elapsed().as_secs_f64() * 1000.0;
    let _mesh = h.ctx.tessellate(shapes, ppp);
    t.elapsed().as_secs_f64() * 1000.0 - clone_ms
}

/// Frames until an order computed apart is in, each frame's time pushed to `frames`; the
/// milliseconds from `since` until it is shown.
fn until_ordered(h: &mut Harness<'_, LabelscopeApp>, frames: &mut Vec<f64>, since: Instant) -> f64 {
    let ordering = |h: &Harness<'_, LabelscopeApp>| {
        h.state()
            .session
            .as_ref()
            .is_some_and(|s| s.view.is_ordering())
    };
    while ordering(h) {
        std::thread::sleep(Duration::from_millis(2));
        frames.push(frame(h));
    }
    since.elapsed().as_secs_f64() * 1000.0
}

fn stats(name: &str, v: &[f64]) -> serde_json::Value {
    let (p50, p95, max) = (
        percentile(v, 50.0),
        percentile(v, 95.0),
        percentile(v, 100.0),
    );
    println!(
        "{name:<34} {:>6} frames  p50 {p50:>6.2} ms  p95 {p95:>6.2} ms  max {max:>7.2} ms",
        v.len()
    );
    serde_json::json!({ "frames": v.len(), "p50_ms": p50, "p95_ms": p95, "max_ms": max })
}

fn main() {
    let n: usize = std::env::var("LABELSCOPE_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let data = match std::env::var_os("LABELSCOPE_BENCH_DATA") {
        // Generated there (and kept) when it does not exist yet.
        Some(d) if !std::path::Path::new(&d).exists() => {
            let data = std::path::PathBuf::from(d);
            println!("generating {n} samples in {}", data.display());
            generate_fashion_set(&data, n).unwrap();
            data
        }
        Some(d) => std::path::PathBuf::from(d),
        None => {
            let data = dir.path().join("data");
            println!("generating {n} samples in {}", data.display());
            generate_fashion_set(&data, n).unwrap();
            data
        }
    };
    let scroll_pages: usize = std::env::var("LABELSCOPE_BENCH_SCROLL_PAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let model = repo_path("assets/models/fashion_cnn.onnx").unwrap();

    // First open: scan, then the model runs over everything (the cache fills).
    let args = StartupArgs {
        dataset: Some(data.clone()),
        model: Some(model),
        backend: Some(BackendKind::Auto),
        ..Default::default()
    };
    let t = Instant::now();
    let args2 = args.clone();
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_max_steps(u64::MAX)
        .build_eframe(move |cc| LabelscopeApp::new(&cc.egui_ctx, None, args2));
    let first_open_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut during_predict = Vec::new();
    let predicted = |app: &LabelscopeApp| {
        app.session.as_ref().is_some_and(|s| {
            !s.jobs.is_running(labelscope::app::JobKind::Predict) && s.predictions.metrics.is_some()
        })
    };
    let t = Instant::now();
    while !predicted(h.state()) {
        during_predict.push(frame(&mut h));
        std::thread::sleep(Duration::from_millis(10));
    }
    let first_predict_secs = t.elapsed().as_secs_f64();
    h.state_mut()
        .apply(AppCommand::Cancel(labelscope::app::JobKind::Scan));
    h.step();
    drop(h);

    // Second open: the window as a user sees it on any later day (predictions from the cache).
    let t = Instant::now();
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_max_steps(u64::MAX)
        .build_eframe(move |cc| LabelscopeApp::new(&cc.egui_ctx, None, args));
    let reopen_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    while !predicted(h.state()) {
        frame(&mut h);
        // A window draws when asked, at most once a display refresh; it does not spin (the
        // background jobs run below the frames' priority, so a spinning loop would starve them).
        std::thread::sleep(Duration::from_millis(10));
    }
    let reload_secs = t.elapsed().as_secs_f64();
    // The problem scan decodes every image in the background; stop it so the figures below
    // are the window's own cost (its frames during the scan are reported separately).
    let mut during_scan = Vec::new();
    for _ in 0..200 {
        during_scan.push(frame(&mut h));
    }
    h.state_mut()
        .apply(AppCommand::Cancel(labelscope::app::JobKind::Scan));
    // Likewise the label-quality analysis (neighbours and the linear probe, ~90 s at 100k).
    h.state_mut()
        .apply(AppCommand::Cancel(labelscope::app::JobKind::Analysis));
    for _ in 0..10 {
        frame(&mut h);
    }

    let mut paging = Vec::new();
    for _ in 0..300 {
        h.key_press(egui::Key::PageDown);
        paging.push(frame(&mut h));
    }
    let mut arrows = Vec::new();
    for _ in 0..300 {
        h.key_press(egui::Key::ArrowRight);
        arrows.push(frame(&mut h));
    }
    // The table view: paging through rows, and sorting by its columns.
    h.state_mut()
        .apply(AppCommand::ToggleView(labelscope::app::CentralView::Table));
    frame(&mut h);
    let mut table_paging = Vec::new();
    for _ in 0..300 {
        h.key_press(egui::Key::PageDown);
        table_paging.push(frame(&mut h));
    }
    let mut table_sorts = Vec::new();
    let mut table_sort_ready = Vec::new();
    for _ in 0..3 {
        for key in [
            SortKey::Prediction,
            SortKey::Problems,
            SortKey::Label,
            SortKey::Label,
            SortKey::FileName,
        ] {
            let t = Instant::now();
            h.state_mut().apply(AppCommand::SortByColumn(key));
            let apply_ms = t.elapsed().as_secs_f64() * 1000.0;
            table_sorts.push(apply_ms + frame(&mut h));
            table_sort_ready.push(until_ordered(&mut h, &mut table_sorts, t));
        }
    }
    h.state_mut()
        .apply(AppCommand::ToggleView(labelscope::app::CentralView::Table));
    frame(&mut h);

    let mut changes = Vec::new();
    let mut change_apply = Vec::new();
    let mut change_ready = Vec::new();
    let commands = [
        AppCommand::SetSort(SortKey::LossDesc),
        AppCommand::SetSort(SortKey::ConfidenceAsc),
        AppCommand::SetFilter(Filter {
            correctness: Correctness::Wrong,
            ..Filter::default()
        }),
        AppCommand::SetSort(SortKey::LabelIssue),
        AppCommand::SetFilter(Filter::default()),
        AppCommand::SetSort(SortKey::FileName),
    ];
    for round in 0..5 {
        for cmd in &commands {
            let t = Instant::now();
            h.state_mut().apply(cmd.clone());
            let apply_ms = t.elapsed().as_secs_f64() * 1000.0;
            change_apply.push(apply_ms);
            changes.push(apply_ms + frame(&mut h));
            change_ready.push(until_ordered(&mut h, &mut changes, t));
            if round == 0 {
                frame(&mut h);
            }
        }
    }

    // Memory: page through the whole gallery, letting thumbnails load on every page.
    let rss_before = rss_mib();
    let mut max_textures = 0;
    let mut rss_max = 0.0f64;
    let mut pages = 0;
    h.key_press(egui::Key::Home);
    frame(&mut h);
    let mut last_cursor = None;
    loop {
        h.key_press(egui::Key::PageDown);
        for _ in 0..3 {
            frame(&mut h);
            std::thread::sleep(Duration::from_millis(3));
        }
        pages += 1;
        max_textures = max_textures.max(h.state().thumbnail_textures());
        if pages % 50 == 0 {
            rss_max = rss_max.max(rss_mib().unwrap_or(0.0));
        }
        let cursor = h.state().session.as_ref().and_then(|s| s.view.cursor);
        if cursor == last_cursor || pages >= scroll_pages {
            break;
        }
        last_cursor = cursor;
    }
    let rss_after = rss_mib();
    // A dataset given by LABELSCOPE_BENCH_DATA has its own size.
    let n = h
        .state()
        .session
        .as_ref()
        .map_or(n, |s| s.ws.dataset.samples.len());

    println!("\n{n} samples, 1400x900 window, headless (egui_kittest)");
    println!("open, first (scan; model starts)   {first_open_ms:>8.0} ms");
    println!("predict all, first time            {first_predict_secs:>8.1} s");
    println!("open again                         {reopen_ms:>8.0} ms");
    println!("reload cached predictions          {reload_secs:>8.2} s");
    let j_predict = stats("frames while predicting", &during_predict);
    let j_scan = stats("frames while the scan runs", &during_scan);
    let j_paging = stats("frames paging (PageDown)", &paging);
    let j_arrows = stats("frames moving (arrow keys)", &arrows);
    let j_changes = stats("frames changing filter/sort", &changes);
    let j_change_apply = stats("  of which applying the change", &change_apply);
    let j_change_ready = stats("  new order shown after (latency)", &change_ready);
    let j_table = stats("table: frames paging (PageDown)", &table_paging);
    let j_table_sorts = stats("table: frames sorting by a column", &table_sorts);
    let j_table_ready = stats("  new order shown after (latency)", &table_sort_ready);
    println!(
        "scrolled {pages} pages: textures max {max_textures} (budget {THUMB_BUDGET}), RSS {:.0} -> max {:.0} -> {:.0} MiB, peak {:.0} MiB",
        rss_before.unwrap_or(0.0),
        rss_max,
        rss_after.unwrap_or(0.0),
        peak_rss_mib().unwrap_or(0.0)
    );
    let out = serde_json::json!({
        "samples": n,
        "open_first_ms": first_open_ms,
        "predict_first_secs": first_predict_secs,
        "open_again_ms": reopen_ms,
        "reload_cached_secs": reload_secs,
        "frames_while_predicting": j_predict,
        "frames_while_scanning": j_scan,
        "frames_paging": j_paging,
        "frames_arrows": j_arrows,
        "frames_filter_sort_change": j_changes,
        "filter_sort_change_apply": j_change_apply,
        "filter_sort_change_latency": j_change_ready,
        "table_frames_paging": j_table,
        "table_frames_sorting": j_table_sorts,
        "table_sort_latency": j_table_ready,
        "scroll_pages": pages,
        "max_thumbnail_textures": max_textures,
        "thumbnail_budget": THUMB_BUDGET,
        "rss_mib_before_scroll": rss_before,
        "rss_mib_max_during_scroll": rss_max,
        "rss_mib_after_scroll": rss_after,
        "peak_rss_mib": peak_rss_mib(),
    });
    let path = std::env::var("LABELSCOPE_BENCH_JSON").unwrap_or("gallery_frames.json".into());
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("wrote {path}");
}
