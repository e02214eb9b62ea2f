//! The detail view's problems: each finding of the sample with its one-key action, and a copy
//! shown beside the image it copies.

use egui::{Color32, Rect};

use super::super::commands::AppCommand;
use super::super::session::Session;

/// The sample's findings with their one-key actions.
pub fn findings_ui(
    ui: &mut egui::Ui,
    s: &Session,
    i: usize,
    thumbs: &mut super::super::thumbnails::Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    let findings: Vec<_> = s.problems.index.of(i).collect();
    if findings.is_empty() {
        return;
    }
    ui.strong("Problems");
    for f in findings {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(Color32::from_rgb(200, 120, 230), f.kind.title());
            let in_queue = s
                .problems
                .quality
                .as_ref()
                .and_then(|q| q.entry(i))
                .is_some();
            if f.kind == crate::problems::FindingKind::Label && in_queue {
                // The review queue's line above gives the evidence.
                ui.label("flagged by confident learning");
            } else {
                ui.label(&f.detail);
            }
        });
        use crate::problems::FindingKind;
        let action = match (f.kind, f.suggested) {
            (FindingKind::Label, Some(c)) => Some((
                format!("Relabel to {} (A)", s.ws.dataset.class_name(c)),
                AppCommand::AcceptSuggestion,
            )),
            (FindingKind::Text, _) => Some((
                "Exclude as watermark/text (W)".to_string(),
                AppCommand::ExcludeAs("watermark/text".into()),
            )),
            (FindingKind::Duplicate, _) => Some((
                "Exclude as duplicate (D)".to_string(),
                AppCommand::ExcludeAs("duplicate".into()),
            )),
            _ => None,
        };
        if let Some(other) = f.other {
            pair_ui(ui, s, i, other, thumbs, out);
        }
        if let Some((text, cmd)) = action
            && ui.button(text).clicked()
        {
            out.push(cmd);
        }
    }
    if s.problems.index.has(i, crate::problems::FindingKind::Label) {
        for n in &s.problems.label_notes {
            ui.colored_label(ui.visuals().warn_fg_color, n);
        }
    }
}

/// A copy beside the image it copies, to compare at a glance; a click opens the other one.
fn pair_ui(
    ui: &mut egui::Ui,
    s: &Session,
    i: usize,
    other: usize,
    thumbs: &mut super::super::thumbnails::Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    let side = 96.0;
    thumbs.also_want([i, other].map(|k| (k, s.ws.dataset.samples[k].path.clone())));
    ui.horizontal(|ui| {
        for (k, caption) in [(i, "this one"), (other, "the one it copies")] {
            ui.vertical(|ui| {
                let (rect, resp) =
                    ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::click());
                match thumbs.get(k) {
                    Some(tex) => {
                        let ts = tex.size_vec2();
                        let scale = (side / ts.x).min(side / ts.y);
                        egui::Image::new((tex.id(), ts * scale))
                            .paint_at(ui, Rect::from_center_size(rect.center(), ts * scale));
                    }
                    None => {
                        ui.painter()
                            .rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
                    }
                }
                let name = &s.ws.dataset.samples[k].id.0;
                let resp = resp.on_hover_text(name);
                if k != i && resp.clicked() {
                    out.push(AppCommand::ShowSample(k));
                }
                ui.small(caption);
            });
        }
    });
}
