//! The "Train a head" window: options, progress and cancel, the train/validation loss curves
//! drawn live, the before/after table on the same validation samples, and writing the model.

use egui::{Color32, Pos2, Stroke, vec2};

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::session::Session;
use super::super::train_dialog::TrainDialog;
use super::job_progress::{default_text, job_progress_ui};
use crate::head::CurvePoint;

const CLEANED: Color32 = Color32::from_rgb(90, 160, 240);
const ORIGINAL: Color32 = Color32::from_rgb(170, 170, 170);

/// Draws the dialog.
pub fn train_ui(ctx: &egui::Context, d: &mut TrainDialog, s: &Session, out: &mut Vec<AppCommand>) {
    let mut open = true;
    egui::Window::new("Train a head")
        .open(&mut open)
        .default_width(620.0)
        .resizable(true)
        .show(ctx, |ui| {
            ui.label(
                "A new classifier head (softmax regression) on the model's embeddings, trained \
                 on the current labels of the train split and compared on the held-out split.",
            );
            let running = s.jobs.is_running(JobKind::Train);
            ui.add_enabled_ui(!running, |ui| options_ui(ui, d));
            ui.horizontal(|ui| {
                let hover = "Stop training; nothing is written";
                if job_progress_ui(ui, &s.jobs, JobKind::Train, 260.0, hover, default_text, out) {
                } else if ui
                    .add_enabled(s.predictions.model.is_some(), egui::Button::new("Train"))
                    .on_disabled_hover_text("Open a model first")
                    .clicked()
                {
                    out.push(AppCommand::StartTrain);
                }
            });
            let curves = d.curve.lock().map(|c| c.clone()).unwrap_or_default();
            if !curves[0].is_empty() {
                curve_ui(ui, &curves);
            }
            if d.done.is_some() {
                // Where to write it first: the results below can be long.
                ui.horizontal(|ui| {
                    ui.label("Folder");
                    ui.text_edit_singleline(&mut d.out);
                    if ui
                        .button("Write model")
                        .on_hover_text("head.onnx (the model up to its embedding, then this head), head.json and report.json")
                        .clicked()
                    {
                        out.push(AppCommand::WriteHead);
                    }
                });
            }
            match &d.message {
                Some(Ok(m)) => {
                    ui.label(m);
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => {}
            }
            if let Some(done) = &d.done {
                // The table and the confusion matrices scroll; the window can be made larger.
                egui::ScrollArea::vertical()
                    .id_salt("train_results_scroll")
                    .max_height(ui.ctx().content_rect().height() * 0.5)
                    .min_scrolled_height(220.0)
                    .show(ui, |ui| results_ui(ui, done, s));
            }
        });
    if !open {
        out.push(AppCommand::CloseTrain);
    }
}

fn options_ui(ui: &mut egui::Ui, d: &mut TrainDialog) {
    egui::Grid::new("train_options")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Validation fraction");
            ui.add(
                egui::DragValue::new(&mut d.val)
                    .range(0.01..=0.9)
                    .speed(0.01),
            );
            ui.end_row();
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut d.seed));
            ui.end_row();
            let hover = "How freely the head fits the training labels: scikit-learn's C, the inverse of the L2 penalty. Smaller is stronger regularisation (a simpler head); 1 is the usual start.";
            ui.label("Regularisation (C)").on_hover_text(hover);
            ui.add(
                egui::DragValue::new(&mut d.c)
                    .range(0.0001..=1000.0)
                    .speed(0.01),
            )
            .on_hover_text(hover);
            ui.end_row();
        });
    ui.checkbox(&mut d.keep_splits, "Keep the dataset's own train/val split");
    ui.checkbox(&mut d.balanced, "Weigh classes by inverse frequency");
    ui.checkbox(
        &mut d.compare,
        "Also train on the original labels (what cleaning bought)",
    );
}

