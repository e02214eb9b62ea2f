//! The one progress widget of the window: a job's bar with what it is doing and a Cancel
//! button, the same for predictions, the image checks, the embedding analysis, maps, the
//! comparison model, the embedding model, exports and training.

use std::time::Duration;

use super::super::commands::AppCommand;
use super::super::jobs::{JobKind, Jobs};
use crate::jobs::{JobControl, Progress};

/// The narrowest a bar gets when its row is short: its text is then cut to fit.
const MIN_BAR_WIDTH: f32 = 60.0;

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
    // The bar is at least `width` and as wide as what it says, but never wider than the room
    // left beside the Cancel button: where the row is short, the text is cut with "…" (whole
    // on hover) rather than the bar and the button running past the window's edge.
    let spacing = ui.spacing().clone();
    let font = egui::TextStyle::Button.resolve(ui.style());
    let cancel = ui
        .painter()
        .layout_no_wrap("Cancel".into(), font.clone(), egui::Color32::PLACEHOLDER)
        .size()
        .x
        + 2.0 * spacing.button_padding.x
        + spacing.item_spacing.x;
    let room = ui.available_width() - cancel;
    if room < MIN_BAR_WIDTH {
        // No room for a bar that says anything: a spinner, the text on hover.
        ui.add(egui::Spinner::new()).on_hover_text(text);
    } else {
        bar_ui(ui, p.fraction(), width.min(room), room, text, font);
    }
    if ui.button("Cancel").on_hover_text(cancel_hover).clicked() {
        out.push(AppCommand::Cancel(kind));
    }
    ui.ctx().request_repaint_after(Duration::from_millis(100));
    true
}

/// A bar at least `width` wide and as wide as `text` in `font`, but no wider than `room`; the
/// text is cut with "…" to fit, whole on hover.
fn bar_ui(
    ui: &mut egui::Ui,
    fraction: f32,
    width: f32,
    room: f32,
    text: String,
    font: egui::FontId,
) {
    let layout = |max_width: f32| {
        let mut job = egui::text::LayoutJob::single_section(
            text.clone(),
            egui::TextFormat::simple(font.clone(), egui::Color32::PLACEHOLDER),
        );
        job.wrap = egui::text::TextWrapping::truncate_at_width(max_width);
        ui.painter().layout_job(job)
    };
    // The bar draws its text `item_spacing.x` in from its left edge.
    let inset = 2.0 * ui.spacing().item_spacing.x;
    let whole = layout(f32::INFINITY);
    let bar_width = width.max(whole.size().x + inset).min(room);
    let shown = if whole.size().x + inset > bar_width {
        layout(bar_width - inset)
    } else {
        whole
    };
    let cut = shown.elided;
    let bar = ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(bar_width)
            .text(shown),
    );
    if cut {
        bar.on_hover_text(text);
    }
}
