//! The notice after an edit or an undo ("Relabeled test_00474: Shirt -> T-shirt/top. Ctrl+Z
//! undoes"), shown for a few seconds at the bottom of the window.

use std::time::Duration;

use super::super::session::Session;

/// How long a notice stays.
pub const TOAST_SECS: f32 = 4.0;

/// Draws the session's notice while it is fresh.
pub fn toast_ui(ctx: &egui::Context, s: &Session) {
    let Some((text, when)) = &s.messages.toast else {
        return;
    };
    let age = when.elapsed().as_secs_f32();
    if age > TOAST_SECS {
        return;
    }
    egui::Area::new(egui::Id::unique("toast"))
        .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -24.0])
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.label(text);
            });
        });
    ctx.request_repaint_after(Duration::from_secs_f32(TOAST_SECS - age + 0.05));
}
