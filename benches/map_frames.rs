//! The map panel with 100,000 points, driven headlessly by `egui_kittest`: CPU time per frame
//! (the app's logic and UI plus tessellation; GPU painting is not included) while panning and
//! zooming, and the process's memory with the embeddings loaded. The session is synthetic (in
//! memory, 1,280-d clustered vectors); the map is the app's own PCA map.
//!
//! `cargo bench --bench map_frames` (env `LABELSCOPE_BENCH_SAMPLES` to change the size,
//! `LABELSCOPE_BENCH_DIM` the embedding's width, default 1,280). Past 150,000 points the map
//! is drawn as a density image; `LABELSCOPE_BENCH_DENSE_FROM` moves that threshold (e.g. to
//! time the square per point at a million).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use egui_kittest::Harness;
use labelscope::app::{AppCommand, LabelscopeApp, Session};
use labelscope::bench::embeddings::synthetic_embeddings;
use labelscope::bench::{peak_rss_mib, rss_mib};
use labelscope::dataset::{ClassId, Dataset, Layout, Sample, SampleId, ScanReport};
use labelscope::embed::EmbeddingSet;
use labelscope::eval::{Entry, PredictionSet, predictions_from_probs};

fn session(n: usize, dim: usize) -> Session {
    let classes: Vec<String> = (0..10).map(|c| format!("class{c}")).collect();
    let samples = (0..n)
        .map(|i| Sample {
            id: SampleId(format!("s/{i:06}.png")),
            path: format!("/nonexistent/{i:06}.png").into(),
            label: ClassId((i % 10) as u32),
            split: None,
        })
        .collect();
    let ds = Dataset {
        root: "/nonexistent".into(),
        source: "/nonexistent".into(),
        layout: Layout::ImageFolder,
        classes,
        samples,
        report: ScanReport::default(),
    };
    let entries = (0..n)
        .map(|i| {
            let mut probs = vec![0.02f32; 10];
            probs[(i * 7 + i / 10) % 10] = 0.82;
            Entry::Predicted(predictions_from_probs(&probs, 10, Some(1.0)))
        })
        .collect();
    let mut s = Session::from_dataset(ds);
    s.predictions.set = Some(std::sync::Arc::new(PredictionSet {
        name: "synthetic".into(),
        source: "bench".into(),
        entries,
        elapsed_secs: None,
        num_cached: 0,
        num_inferred: 0,
    }));
    let rows = synthetic_embeddings(n, dim);
    let refs: Vec<Result<_, String>> = rows.iter().map(Ok).collect();
    s.embeddings
        .install(Ok(EmbeddingSet::from_embeddings(&refs)));
    s.changed();
    s.refresh();
    s
}

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

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * p / 100.0).round() as usize]
}

fn main() {
    let n: usize = std::env::var("LABELSCOPE_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
    };
    let dim = env("LABELSCOPE_BENCH_DIM").unwrap_or(1280);
    println!("building a session of {n} samples with {dim}-d embeddings");
    let s = session(n, dim);
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_max_steps(u64::MAX)
        .build_eframe(move |cc| LabelscopeApp::with_session(&cc.egui_ctx, s));
    if let Some(from) = env("LABELSCOPE_BENCH_DENSE_FROM") {
        h.state_mut().draw_map_as_density_from(from);
    }
    h.state_mut()
        .apply(AppCommand::ToggleView(labelscope::app::CentralView::Map));
    let t = Instant::now();
    while h
        .state()
        .session
        .as_ref()
        .is_none_or(|s| s.embeddings.map.pca.is_none())
    {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pca_secs = t.elapsed().as_secs_f64();
    // Stop UMAP and the analysis (they would compete for the CPU; PCA's points are as
    // many) and let them end before timing.
    for job in [
        labelscope::app::JobKind::Map,
        labelscope::app::JobKind::Analysis,
    ] {
        h.state_mut().apply(AppCommand::Cancel(job));
    }
    while h.state().session.as_ref().is_some_and(|s| {
        s.jobs.is_running(labelscope::app::JobKind::Map)
            || s.jobs.is_running(labelscope::app::JobKind::Analysis)
    }) {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for _ in 0..5 {
        frame(&mut h);
    }
    let centre = egui::pos2(900.0, 500.0);
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::default(),
    };
    let mut panning = Vec::new();
    h.event(egui::Event::PointerMoved(centre));
    h.event(button(centre, true));
    for k in 0..300 {
        let dx = ((k as f32) * 0.1).sin() * 200.0;
        h.event(egui::Event::PointerMoved(centre + egui::vec2(dx, dx * 0.5)));
        panning.push(frame(&mut h));
    }
    h.event(button(centre, false));
    let mut zooming = Vec::new();
    for k in 0..200 {
        let delta = if k < 100 { 40.0 } else { -40.0 };
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, delta),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::default(),
        });
        zooming.push(frame(&mut h));
    }
    let report = |name: &str, v: &[f64]| {
        println!(
            "{name:<28} {:>4} frames  p50 {:>6.2} ms  p95 {:>6.2} ms  max {:>6.2} ms",
            v.len(),
            percentile(v, 50.0),
            percentile(v, 95.0),
            percentile(v, 100.0)
        );
    };
    println!("PCA map of {n} points ready in {pca_secs:.2} s (in the window)");
    report("panning the map", &panning);
    report("zooming the map", &zooming);
    if let (Some(rss), Some(peak)) = (rss_mib(), peak_rss_mib()) {
        println!("RSS {rss:.0} MiB, peak {peak:.0} MiB");
    }
}
