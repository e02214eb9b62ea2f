//! The "Train a head" window: options, progress and cancel, the train/validation loss curves
//! drawn live, the before/after table on the same validation samples, and writing the model.

use egui::{Color32, Pos2, Stroke, vec2};

use super::super::commands::AppCommand;
use super::super::session::Session;
use super::super::train_job::TrainDialog;
use crate::head::CurvePoint;

const CLEANED: Color32 = Color32::from_rgb(90, 160, 240);
const ORIGINAL: Color32 = Color32::from_rgb(170, 170, 170);

/// Draws the dialog.
pub fn train_ui(ctx: &egui::Context, d: &mut TrainDialog, s: &Session, out: &mut Vec<AppCommand>) {
    let mut open = true;
    egui::Window::new("Train a head")
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            ui.label(
                "A new classifier head (softmax regression) on the model's embeddings, trained \
                 on the current labels of the train split and compared on the held-out split.",
            );
            let running = d.job.is_some();
            ui.add_enabled_ui(!running, |ui| options_ui(ui, d));
            ui.horizontal(|ui| {
                if let Some(job) = &d.job {
                    let hover = "Stop training; nothing is written";
                    if super::job_progress::job_progress_ui(ui, &job.control, None, 260.0, hover) {
                        out.push(AppCommand::CancelTrain);
                    }
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
            if let Some(done) = &d.done {
                results_ui(ui, done, s);
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
            ui.label("C (inverse L2)");
            ui.add(
                egui::DragValue::new(&mut d.c)
                    .range(0.0001..=1000.0)
                    .speed(0.01),
            );
            ui.end_row();
        });
    ui.checkbox(&mut d.keep_splits, "Keep the dataset's own train/val split");
    ui.checkbox(&mut d.balanced, "Weigh classes by inverse frequency");
    ui.checkbox(
        &mut d.compare,
        "Also train on the original labels (what cleaning bought)",
    );
}

/// Train (solid) and validation (thin) loss per iteration, cleaned labels in blue, original in
/// grey.
fn curve_ui(ui: &mut egui::Ui, curves: &[Vec<CurvePoint>; 2]) {
    let (rect, _) = ui.allocate_exact_size(
        vec2(ui.available_width().min(520.0), 140.0),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
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
    let at = |it: usize, loss: f64| {
        Pos2::new(
            rect.left() + 4.0 + (rect.width() - 8.0) * it as f32 / max_it,
            rect.bottom() - 4.0 - (rect.height() - 18.0) * (loss as f32 / max_loss),
        )
    };
    for (curve, colour) in [(&curves[1], ORIGINAL), (&curves[0], CLEANED)] {
        let train: Vec<Pos2> = curve
            .iter()
            .map(|p| at(p.iteration, p.train_loss))
            .collect();
        let val: Vec<Pos2> = curve
            .iter()
            .filter_map(|p| Some(at(p.iteration, p.val_loss?)))
            .collect();
        painter.add(egui::Shape::line(train, Stroke::new(2.0, colour)));
        painter.add(egui::Shape::dashed_line(
            &val,
            Stroke::new(1.0, colour),
            4.0,
            3.0,
        ));
    }
    painter.text(
        rect.left_top() + vec2(6.0, 2.0),
        egui::Align2::LEFT_TOP,
        format!(
            "loss (max {max_loss:.2}) over {} iterations: solid train, dashed validation; blue cleaned, grey original labels",
            max_it as usize
        ),
        egui::FontId::proportional(11.0),
        ui.visuals().weak_text_color(),
    );
}

fn results_ui(ui: &mut egui::Ui, done: &super::super::train_job::TrainDone, s: &Session) {
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
                for c in &s.dataset.classes {
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
}
