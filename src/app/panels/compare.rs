//! The comparison in the metrics panel: the main set and every compared model or file side by
//! side (accuracy with its interval, balanced accuracy, macro F1, ECE, latency, size, memory),
//! then every pair's agreement, right/wrong table and McNemar verdict.

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::session::Session;
use crate::eval::Metrics;
use crate::eval::intervals::accuracy_interval;
use crate::model::footprint::{Footprint, human_bytes};

/// One column of the table.
struct Column<'a> {
    metrics: &'a Metrics,
    footprint: Option<&'a Footprint>,
    threads: Option<usize>,
}

/// Draws the comparison, when anything is compared or a model is being added.
pub fn compare_ui(ui: &mut egui::Ui, main: &Metrics, s: &Session, out: &mut Vec<AppCommand>) {
    let c = &s.compare;
    if c.sets.is_empty() && !s.jobs.is_running(JobKind::Compare) {
        return;
    }
    ui.separator();
    ui.strong("Comparison");
    job_ui(ui, s, out);
    if c.sets.is_empty() {
        return;
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut columns = vec![Column {
        metrics: main,
        footprint: c.main_footprint.as_ref(),
        threads: s.predictions.model.is_some().then_some(threads),
    }];
    for info in &c.info {
        let Some(metrics) = &info.metrics else { return };
        columns.push(Column {
            metrics,
            footprint: info.footprint.as_ref(),
            threads: info.threads,
        });
    }
    for (k, name) in c.names.iter().enumerate() {
        ui.horizontal(|ui| {
            let label = ui.label(format!("[{}] {name}", k + 1));
            if k == 0 {
                ui.weak("(main)");
            } else {
                if let Some(info) = c.info.get(k - 1) {
                    label.on_hover_text(&info.source);
                }
                if ui
                    .small_button("×")
                    .on_hover_text("Remove from the comparison")
                    .clicked()
                {
                    out.push(AppCommand::RemoveComparison(k - 1));
                }
            }
        });
    }
    table_ui(ui, &columns);
    if let Some(odd) = columns
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, col)| col.metrics.num_evaluated != main.num_evaluated)
    {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Not the same samples: [1] is scored on {}, [{}] on {}; each pair below is compared on the samples both predicted.",
                main.num_evaluated,
                odd.0 + 1,
                odd.1.metrics.num_evaluated
            ),
        );
    }
    for p in &c.pairs {
        let t = &p.significance;
        let (a, b) = (p.first + 1, p.second + 1);
        ui.add_space(4.0);
        ui.label(format!(
            "[{a}] vs [{b}]: agree on {} of {} samples{}",
            p.comparison.both_predicted - p.comparison.disagree,
            p.comparison.both_predicted,
            p.agreement()
                .map_or_else(String::new, |x| format!(" ({:.1}%)", x * 100.0))
        ));
        ui.weak(format!(
            "both right {}, only [{a}] right {}, only [{b}] right {}, both wrong {}",
            t.both_right, t.only_first_right, t.only_second_right, t.both_wrong
        ))
        .on_hover_text(
            "The 2x2 table of right and wrong on the samples both predicted; McNemar's exact test uses the two discordant cells",
        );
        ui.label(&t.verdict);
    }
}

/// How one row of the table reads a column.
type Cell<'a> = dyn Fn(&Column<'_>) -> String + 'a;

/// Metrics as rows, sets as columns.
fn table_ui(ui: &mut egui::Ui, columns: &[Column<'_>]) {
    let dash = || "–".to_string();
    let rows: [(&str, &Cell<'_>); 9] = [
        ("accuracy", &|c| {
            format!("{:.2}%", c.metrics.accuracy * 100.0)
        }),
        ("95% interval", &|c| {
            accuracy_interval(c.metrics).map_or_else(dash, |[lo, hi]| {
                crate::eval::intervals::percent_interval(lo, hi)
            })
        }),
        ("balanced acc.", &|c| {
            format!("{:.2}%", c.metrics.balanced_accuracy * 100.0)
        }),
        ("macro F1", &|c| format!("{:.4}", c.metrics.macro_f1)),
        ("ECE", &|c| {
            if c.metrics.num_calibrated > 0 {
                format!("{:.4}", c.metrics.ece)
            } else {
                dash()
            }
        }),
        ("latency p50/p95", &|c| {
            let l = &c.metrics.latency_ms;
            if l.p95 > 0.0 {
                let threads = c
                    .threads
                    .map_or_else(String::new, |t| format!(", {t} thr."));
                format!("{:.1}/{:.1} ms{threads}", l.p50, l.p95)
            } else {
                dash()
            }
        }),
        ("file size", &|c| {
            c.footprint.map_or_else(dash, |f| human_bytes(f.file_bytes))
        }),
        ("session memory", &|c| {
            c.footprint
                .and_then(|f| f.session_peak_bytes)
                .map_or_else(dash, human_bytes)
        }),
        ("scored on", &|c| {
            format!("{} samples", c.metrics.num_evaluated)
        }),
    ];
    egui::Grid::new("compare")
        .striped(true)
        .spacing([12.0, 3.0])
        .show(ui, |ui| {
            ui.label("");
            for k in 0..columns.len() {
                ui.strong(format!("[{}]", k + 1));
            }
            ui.end_row();
            for (name, cell) in rows {
                let label = ui.label(name);
                match name {
                    "latency p50/p95" => {
                        label.on_hover_text("Inference time per image on this machine (decode and preprocessing excluded), with the run's worker threads");
                    }
                    "session memory" => {
                        label.on_hover_text("Peak memory that loading the model, building one session and running one image add to a fresh process, measured in a child process");
                    }
                    _ => {}
                }
                for c in columns {
                    ui.label(cell(c));
                }
                ui.end_row();
            }
        });
}

/// "Adding int8w.onnx: 120/1212" with Cancel while a model runs to be compared.
fn job_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    if !s.jobs.is_running(JobKind::Compare) {
        return;
    }
    let text = |_: &_, p: &crate::jobs::Progress| {
        if p.num_total == 0 {
            "Measuring the models…".to_string()
        } else {
            format!(
                "Running the model to compare: {}/{}",
                p.num_done, p.num_total
            )
        }
    };
    ui.horizontal(|ui| {
        let hover = "Stop running the model; nothing is added";
        super::job_progress::job_progress_ui(
            ui,
            &s.jobs,
            JobKind::Compare,
            220.0,
            hover,
            text,
            out,
        );
    });
}
