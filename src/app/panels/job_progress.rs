//! The one progress widget of the window: a job's bar with what it is doing and a Cancel
//! button, the same for predictions, the image checks, the embedding analysis, maps, the
//! comparison model, the embedding model, exports and training.

use std::time::Duration;

use super::super::commands::AppCommand;
use super::super::jobs::{JobKind, Jobs};
use crate::jobs::{JobControl, Progress};

/// What the bar of a job says by default: "stage: 12/300", or the stage alone when the job
/// does not count items.
pub fn default_text(control: &JobControl, p: &Progress) -> String {
    let stage = control.stage();
    let stage = if stage.is_empty() {
        "working"
    } else {
        stage.as_str()
    };
    if p.num_total > 1 {
        format!("{stage}: {}/{}", p.num_done, p.num_total)
    } else {
        format!("{stage}…")
    }
}

/// Draws the progress of the job of `kind`, when it runs: a bar `width` wide reading what
/// `text` says of it (see [`default_text`]) and a Cancel button hovering `cancel_hover` that
/// pushes [`AppCommand::Cancel`]; keeps the window repainting while shown. Returns whether it
/// was drawn.
pub fn job_progress_ui(
    ui: &mut egui::Ui,
    jobs: &Jobs,
    kind: JobKind,
    width: f32,
    cancel_hover: &str,
    text: impl FnOnce(&JobControl, &Progress) -> String,
    out: &mut Vec<AppCommand>,
) -> bool {
    let Some(control) = jobs.control(kind) else {
        return false;
    };
    let p = control.progress();
    let text = text(control, &p);
    // The bar is at least as wide as what it says (the text is drawn over it, never past it),
    // and no wider than the room left beside the Cancel button.
    let font = egui::TextStyle::Body.resolve(ui.style());
    let said = ui
        .painter()
        .layout_no_wrap(text.clone(), font, egui::Color32::WHITE)
        .size()
        .x;
    let room = (ui.available_width() - 70.0).max(width);
    ui.add(
        egui::ProgressBar::new(p.fraction())
            .desired_width(width.max(said + 24.0).min(room))
            .text(text),
    );
    if ui.button("Cancel").on_hover_text(cancel_hover).clicked() {
        out.push(AppCommand::Cancel(kind));
    }
    ui.ctx().request_repaint_after(Duration::from_millis(100));
    true
}
