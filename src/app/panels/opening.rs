//! What the window shows while a dataset opens: its path, the seconds so far and a button to
//! stop waiting (in the middle of the window when nothing is open, else in a small window over
//! the open dataset, which stays usable).

use std::path::Path;
use std::time::Duration;

use crate::app::commands::AppCommand;

/// The opening notice, in `ui`.
pub fn opening_ui(ui: &mut egui::Ui, path: &Path, elapsed: Duration, out: &mut Vec<AppCommand>) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(format!(
            "Opening {} … {:.0} s (listing every image file)",
            path.display(),
            elapsed.as_secs_f32().floor()
        ));
        if ui
            .button("Stop")
            .on_hover_text("Stop waiting; nothing has been written")
            .clicked()
        {
            out.push(AppCommand::CancelOpen);
        }
    });
}

/// The opening notice as a small window over an open dataset.
pub fn opening_window(
    ctx: &egui::Context,
    path: &Path,
    elapsed: Duration,
    out: &mut Vec<AppCommand>,
) {
    egui::Window::new("Opening")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| opening_ui(ui, path, elapsed, out));
}
