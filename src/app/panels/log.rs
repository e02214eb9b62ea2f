//! View > Log: the session's warnings and errors with their times, the log file's path, Copy.

use super::super::commands::AppCommand;
use crate::app::session::parts::log::{Level, SessionLog};

/// Draws the log window.
pub fn log_ui(ctx: &egui::Context, log: &SessionLog, out: &mut Vec<AppCommand>) {
    let mut open = true;
    egui::Window::new("Log")
        .open(&mut open)
        .default_size([640.0, 320.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                match (&log.file, &log.file_error) {
                    (_, Some(e)) => {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    (Some(f), None) => {
                        ui.label(format!("Also written to {}", f.display()));
                    }
                    (None, None) => {
                        ui.weak("Not written to a file (no writable state folder).");
                    }
                }
                if ui.button("Copy all").clicked() {
                    ui.ctx().copy_text(log.text());
                }
            });
            ui.separator();
            if log.entries.is_empty() {
                ui.weak("Nothing to report.");
            }
            egui::ScrollArea::vertical()
                .stick_to_bottom(true)
                .show(ui, |ui| {
                    for e in &log.entries {
                        ui.horizontal_wrapped(|ui| {
                            ui.weak(&e.time);
                            match e.level {
                                Level::Error => {
                                    ui.colored_label(ui.visuals().error_fg_color, &e.text);
                                }
                                Level::Warning => {
                                    ui.colored_label(ui.visuals().warn_fg_color, &e.text);
                                }
                            }
                        });
                    }
                });
        });
    if !open {
        out.push(AppCommand::ToggleLog);
    }
}
