//! The Monitor view: device logs against the open dataset, one column per day. A chart of the
//! estimated accuracy (with its band), the accuracy where labels arrived and the volume, days
//! flagged as drifted shaded; below it, every window's figures.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, vec2};

use super::super::commands::AppCommand;
use super::super::jobs::{JobKind, MonitorDone};
use super::super::layout::CentralView;
use super::super::sample_query::{Filter, Region, SortKey};
use super::super::session::Session;
use super::job_progress::{default_text, job_progress_ui};
use crate::monitor::GroupBy;

const DRIFT: Color32 = Color32::from_rgb(150, 50, 45);
const ESTIMATE: Color32 = Color32::from_rgb(80, 150, 230);
const MEASURED: Color32 = Color32::from_rgb(80, 190, 110);
const CONFIDENCE: Color32 = Color32::from_rgb(220, 170, 60);

/// Draws the Monitor view.
pub fn monitor_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    let hover = "Stop reading the logs";
    job_progress_ui(
        ui,
        &s.jobs,
        JobKind::Monitor,
        240.0,
        hover,
        default_text,
        out,
    );
    if s.monitor.is_some() || !s.monitor_logs.is_empty() {
        options_ui(ui, s, out);
    }
    let Some(m) = &s.monitor else {
        if !s.jobs.is_running(JobKind::Monitor) {
            ui.label(
                "No device logs yet: File > Open device logs… reads a deployed model's inference \
                 log (timestamp, pred, confidence, ...) and compares each day with this dataset \
                 and the current predictions.",
            );
        }
        return;
    };
    ui.label(format!(
        "{} inferences from {} log file(s), {} rows skipped · reference: {} labelled samples, accuracy {:.1}%, ATC threshold {}",
        m.rows,
        m.files.len(),
        m.skipped.len(),
        m.reference.n,
        m.reference.accuracy * 100.0,
        m.reference
            .atc_threshold
            .map_or("-".into(), |t| format!("{t:.3}"))
    ));
    let drifted = m.windows.iter().filter(|w| w.drift).count();
    ui.label(format!(
        "{} windows, {drifted} drifted (class mix, confidence, each label's probability or the images against the reference; level 0.05 with Bonferroni over the tests)",
        m.windows.len()
    ));
    if let Some(note) = &m.embedding_note {
        ui.weak(note);
    }
    if s.monitor_options.by.is_none() {
        chart_ui(ui, m);
    } else {
        ui.weak("The chart shows windows without a split: set Split by to nothing to see it.");
    }
    ui.separator();
    table_ui(ui, m, out);
}

