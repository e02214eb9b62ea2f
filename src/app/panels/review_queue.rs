//! The label-quality review queue in the window: the selected sample's place in the queue and
//! why (detail view), and the progress of the ranking with a cancel button (filter bar).

use egui::Color32;

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::session::Session;
use super::job_progress::{default_text, job_progress_ui};

/// "Review queue #3 of 1,212", the suggestion, the evidence and the one-key relabel, for a
/// sample in the queue.
pub fn entry_ui(ui: &mut egui::Ui, s: &Session, i: usize, out: &mut Vec<AppCommand>) {
    let Some(q) = &s.problems.quality else { return };
    let Some(e) = q.entry(i) else { return };
    let name = |c| s.ws.dataset.class_name(c).to_string();
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("Review queue #{} of {}", e.rank, q.queue.len()))
            .on_hover_text(
                "Every labelled sample ranked by how likely its label is wrong (Most suspicious \
             first sorts the gallery this way). Q opens the next one, Shift+Q the previous.",
            );
        let colour = if e.flagged {
            Color32::from_rgb(200, 120, 230)
        } else {
            ui.visuals().weak_text_color()
        };
        ui.colored_label(
            colour,
            format!(
                "p({}) = {:.2}{}",
                name(e.label),
                e.score,
                if e.flagged { ", flagged" } else { "" }
            ),
        );
    });
    let sources: Vec<&str> = q.sources.iter().map(|x| x.name()).collect();
    ui.label(e.evidence(name))
        .on_hover_text(format!("Evidence from {}", sources.join(" + ")));
    if !e.flagged
        && s.offered_suggestion(i) == Some(e.suggested)
        && ui
            .button(format!("Relabel to {} (A)", name(e.suggested)))
            .clicked()
    {
        out.push(AppCommand::AcceptSuggestion);
    }
}

/// "Ranking labels: linear probe 3/5" with Cancel while the embedding analysis runs.
pub fn progress_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    let hover = "Stop ranking (it runs again after the next edit)";
    let text = |c: &_, p: &_| format!("Ranking labels: {}", default_text(c, p));
    job_progress_ui(ui, &s.jobs, JobKind::Analysis, 220.0, hover, text, out);
}
