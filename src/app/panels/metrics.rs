//! The metrics panel: headline numbers, the per-class table (sortable; a click filters the
//! gallery to that class), the confusion matrix, a confidence histogram (correct vs wrong) and
//! a reliability diagram ([`super::charts`]).

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::sample_query::Filter;
use super::super::session::Session;
use crate::dataset::ClassId;
use crate::eval::Metrics;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ClassSort {
    #[default]
    Index,
    Precision,
    Recall,
    F1,
    Support,
}

#[derive(Clone, Copy, Debug, Default)]
struct PanelState {
    sort: ClassSort,
    ascending: bool,
    normalise: bool,
}

/// Draws the left metrics panel, at most `max_width` wide (the gallery keeps its room).
pub fn metrics_panel_ui(ui: &mut egui::Ui, s: &Session, max_width: f32, out: &mut Vec<AppCommand>) {
    egui::Panel::left("metrics")
        .resizable(true)
        .default_size(430.0_f32.min(max_width))
        .size_range(240.0_f32.min(max_width)..=max_width)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                let Some(m) = &s.predictions.metrics else {
                    ui.heading("Metrics");
                    ui.label(if s.jobs.is_running(JobKind::Predict) {
                        "Waiting for the first predictions…"
                    } else {
                        "No model loaded: open a model or predictions file (File menu)."
                    });
                    return;
                };
                let id = ui.scope_id().with("metrics_state");
                let mut st: PanelState = ui.data(|d| d.get_temp(id)).unwrap_or_default();
                summary_ui(ui, m);
                if let Some(before) = &s.predictions.metrics_before {
                    before_after_ui(ui, before, m, s);
                }
                super::compare::compare_ui(ui, m, s, out);
                ui.separator();
                class_table_ui(ui, m, &s.view.filter, &mut st, out);
                ui.separator();
                super::confusion::confusion_ui(
                    ui,
                    &m.confusion,
                    &s.view.filter,
                    &mut st.normalise,
                    out,
                );
                ui.separator();
                if let Some(charts) = &s.predictions.charts {
                    super::charts::histogram_ui(ui, &charts.histogram, &s.view.filter, out);
                    ui.separator();
                    super::charts::reliability_ui(
                        ui,
                        super::charts::RELIABILITY,
                        &charts.reliability,
                        m.ece,
                    );
                    ui.separator();
                    super::calibration::calibration_ui(ui, s, out);
                    ui.separator();
                    super::resolutions::resolutions_ui(ui, s, out);
                }
                ui.data_mut(|d| d.insert_temp(id, st));
            });
        });
}

fn summary_ui(ui: &mut egui::Ui, m: &Metrics) {
    ui.heading("Metrics");
    egui::Grid::new("summary")
        .num_columns(4)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.label("Accuracy");
            let ci = crate::eval::intervals::accuracy_interval(m);
            ui.horizontal(|ui| {
                ui.strong(format!("{:.2}%", m.accuracy * 100.0));
                if let Some([lo, hi]) = ci {
                    ui.weak(format!(
                        "({})",
                        crate::eval::intervals::percent_interval(lo, hi)
                    ))
                    .on_hover_text(format!(
                        "95% Wilson interval on {} samples: differences inside it may be noise",
                        m.confusion.total()
                    ));
                }
            });
            ui.label("Balanced acc.");
            ui.strong(format!("{:.2}%", m.balanced_accuracy * 100.0));
            ui.end_row();
            ui.label("Macro F1");
            ui.strong(format!("{:.4}", m.macro_f1));
            ui.label("Weighted F1");
            ui.strong(format!("{:.4}", m.weighted_f1));
            ui.end_row();
            ui.label("ECE (15 bins)");
            if m.num_calibrated > 0 {
                ui.strong(format!("{:.4}", m.ece));
            } else {
                ui.strong("–")
                    .on_hover_text("no prediction of this set has a confidence");
            }
            ui.label("Latency p50/p95");
            if m.latency_ms.p95 > 0.0 {
                ui.strong(format!(
                    "{:.1}/{:.1} ms",
                    m.latency_ms.p50, m.latency_ms.p95
                ));
            } else {
                ui.strong("–")
                    .on_hover_text("no per-image inference times for this set");
            }
            ui.end_row();
            ui.label("Evaluated");
            ui.strong(format!("{} of {}", m.num_evaluated, m.num_samples));
            ui.label("Throughput");
            ui.strong(
                m.images_per_sec
                    .map_or("cached".to_string(), |v| format!("{v:.0} img/s")),
            );
            ui.end_row();
        });
    if m.num_failed + m.num_other + m.num_unparsed + m.num_missing > 0 {
        ui.label(format!(
            "{} failed · {} predicted outside the label set (other) · {} unparsed · {} not predicted",
            m.num_failed, m.num_other, m.num_unparsed, m.num_missing
        ));
    }
}