/// Estimated accuracy (band and line), measured accuracy (dots), volume (bars), drift (shade).
fn chart_ui(ui: &mut egui::Ui, m: &MonitorDone) {
    ui.horizontal_wrapped(|ui| {
        for (colour, text) in [
            (ESTIMATE, "estimated accuracy (no labels), 95% band"),
            (MEASURED, "accuracy where labels arrived"),
            (CONFIDENCE, "mean confidence"),
            (DRIFT, "drifted (any test)"),
            (ui.visuals().weak_text_color(), "volume"),
        ] {
            let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
            ui.painter().rect_filled(r, 1.0, colour);
            ui.small(text);
        }
    });
    let width = ui.available_width().max(200.0);
    let (outer, _) = ui.allocate_exact_size(vec2(width, 200.0), Sense::hover());
    let plot = Rect::from_min_max(outer.min + vec2(40.0, 8.0), outer.max - vec2(8.0, 22.0));
    let painter = ui.painter_at(outer);
    painter.rect_filled(plot, 2.0, ui.visuals().extreme_bg_color);
    let n = m.windows.len().max(1);
    let step = plot.width() / n as f32;
    let x = |i: usize| plot.left() + step * (i as f32 + 0.5);
    // The axis starts a little below the lowest value shown (in tenths), so the days differ.
    let lowest = m
        .windows
        .iter()
        .flat_map(|w| {
            w.estimated_accuracy_ci
                .map(|c| c[0])
                .into_iter()
                .chain(w.accuracy)
                .chain(w.mean_confidence)
        })
        .fold(1.0f64, f64::min);
    let floor = ((lowest * 10.0).floor() / 10.0 - 0.1).clamp(0.0, 0.9);
    let y = |v: f64| {
        let t = ((v - floor) / (1.0 - floor)).clamp(0.0, 1.0);
        plot.bottom() - plot.height() * t as f32
    };
    let weak = ui.visuals().weak_text_color();
    let font = FontId::proportional(11.0);
    for v in [floor, (floor + 1.0) / 2.0, 1.0] {
        painter.text(
            Pos2::new(plot.left() - 4.0, y(v)),
            Align2::RIGHT_CENTER,
            format!("{:.0}%", v * 100.0),
            font.clone(),
            weak,
        );
    }
    let max_n = m.windows.iter().map(|w| w.n).max().unwrap_or(1).max(1) as f32;
    for (i, w) in m.windows.iter().enumerate() {
        let column = Rect::from_min_max(
            Pos2::new(plot.left() + step * i as f32, plot.top()),
            Pos2::new(plot.left() + step * (i as f32 + 1.0), plot.bottom()),
        );
        if w.drift {
            painter.rect_filled(
                column.shrink2(vec2(1.0, 0.0)),
                0.0,
                DRIFT.gamma_multiply(0.5),
            );
        }
        // Volume: a thin bar along the bottom, relative to the busiest day.
        let h = 30.0 * w.n as f32 / max_n;
        painter.rect_filled(
            Rect::from_min_max(
                Pos2::new(column.center().x - step * 0.2, plot.bottom() - h),
                Pos2::new(column.center().x + step * 0.2, plot.bottom()),
            ),
            0.0,
            weak.gamma_multiply(0.5),
        );
        if let Some([lo, hi]) = w.estimated_accuracy_ci {
            painter.line_segment(
                [Pos2::new(x(i), y(lo)), Pos2::new(x(i), y(hi))],
                Stroke::new(4.0, ESTIMATE.gamma_multiply(0.4)),
            );
        }
        if let Some(a) = w.accuracy {
            painter.circle_filled(Pos2::new(x(i), y(a)), 3.5, MEASURED);
        }
        if i % (n / 8).max(1) == 0 {
            let day = chrono::DateTime::from_timestamp(w.start as i64, 0)
                .map_or_else(String::new, |d| d.format("%m-%d").to_string());
            painter.text(
                Pos2::new(x(i), plot.bottom() + 3.0),
                Align2::CENTER_TOP,
                day,
                font.clone(),
                weak,
            );
        }
    }
    let line: Vec<Pos2> = m
        .windows
        .iter()
        .enumerate()
        .filter_map(|(i, w)| Some(Pos2::new(x(i), y(w.estimated_accuracy?))))
        .collect();
    painter.add(egui::Shape::line(line, Stroke::new(2.0, ESTIMATE)));
    let confidence: Vec<Pos2> = m
        .windows
        .iter()
        .enumerate()
        .filter_map(|(i, w)| Some(Pos2::new(x(i), y(w.mean_confidence?))))
        .collect();
    painter.add(egui::Shape::dashed_line(
        &confidence,
        Stroke::new(1.5, CONFIDENCE),
        4.0,
        3.0,
    ));
}

/// The window lengths offered.
const WINDOWS: [(f64, &str); 4] = [
    (3_600.0, "1 hour"),
    (21_600.0, "6 hours"),
    (86_400.0, "1 day"),
    (604_800.0, "1 week"),
];

