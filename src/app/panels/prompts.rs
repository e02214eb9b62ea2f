//! Small modal prompts: the exclusion reason (`X`), a tag (`T`), the label quick-pick (`L`, typed
//! by name, for datasets with more than ten classes) and the confirmation of bulk edits.

use egui::Key;

use super::super::Prompt;
use super::super::commands::AppCommand;
use super::super::keys::DIGIT_KEYS;
use super::super::session::Session;
use crate::curation::Action;
use crate::dataset::ClassId;

/// Exclusion reasons offered by the `X` prompt.
pub const EXCLUDE_REASONS: &[&str] = &[
    "watermark/text",
    "not a valid sample",
    "ambiguous",
    "duplicate",
    "corrupt",
];

/// Draws the open prompt; Esc or the close button cancels it.
pub fn prompt_ui(ctx: &egui::Context, prompt: &mut Prompt, s: &Session, out: &mut Vec<AppCommand>) {
    let n = s.view.edit_target_count();
    let what = if n == 1 {
        "the selected sample".to_string()
    } else {
        format!("{n} marked samples")
    };
    let title = match prompt {
        Prompt::Exclude => "Exclude: why?",
        Prompt::Tag(_) => "Tag",
        Prompt::Relabel(_) => "Relabel to…",
        Prompt::Confirm(..) => "Apply to many samples?",
        Prompt::Vlm { .. } => "Classify with a VLM endpoint",
    };
    let mut open = true;
    egui::Window::new(title)
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| match prompt {
            Prompt::Exclude => exclude_ui(ui, &what, out),
            Prompt::Tag(text) => tag_ui(ui, s, text, &what, out),
            Prompt::Relabel(text) => relabel_ui(ui, s, text, &what, out),
            Prompt::Confirm(action, n) => confirm_ui(ui, action, *n, out),
            Prompt::Vlm {
                endpoint,
                model,
                continuation,
            } => super::vlm::vlm_ui(ui, endpoint, model, continuation, out),
        });
    if !open || ctx.input(|i| i.key_pressed(Key::Escape)) {
        out.push(AppCommand::ClosePrompt);
    }
}

fn exclude_ui(ui: &mut egui::Ui, what: &str, out: &mut Vec<AppCommand>) {
    ui.label(format!("Exclude {what}."));
    ui.label("The reason is remembered: X excludes with it until you pick another here.");
    for (k, reason) in EXCLUDE_REASONS.iter().enumerate() {
        let key_hit = ui.input(|i| i.key_pressed(DIGIT_KEYS[k])) && !ui.ctx().text_edit_focused();
        if ui.button(format!("{}  {reason}", k + 1)).clicked() || key_hit {
            out.push(AppCommand::Exclude((*reason).to_string()));
        }
    }
    let id = ui.make_persistent_id("free-reason");
    let mut text: String = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    ui.horizontal(|ui| {
        let l = ui.label("Other reason");
        let r = ui.text_edit_singleline(&mut text).labelled_by(l.id);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if (ui.button("Exclude").clicked() || enter) && !text.trim().is_empty() {
            out.push(AppCommand::Exclude(text.trim().to_string()));
            text.clear();
        }
    });
    ui.data_mut(|d| d.insert_temp(id, text));
}

fn tag_ui(
    ui: &mut egui::Ui,
    s: &Session,
    text: &mut String,
    what: &str,
    out: &mut Vec<AppCommand>,
) {
    ui.label(format!("Add a tag to {what}."));
    let (tags, _) = s.curation.tags_and_reasons();
    let l = ui.label("Tag");
    let r = ui.text_edit_singleline(text).labelled_by(l.id);
    if !r.has_focus() && !r.lost_focus() {
        r.request_focus();
    }
    if r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && !text.trim().is_empty() {
        out.push(AppCommand::AddTag(text.clone()));
    }
    if !tags.is_empty() {
        ui.weak("Tags in use:");
        ui.horizontal_wrapped(|ui| {
            for t in tags.iter().filter(|t| t.contains(text.trim())) {
                if ui.button(t).clicked() {
                    out.push(AppCommand::AddTag(t.clone()));
                }
            }
        });
    }
}

/// Classes whose name contains `query` (case-insensitive), in dataset order; names starting
/// with it come first.
pub fn matching_classes(classes: &[String], query: &str) -> Vec<ClassId> {
    let q = query.trim().to_lowercase();
    let mut hits: Vec<(bool, usize)> = classes
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let c = c.to_lowercase();
            c.contains(&q).then_some((!c.starts_with(&q), k))
        })
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, k)| ClassId(k as u32)).collect()
}

fn relabel_ui(
    ui: &mut egui::Ui,
    s: &Session,
    text: &mut String,
    what: &str,
    out: &mut Vec<AppCommand>,
) {
    ui.label(format!(
        "Relabel {what}: type part of a label, Enter picks the first match."
    ));
    let l = ui.label("Label");
    let r = ui.text_edit_singleline(text).labelled_by(l.id);
    if !r.has_focus() && !r.lost_focus() {
        r.request_focus();
    }
    let hits = matching_classes(&s.ws.dataset.classes, text);
    if r.lost_focus()
        && ui.input(|i| i.key_pressed(Key::Enter))
        && let Some(&c) = hits.first()
    {
        out.push(AppCommand::Relabel(c));
    }
    egui::ScrollArea::vertical()
        .max_height(320.0)
        .show(ui, |ui| {
            for (k, &c) in hits.iter().enumerate() {
                let name = s.ws.dataset.class_name(c);
                let text = if k == 0 {
                    format!("{name}  (Enter)")
                } else {
                    name.to_string()
                };
                if ui.button(text).clicked() {
                    out.push(AppCommand::Relabel(c));
                }
            }
            if hits.is_empty() {
                ui.weak("No label matches.");
            }
        });
}

fn confirm_ui(ui: &mut egui::Ui, action: &Action, n: usize, out: &mut Vec<AppCommand>) {
    ui.label(format!(
        "{} on {n} samples? (one undo step)",
        describe(action)
    ));
    ui.horizontal(|ui| {
        if ui.button("Apply (Enter)").clicked() || ui.input(|i| i.key_pressed(Key::Enter)) {
            out.push(AppCommand::ConfirmEdit);
        }
        if ui.button("Cancel (Esc)").clicked() {
            out.push(AppCommand::ClosePrompt);
        }
    });
}

/// A short description of an edit action.
pub fn describe(action: &Action) -> String {
    match action {
        Action::Relabel { label: Some(l) } => format!("relabel to {l}"),
        Action::Relabel { label: None } => "restore the original label".into(),
        Action::Exclude { reason } => format!("exclude ({reason})"),
        Action::Include => "include again".into(),
        Action::AddTag { tag } => format!("tag {tag}"),
        Action::RemoveTag { tag } => format!("remove tag {tag}"),
        Action::Add { label: Some(l) } => format!("add as {l}"),
        Action::Add { label: None } => "add as a negative".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_pick_matches_case_insensitively_with_prefixes_first() {
        let classes: Vec<String> = ["T-shirt/top", "Shirt", "Sneaker", "Bag"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            matching_classes(&classes, "SHI"),
            vec![ClassId(1), ClassId(0)]
        );
        assert_eq!(matching_classes(&classes, "bag"), vec![ClassId(3)]);
        assert!(matching_classes(&classes, "dog").is_empty());
        assert_eq!(matching_classes(&classes, "").len(), 4);
    }
}