fn class_table_ui(
    ui: &mut egui::Ui,
    m: &Metrics,
    filter: &Filter,
    st: &mut PanelState,
    out: &mut Vec<AppCommand>,
) {
    ui.strong("Per class");
    let mut rows: Vec<usize> = (0..m.per_class.len()).collect();
    let key = |i: usize| {
        let c = &m.per_class[i];
        match st.sort {
            ClassSort::Index => i as f64,
            ClassSort::Precision => c.precision,
            ClassSort::Recall => c.recall,
            ClassSort::F1 => c.f1,
            ClassSort::Support => c.support as f64,
        }
    };
    rows.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    if !st.ascending && st.sort != ClassSort::Index {
        rows.reverse();
    }
    // Its own scroll with a sticky header past 12 classes; resizable columns.
    let sorts = [
        ("Class", ClassSort::Index),
        ("Precision", ClassSort::Precision),
        ("Recall", ClassSort::Recall),
        ("F1", ClassSort::F1),
        ("Support", ClassSort::Support),
    ];
    egui_extras::TableBuilder::new(ui)
        .id_salt("per_class")
        .striped(true)
        .resizable(true)
        .max_scroll_height(300.0)
        .column(
            egui_extras::Column::initial(110.0)
                .at_least(60.0)
                .clip(true),
        )
        .columns(egui_extras::Column::initial(74.0).at_least(40.0), 4)
        .header(20.0, |mut header| {
            for (name, sort) in sorts {
                header.col(|ui| {
                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                    let arrow = if st.sort == sort && sort != ClassSort::Index {
                        if st.ascending { " ^" } else { " v" }
                    } else {
                        ""
                    };
                    if ui
                        .selectable_label(st.sort == sort, format!("{name}{arrow}"))
                        .on_hover_text("Sort by this column (again: the other way round)")
                        .clicked()
                    {
                        if st.sort == sort {
                            st.ascending = !st.ascending;
                        } else {
                            st.sort = sort;
                            st.ascending = false;
                        }
                    }
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rows.len(), |mut row| {
                let i = rows[row.index()];
                let c = &m.per_class[i];
                let selected =
                    filter.true_class == Some(ClassId(i as u32)) && filter.predicted.is_none();
                row.col(|ui| {
                    if ui
                        .selectable_label(selected, &c.label)
                        .on_hover_text("Show this class in the gallery")
                        .clicked()
                    {
                        let f = if selected {
                            Filter::default()
                        } else {
                            Filter {
                                true_class: Some(ClassId(i as u32)),
                                ..Filter::default()
                            }
                        };
                        out.push(AppCommand::SetFilter(f));
                    }
                });
                for v in [c.precision, c.recall, c.f1] {
                    row.col(|ui| {
                        ui.label(format!("{v:.3}"));
                    });
                }
                row.col(|ui| {
                    ui.label(c.support.to_string());
                });
            });
        });
}

fn before_after_ui(ui: &mut egui::Ui, before: &Metrics, after: &Metrics, s: &Session) {
    let (num_relabeled, num_excluded) = s
        .predictions
        .charts
        .as_ref()
        .map_or((0, 0), |c| (c.num_relabeled, c.num_excluded));
    ui.separator();
    ui.strong("Before edits / after edits");
    egui::Grid::new("before_after")
        .num_columns(3)
        .spacing([16.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label("before");
            ui.label("after");
            ui.end_row();
            ui.label("Accuracy");
            ui.label(format!("{:.2}%", before.accuracy * 100.0));
            ui.strong(format!("{:.2}%", after.accuracy * 100.0));
            ui.end_row();
            ui.label("Macro F1");
            ui.label(format!("{:.4}", before.macro_f1));
            ui.strong(format!("{:.4}", after.macro_f1));
            ui.end_row();
        });
    ui.label(format!(
        "{num_relabeled} relabeled, {num_excluded} excluded"
    ));
}
