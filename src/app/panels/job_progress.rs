//! The one progress widget of the window: a job's bar with what it is doing and a Cancel
//! button, the same for predictions, the image checks, the embedding analysis, maps, the
//! comparison model, the embedding model, exports and training.

use std::time::Duration;

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

/// Draws `control`'s progress as a bar `width` wide reading `text` (the default text when
/// `None`) and a Cancel button hovering `cancel_hover`; keeps the window repainting while it
/// is shown. Returns whether Cancel was clicked.
pub fn job_progress_ui(
    ui: &mut egui::Ui,
    control: &JobControl,
    text: Option<String>,
    width: f32,
    cancel_hover: &str,
) -> bool {
    let p = control.progress();
    let text = text.unwrap_or_else(|| default_text(control, &p));
    ui.add(
        egui::ProgressBar::new(p.fraction())
            .desired_width(width)
            .text(text),
    );
    let cancel = ui.button("Cancel").on_hover_text(cancel_hover).clicked();
    ui.ctx().request_repaint_after(Duration::from_millis(100));
    cancel
}