/// Window length and split of the logs (the CLI's `--window` and `--by`).
fn options_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    let mut o = s.monitor_options.clone();
    let by_name = |by: Option<GroupBy>| match by {
        None => "nothing",
        Some(GroupBy::Device) => "device",
        Some(GroupBy::ModelVersion) => "model version",
    };
    ui.horizontal(|ui| {
        let label = ui.label("Window");
        let current = WINDOWS
            .iter()
            .find(|(secs, _)| *secs == o.window_secs)
            .map_or("custom", |(_, name)| name);
        egui::ComboBox::from_id_salt("monitor-window")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (secs, name) in WINDOWS {
                    ui.selectable_value(&mut o.window_secs, secs, name);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Split by");
        egui::ComboBox::from_id_salt("monitor-by")
            .selected_text(by_name(o.by))
            .show_ui(ui, |ui| {
                for by in [None, Some(GroupBy::Device), Some(GroupBy::ModelVersion)] {
                    ui.selectable_value(&mut o.by, by, by_name(by));
                }
            })
            .response
            .labelled_by(label.id);
    });
    if o != s.monitor_options {
        out.push(AppCommand::MonitorOptions(o));
    }
}

/// How many images "To label" tags at a time.
pub const TO_LABEL_BATCH: usize = 20;

pub use super::super::session::TO_LABEL_TAG;

/// Window `k`'s images: show them in the gallery (most novel first), or tag the most novel or
/// the least confident for labelling.
fn window_images_ui(ui: &mut egui::Ui, m: &MonitorDone, k: usize, out: &mut Vec<AppCommand>) {
    let empty = Vec::new();
    let samples = m.samples.get(k).unwrap_or(&empty);
    let outside = m.outside.get(k).map_or(0, Vec::len);
    if samples.is_empty() && outside == 0 {
        ui.label("");
        ui.label("");
        return;
    }
    let novelty = m.novelty.get(k).cloned().unwrap_or_default();
    let what = m.windows.get(k).map_or_else(String::new, |w| {
        let format = if w.end - w.start < 86_400.0 {
            "%m-%d %H:%M"
        } else {
            "%m-%d"
        };
        let start = chrono::DateTime::from_timestamp(w.start as i64, 0)
            .map_or_else(String::new, |d| d.format(format).to_string());
        match &w.group {
            Some(g) => format!("{start} {g}"),
            None => start,
        }
    });
    let hover = if novelty.is_empty() {
        "The dataset's images this window's rows name, in the gallery"
    } else {
        "The dataset's images this window's rows name, in the gallery, most novel first (furthest from the reference's embeddings)"
    };
    if samples.is_empty() {
        ui.label("");
    } else if ui
        .small_button(format!("Show {} images", samples.len()))
        .on_hover_text(hover)
        .clicked()
    {
        let ranked = !novelty.is_empty();
        out.push(AppCommand::SetFilter(Filter {
            region: Some(Region {
                what: format!("Device logs {what}"),
                samples: samples.clone(),
                rank: novelty.clone(),
            }),
            ..Filter::default()
        }));
        if ranked {
            out.push(AppCommand::SetSort(SortKey::RegionRank));
        }
        out.push(AppCommand::ShowView(CentralView::Gallery));
    }
    ui.menu_button("To label", |ui| {
        let confidence = m.confidence.get(k).cloned().unwrap_or_default();
        // Least confident: the lowest logged confidence first.
        let uncertain: Vec<f32> = confidence
            .iter()
            .map(|c| c.map_or(f32::MIN, |c| -c))
            .collect();
        for (label, scores) in [
            ("most novel", novelty.as_slice()),
            ("least confident", uncertain.as_slice()),
        ] {
            let picked = top(samples, scores, TO_LABEL_BATCH);
            let button = ui.add_enabled(
                !picked.is_empty(),
                egui::Button::new(format!(
                    "Tag the {} {label} \"{TO_LABEL_TAG}\"",
                    picked.len()
                )),
            );
            if button.clicked() {
                out.push(AppCommand::TagSamples {
                    samples: picked,
                    tag: TO_LABEL_TAG.to_string(),
                });
                ui.close();
            }
        }
        ui.separator();
        if outside > 0
            && ui
                .button(format!(
                    "Label the {outside} logged {} outside the dataset",
                    if outside == 1 { "image" } else { "images" }
                ))
                .on_hover_text("One at a time in the Label view; each label adds the file to the dataset by reference (nothing is copied)")
                .clicked()
        {
            out.push(AppCommand::LabelLogged(k));
            ui.close();
        }
        if ui
            .button(format!("Label the images tagged \"{TO_LABEL_TAG}\" now"))
            .on_hover_text("One at a time, with the model's top 3 and the nearest labelled samples (the Label view)")
            .clicked()
        {
            out.push(AppCommand::LabelTagged);
            ui.close();
        }
    });
}