/// Train (solid) and validation (dashed) loss per iteration, cleaned labels in blue, original
/// in grey: axes with ticks and a legend.
fn curve_ui(ui: &mut egui::Ui, curves: &[Vec<CurvePoint>; 2]) {
    legend_ui(ui, !curves[1].is_empty());
    let (outer, _) = ui.allocate_exact_size(
        vec2(ui.available_width().min(600.0), 150.0),
        egui::Sense::hover(),
    );
    // Room for the loss ticks on the left and the iteration ticks below.
    let rect = egui::Rect::from_min_max(outer.min + vec2(44.0, 4.0), outer.max - vec2(8.0, 22.0));
    let painter = ui.painter_at(outer);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let points = curves.iter().flatten();
    let max_it = points
        .clone()
        .map(|p| p.iteration)
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let max_loss = points
        .flat_map(|p| [Some(p.train_loss), p.val_loss])
        .flatten()
        .fold(0f64, f64::max)
        .max(1e-6) as f32;
    let at = |it: f32, loss: f32| {
        Pos2::new(
            rect.left() + rect.width() * it / max_it,
            rect.bottom() - rect.height() * (loss / max_loss),
        )
    };
    let weak = ui.visuals().weak_text_color();
    let grid = Stroke::new(1.0, ui.visuals().faint_bg_color);
    let font = egui::FontId::proportional(10.0);
    for k in 0..=4 {
        let loss = max_loss * k as f32 / 4.0;
        let y = at(0.0, loss).y;
        painter.line_segment(
            [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            grid,
        );
        painter.text(
            Pos2::new(rect.left() - 4.0, y),
            egui::Align2::RIGHT_CENTER,
            format!("{loss:.2}"),
            font.clone(),
            weak,
        );
        let it = max_it * k as f32 / 4.0;
        let x = at(it, 0.0).x;
        painter.text(
            Pos2::new(x, rect.bottom() + 3.0),
            egui::Align2::CENTER_TOP,
            format!("{}", it.round() as usize),
            font.clone(),
            weak,
        );
    }
    painter.text(
        Pos2::new(outer.left(), rect.top()),
        egui::Align2::LEFT_TOP,
        "loss",
        font.clone(),
        weak,
    );
    painter.text(
        Pos2::new(rect.right(), outer.bottom()),
        egui::Align2::RIGHT_BOTTOM,
        "iteration",
        font,
        weak,
    );
    for (curve, colour) in [(&curves[1], ORIGINAL), (&curves[0], CLEANED)] {
        let train: Vec<Pos2> = curve
            .iter()
            .map(|p| at(p.iteration as f32, p.train_loss as f32))
            .collect();
        let val: Vec<Pos2> = curve
            .iter()
            .filter_map(|p| Some(at(p.iteration as f32, p.val_loss? as f32)))
            .collect();
        painter.add(egui::Shape::line(train, Stroke::new(2.0, colour)));
        painter.add(egui::Shape::dashed_line(
            &val,
            Stroke::new(1.5, colour),
            4.0,
            3.0,
        ));
    }
}

/// What each line of the loss chart is: colour for the labels, solid or dashed for the split.
fn legend_ui(ui: &mut egui::Ui, with_original: bool) {
    let entry = |ui: &mut egui::Ui, colour: Color32, dashed: bool, text: &str| {
        let (r, _) = ui.allocate_exact_size(vec2(26.0, 12.0), egui::Sense::hover());
        let y = r.center().y;
        let line = [Pos2::new(r.left(), y), Pos2::new(r.right(), y)];
        if dashed {
            ui.painter().add(egui::Shape::dashed_line(
                &line,
                Stroke::new(1.5, colour),
                4.0,
                3.0,
            ));
        } else {
            ui.painter().line_segment(line, Stroke::new(2.0, colour));
        }
        ui.label(text);
    };
    ui.horizontal_wrapped(|ui| {
        entry(ui, CLEANED, false, "current labels, train");
        entry(ui, CLEANED, true, "current labels, validation");
        if with_original {
            entry(ui, ORIGINAL, false, "original labels, train");
            entry(ui, ORIGINAL, true, "original labels, validation");
        }
    });
}

fn results_ui(ui: &mut egui::Ui, done: &super::super::jobs::TrainDone, s: &Session) {
    let o = &done.outcome;
    ui.label(format!(
        "Validation: {} samples with the current labels; {} train samples; {} relabeled, {} excluded; trained in {:.2} s{}{}",
        o.split.val.len(),
        o.cleaned.train_samples,
        o.relabeled,
        o.excluded,
        o.seconds,
        if o.cleaned.converged { "" } else { " (not fully converged)" },
        if o.without_embedding > 0 {
            format!("; {} samples without an embedding left out", o.without_embedding)
        } else {
            String::new()
        }
    ));
    egui::ScrollArea::horizontal().show(ui, |ui| {
        egui::Grid::new("train_results")
            .striped(true)
            .show(ui, |ui| {
                ui.strong("");
                ui.strong("Accuracy");
                ui.strong("Macro F1");
                for c in &s.ws.dataset.classes {
                    ui.strong(format!("F1 {c}"));
                }
                ui.end_row();
                for (name, m) in &o.rows {
                    ui.label(name);
                    ui.label(format!("{:.2}%", m.accuracy * 100.0));
                    ui.label(format!("{:.4}", m.macro_f1));
                    for c in &m.per_class {
                        ui.label(format!("{:.3}", c.f1));
                    }
                    ui.end_row();
                }
            });
    });
    egui::CollapsingHeader::new("Confusion matrices (rows: true label, columns: predicted)")
        .id_salt("train_confusions")
        .show(ui, |ui| {
            for (name, m) in &o.rows {
                ui.strong(name);
                egui::ScrollArea::horizontal()
                    .id_salt(("train_confusion", name))
                    .show(ui, |ui| {
                        egui::Grid::new(("train_confusion_grid", name))
                            .striped(true)
                            .show(ui, |ui| {
                                ui.label("");
                                for c in &m.confusion.predicted_labels {
                                    ui.strong(c);
                                }
                                ui.end_row();
                                for (label, row) in
                                    m.confusion.labels.iter().zip(&m.confusion.matrix)
                                {
                                    ui.strong(label);
                                    for v in row {
                                        ui.label(v.to_string());
                                    }
                                    ui.end_row();
                                }
                            });
                    });
            }
        });
}
