//! The metrics panel's resolution trade-off: the current model with every image first lowered
//! to each longest side typed here, added to the comparison (accuracy with its interval, ECE,
//! McNemar against the main predictions, the image as it is).

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::session::Session;

/// The sides typed, or why they cannot be read.
pub fn parse_sides(text: &str) -> Result<Vec<u32>, String> {
    text.split([',', ' '])
        .filter(|t| !t.trim().is_empty())
        .map(|t| match t.trim().parse::<u32>() {
            Ok(v) if (1..=65_536).contains(&v) => Ok(v),
            _ => Err(format!("`{}` is not a side in pixels", t.trim())),
        })
        .collect()
}

/// Draws the resolution trade-off row.
pub fn resolutions_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    if s.predictions.model.is_none() {
        return;
    }
    ui.strong("Resolution trade-off");
    let id = ui.scope_id().with("resolution_sides");
    let mut text: String = ui.data(|d| d.get_temp(id)).unwrap_or_else(|| {
        // Half, once and twice the model's input size: a capture setting around what it sees.
        let side = s
            .predictions
            .model
            .as_ref()
            .map_or(224, |m| m.spec.input.width.max(m.spec.input.height));
        format!("{}, {side}, {}", side / 2, side * 2)
    });
    let parsed = parse_sides(&text);
    ui.horizontal(|ui| {
        ui.label("Longest sides");
        ui.add(egui::TextEdit::singleline(&mut text).desired_width(110.0))
            .on_hover_text("Each image lowered to this longest side (Pillow's bilinear resize) before the model's own preprocessing: what a lower capture resolution gives");
        let can = parsed.as_ref().is_ok_and(|v| !v.is_empty())
            && !s.jobs.is_running(JobKind::Compare)
            && !s.jobs.is_running(JobKind::Predict);
        if ui
            .add_enabled(can, egui::Button::new("Compare"))
            .on_hover_text("Adds one set per side to the comparison above, each image decoded once")
            .clicked()
            && let Ok(sides) = &parsed
        {
            out.push(AppCommand::CompareResolutions(sides.clone()));
        }
    });
    if let Err(e) = &parsed {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.data_mut(|d| d.insert_temp(id, text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_read_from_a_list() {
        assert_eq!(parse_sides("14, 28 56"), Ok(vec![14, 28, 56]));
        assert!(parse_sides("14, full").is_err());
        assert_eq!(parse_sides(""), Ok(vec![]));
    }
}