/// The `n` samples with the highest finite scores (scores parallel to `samples`).
fn top(samples: &[usize], scores: &[f32], n: usize) -> Vec<usize> {
    let mut pairs: Vec<(f32, usize)> = scores
        .iter()
        .copied()
        .zip(samples.iter().copied())
        .filter(|(s, _)| s.is_finite() && *s > f32::MIN)
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    pairs.into_iter().take(n).map(|(_, i)| i).collect()
}

/// Every window's figures.
fn table_ui(ui: &mut egui::Ui, m: &MonitorDone, out: &mut Vec<AppCommand>) {
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
    // Solid scroll bars take their own room: a floating one lay over the last row (the only
    // one, for a single day) and took the clicks meant for its buttons.
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("monitor-windows")
            .striped(true)
            .num_columns(13)
            .show(ui, |ui| {
                for h in [
                    "window (UTC)",
                    "",
                    "",
                    "",
                    "inferences",
                    "p (class mix)",
                    "PSI",
                    "p (confidence)",
                    "p (embeddings)",
                    "mean conf.",
                    "estimated acc.",
                    "accuracy (labels)",
                    "latency p95",
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for (k, w) in m.windows.iter().enumerate() {
                    let day = chrono::DateTime::from_timestamp(w.start as i64, 0)
                        .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M").to_string());
                    match &w.group {
                        Some(g) => ui.label(format!("{day} · {g}")),
                        None => ui.label(day),
                    };
                    // The flag and the actions first: they stay in view in a narrow window.
                    if w.drift {
                        ui.colored_label(Color32::from_rgb(230, 90, 80), "drift");
                    } else {
                        ui.label("");
                    }
                    window_images_ui(ui, m, k, out);
                    ui.label(w.n.to_string());
                    ui.label(
                        w.p_values
                            .get("class_mix")
                            .map_or("-".into(), |p| format!("{p:.1e}")),
                    );
                    ui.label(w.psi.map_or("-".into(), |p| format!("{p:.3}")));
                    ui.label(
                        w.p_values
                            .get("confidence")
                            .map_or("-".into(), |p| format!("{p:.1e}")),
                    )
                    .on_hover_text(w.p_values.get("class_probs").map_or_else(
                        || "KS test of the top probability".to_string(),
                        |p| format!("KS test of the top probability; each label's probability: p = {p:.1e} (Bonferroni over the labels)"),
                    ));
                    ui.label(
                        w.embedding
                            .map_or("-".into(), |e| format!("{:.1e}", e.p_value)),
                    )
                    .on_hover_text(w.embedding.map_or_else(
                        || "No embedding test (see the note under the chart)".to_string(),
                        |e| {
                            format!(
                                "{} images: MMD p = {:.3}, novel rows {:.1}% (p = {:.1e}), domain classifier AUC {}",
                                e.rows,
                                e.mmd_p_value,
                                e.novel_share * 100.0,
                                e.novel_p_value,
                                e.domain_auc.map_or("-".into(), |a| format!("{a:.3}"))
                            )
                        },
                    ));
                    ui.label(w.mean_confidence.map_or("-".into(), |c| format!("{c:.3}")));
                    ui.label(match (w.estimated_accuracy, w.estimated_accuracy_ci) {
                        (Some(e), Some([lo, hi])) => {
                            format!("{:.1}% ({:.0}-{:.0})", e * 100.0, lo * 100.0, hi * 100.0)
                        }
                        _ => "-".into(),
                    });
                    ui.label(format!("{} ({} labelled)", pct(w.accuracy), w.labelled));
                    ui.label(w.latency_p95.map_or("-".into(), |l| format!("{l:.1} ms")));
                    ui.end_row();
                }
            });
    });
}
