//! The metrics panel's calibration section: fit a temperature to the shown predictions, the
//! figures and reliability diagrams before and after, use the calibrated confidences, save a
//! calibrated copy of the model's spec.

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::session::Session;
use crate::workspace::CalibrationOutcome;

/// Draws the calibration section.
pub fn calibration_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    let c = &s.predictions.calibration;
    ui.strong("Calibration");
    let running = s.jobs.is_running(JobKind::Calibrate);
    let busy = running || s.jobs.is_running(JobKind::Predict);
    ui.horizontal(|ui| {
        let label = if c.outcome.is_some() {
            "Calibrate again"
        } else {
            "Calibrate (fit a temperature)"
        };
        if ui
            .add_enabled(!busy, egui::Button::new(label))
            .on_hover_text(
                "Temperature scaling: one number T divides every label's log-probability, \
                 chosen to minimise the negative log-likelihood of the labels (on the `val` \
                 split when the dataset has one, else on every labelled sample). Predicted \
                 labels never change; confidences become honest.",
            )
            .clicked()
        {
            out.push(AppCommand::Calibrate);
        }
        if running {
            ui.spinner();
        }
    });
    match &c.outcome {
        None => {}
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        Some(Ok(o)) => outcome_ui(ui, s, o, out),
    }
}

fn outcome_ui(ui: &mut egui::Ui, s: &Session, o: &CalibrationOutcome, out: &mut Vec<AppCommand>) {
    let c = &o.calibration;
    let on = match &o.split {
        Some(split) => format!(" of the `{split}` split"),
        None => " (no validation split: in-sample figures)".into(),
    };
    ui.label(format!(
        "T = {:.3}, fitted on {} labelled samples{on}",
        c.temperature, c.before.n
    ));
    if c.fit.at_bound {
        ui.weak("(at the bound of the search: the labels give no finite optimum)");
    }
    if c.after.ece > c.before.ece {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "The fit lowered the NLL but raised the ECE. Mislabelled images the model is sure of \
             pull every confidence down: review the labels first, then calibrate (best on a \
             held-out split).",
        );
    }
    egui::Grid::new("calibration_figures")
        .num_columns(3)
        .spacing([16.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            ui.strong("before");
            ui.strong("after");
            ui.end_row();
            for (name, b, a) in [
                ("NLL", c.before.nll, c.after.nll),
                ("ECE", c.before.ece, c.after.ece),
            ] {
                ui.label(name);
                ui.label(format!("{b:.4}"));
                ui.label(format!("{a:.4}"));
                ui.end_row();
            }
            ui.label("mean confidence");
            ui.label(format!("{:.1}%", c.before.mean_confidence * 100.0));
            ui.label(format!("{:.1}%", c.after.mean_confidence * 100.0));
            ui.end_row();
            ui.label("accuracy");
            ui.label(format!("{:.1}%", c.before.accuracy * 100.0));
            ui.label(format!("{:.1}%", c.after.accuracy * 100.0));
            ui.end_row();
        });
    ui.columns(2, |cols| {
        super::charts::reliability_ui(&mut cols[0], "Before", &c.before.bins, c.before.ece);
        super::charts::reliability_ui(&mut cols[1], "After", &c.after.bins, c.after.ece);
    });
    let applied = s.predictions.calibration.applied.is_some();
    ui.horizontal_wrapped(|ui| {
        if applied {
            ui.label(format!("Showing confidences at T = {:.3}.", c.temperature));
            if ui.button("Use the model's own").clicked() {
                out.push(AppCommand::UseCalibration(false));
            }
        } else if ui
            .button("Use the calibrated confidences")
            .on_hover_text(
                "The gallery, metrics, review queue and later runs of this session use T",
            )
            .clicked()
        {
            out.push(AppCommand::UseCalibration(true));
        }
    });
    if s.predictions.model.is_none() {
        return;
    }
    let id = ui.scope_id().with("calibrated_spec_path");
    let mut path: String = ui
        .data(|d| d.get_temp(id))
        .unwrap_or_else(|| s.predictions.calibration.save_to.clone());
    ui.horizontal(|ui| {
        ui.add(egui::TextEdit::singleline(&mut path).desired_width(ui.available_width() - 60.0))
            .on_hover_text("A new spec file: the same model with this temperature");
        if ui.button("Save").clicked() && !path.trim().is_empty() {
            out.push(AppCommand::SaveCalibratedSpec(path.trim().into()));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, path));
    match &s.predictions.calibration.saved {
        Some(Ok(p)) => {
            ui.weak(format!("wrote {p}"));
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        None => {}
    }
}
