//! The export dialog: target, fractions, seed, formats, link mode, balance; a preview of counts
//! per class per split; progress with Cancel while the export runs.

use super::super::commands::AppCommand;
use super::super::export_dialog::ExportDialog;
use super::super::file_pick::{Picked, classify};
use super::super::jobs::JobKind;
use super::super::session::Session;
use super::job_progress::{default_text, job_progress_ui};
use crate::export::{Balance, ExportFormat, LinkMode, Split};

/// Draws the export window.
pub fn export_ui(
    ctx: &egui::Context,
    d: &mut ExportDialog,
    s: &Session,
    out: &mut Vec<AppCommand>,
) {
    d.refresh_preview(s);
    let mut open = true;
    egui::Window::new("Export cleaned splits")
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            let running = s.jobs.is_running(JobKind::Export);
            ui.add_enabled_ui(!running, |ui| options_ui(ui, d, s));
            ui.separator();
            preview_ui(ui, d, s);
            ui.separator();
            match running {
                true => {
                    ui.horizontal(|ui| {
                        let hover = "Stop the export; nothing is written to the target";
                        job_progress_ui(ui, &s.jobs, JobKind::Export, 300.0, hover, default_text, out);
                    });
                }
                false => {
                    let invalid = d.invalid();
                    ui.horizontal(|ui| {
                        let b = ui.add_enabled(invalid.is_none(), egui::Button::new("Export"));
                        if b.clicked() {
                            out.push(AppCommand::StartExport);
                        }
                        if let Some(why) = invalid {
                            ui.colored_label(ui.visuals().warn_fg_color, why);
                        }
                    });
                }
            }
            match &d.result {
                Some(Ok(msg)) => {
                    ui.colored_label(egui::Color32::from_rgb(60, 170, 90), msg);
                    if ui
                        .button("Train a head on this export…")
                        .on_hover_text("The next step: a new classifier head on the model's embeddings with these labels and this split")
                        .clicked()
                    {
                        out.push(AppCommand::OpenTrainFromExport);
                    }
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => {}
            }
        });
    if !open {
        out.push(AppCommand::CloseExport);
    }
}

fn options_ui(ui: &mut egui::Ui, d: &mut ExportDialog, s: &Session) {
    egui::Grid::new("export-options")
        .num_columns(2)
        .show(ui, |ui| {
            let l = ui.label("Target folder");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut d.out).desired_width(340.0))
                    .labelled_by(l.id);
                if ui.button("Choose…").clicked() {
                    let started = std::time::Instant::now();
                    let answer = rfd::FileDialog::new()
                        .set_title("Export to folder")
                        .pick_folder();
                    match classify(answer, started.elapsed()) {
                        Picked::Path(p) => {
                            d.out = p.display().to_string();
                            d.no_dialog = false;
                        }
                        Picked::Unavailable => d.no_dialog = true,
                        Picked::Cancelled => {}
                    }
                }
            });
            ui.end_row();
            if d.no_dialog {
                ui.label("");
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "No folder dialog on this system (it needs xdg-desktop-portal): type the folder above.",
                );
                ui.end_row();
            }
            let l = ui.label("Validation fraction");
            ui.add(
                egui::DragValue::new(&mut d.val)
                    .range(0.0..=0.9)
                    .speed(0.01)
                    .fixed_decimals(2),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Test fraction");
            ui.add(
                egui::DragValue::new(&mut d.test)
                    .range(0.0..=0.9)
                    .speed(0.01)
                    .fixed_decimals(2),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Seed");
            ui.add(egui::DragValue::new(&mut d.seed)).labelled_by(l.id);
            ui.end_row();
            ui.label("Formats");
            ui.horizontal_wrapped(|ui| {
                for (k, f) in ExportFormat::ALL.iter().enumerate() {
                    ui.checkbox(&mut d.formats[k], f.name())
                        .on_hover_text(f.describe());
                }
            });
            ui.end_row();
            let l = ui.label("Images");
            egui::ComboBox::from_id_salt("export-link")
                .selected_text(link_text(d.link))
                .show_ui(ui, |ui| {
                    for m in [LinkMode::Copy, LinkMode::Hardlink, LinkMode::Symlink] {
                        ui.selectable_value(&mut d.link, m, link_text(m));
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Class balance");
            egui::ComboBox::from_id_salt("export-balance")
                .selected_text(balance_text(d.balance))
                .show_ui(ui, |ui| {
                    for b in [Balance::None, Balance::Oversample, Balance::Weights] {
                        ui.selectable_value(&mut d.balance, b, balance_text(b));
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            ui.label("Options");
            ui.vertical(|ui| {
                ui.checkbox(&mut d.keep_splits, "Keep the dataset's own splits");
                ui.checkbox(&mut d.duplicates, "Keep duplicate groups in one split");
                ui.checkbox(&mut d.probs, "Soft labels (prob_<label>) in manifests")
                    .on_hover_text("Each row's probability per class beside its label: prob_<label> columns in the CSV and Parquet manifests, a soft_labels list in the Parquet manifest, the VLM JSONL and the hf-parquet shards");
                if d.probs && s.model().is_some() {
                    ui.horizontal(|ui| {
                        ui.add_space(24.0);
                        let l = ui.label("from the model as teacher, temperature");
                        ui.add(
                            egui::DragValue::new(&mut d.temperature)
                                .range(0.05..=20.0)
                                .speed(0.05)
                                .max_decimals(2),
                        )
                        .labelled_by(l.id)
                        .on_hover_text("Divides the logits before the softmax: above 1 softens the teacher's probabilities (distillation), 1 keeps them");
                    });
                }
                ui.checkbox(&mut d.vlm_json, "VLM answers as JSON {\"label\": ...}");
                ui.checkbox(&mut d.force, "Replace an earlier export in this folder")
                    .on_hover_text("Only a folder holding nothing but files an earlier labelscope export wrote is replaced, once the new export is complete");
            });
            ui.end_row();
        });
}

fn preview_ui(ui: &mut egui::Ui, d: &ExportDialog, s: &Session) {
    let Some((_, _, plan)) = &d.preview else {
        return;
    };
    let counts = plan.counts(s.ws.dataset.classes.len());
    ui.strong("Preview (before duplicate grouping)");
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .show(ui, |ui| {
            egui::Grid::new("export-preview")
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("Class");
                    for sp in Split::ALL {
                        ui.strong(sp.name());
                    }
                    ui.end_row();
                    for (c, name) in s.ws.dataset.classes.iter().enumerate() {
                        ui.label(name);
                        for n in counts[c] {
                            ui.label(n.to_string());
                        }
                        ui.end_row();
                    }
                    ui.strong("Total");
                    for sp in Split::ALL {
                        ui.strong(plan.split_len(sp).to_string());
                    }
                    ui.end_row();
                });
        });
    ui.label(format!(
        "{} excluded (not exported), {} relabeled.",
        plan.excluded.len(),
        plan.relabeled.len()
    ));
}

fn link_text(m: LinkMode) -> &'static str {
    match m {
        LinkMode::Copy => "copy",
        LinkMode::Hardlink => "hard link (copy across drives)",
        LinkMode::Symlink => "symbolic link",
    }
}

fn balance_text(b: Balance) -> &'static str {
    match b {
        Balance::None => "as is",
        Balance::Oversample => "oversample minority classes in train",
        Balance::Weights => "write class weights",
    }
}
