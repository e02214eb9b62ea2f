//! The confusion matrix as a clickable heatmap: counts in cells (or row-normalised shares),
//! `other`/`unparsed` columns when present; clicking a cell filters the gallery to exactly those
//! samples.

use egui::{Align2, Color32, FontId, Rect, Role, Sense, Vec2, WidgetInfo, pos2, vec2};

use super::super::commands::AppCommand;
use super::super::sample_query::Filter;
use crate::dataset::ClassId;
use crate::eval::ConfusionMatrix;

/// Accessible label of a confusion cell (also what UI tests look for).
pub fn cell_label(true_label: &str, predicted_label: &str, count: u64) -> String {
    format!("true {true_label}, predicted {predicted_label}: {count}")
}

/// Draws the matrix. `normalise` toggles row-normalised shares.
pub fn confusion_ui(
    ui: &mut egui::Ui,
    cm: &ConfusionMatrix,
    filter: &Filter,
    normalise: &mut bool,
    out: &mut Vec<AppCommand>,
) {
    ui.horizontal(|ui| {
        ui.strong("Confusion matrix");
        ui.checkbox(normalise, "Row-normalised")
            .on_hover_text("Show each row as shares of the true class");
    });
    ui.weak("Rows: true label · columns: predicted. Click a cell to filter the gallery.");
    let n_rows = cm.labels.len();
    let n_cols = cm.predicted_labels.len();
    if n_rows == 0 || n_cols == 0 {
        return;
    }
    let label_w = 92.0;
    let header_h = 18.0;
    let cell = ((ui.available_width() - label_w - 4.0) / n_cols as f32).clamp(14.0, 46.0);
    let (rect, _) = ui.allocate_exact_size(
        vec2(
            label_w + cell * n_cols as f32,
            header_h + cell * n_rows as f32,
        ),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect.expand(2.0));
    let font = FontId::proportional(if cell < 24.0 { 8.5 } else { 10.5 });
    let text_color = ui.visuals().text_color();
    let shorts = unique_abbreviations(&cm.predicted_labels, if cell < 24.0 { 2 } else { 4 });
    for (c, (name, short)) in cm.predicted_labels.iter().zip(shorts).enumerate() {
        let x = rect.left() + label_w + (c as f32 + 0.5) * cell;
        painter.text(
            pos2(x, rect.top() + header_h * 0.5),
            Align2::CENTER_CENTER,
            short,
            font.clone(),
            text_color,
        );
        // The full name on hover.
        let header =
            Rect::from_center_size(pos2(x, rect.top() + header_h * 0.5), vec2(cell, header_h));
        ui.interact(header, ui.scope_id().with(("cm_header", c)), Sense::hover())
            .on_hover_text(format!("predicted {name}"));
    }
    let max = cm
        .matrix
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    for (r, row) in cm.matrix.iter().enumerate() {
        let y = rect.top() + header_h + r as f32 * cell;
        let name: String = cm.labels[r].chars().take(14).collect();
        painter.text(
            pos2(rect.left() + label_w - 4.0, y + cell * 0.5),
            Align2::RIGHT_CENTER,
            name,
            font.clone(),
            text_color,
        );
        let row_sum: u64 = row.iter().sum();
        for (c, &count) in row.iter().enumerate() {
            let cell_rect = Rect::from_min_size(
                pos2(rect.left() + label_w + c as f32 * cell, y),
                Vec2::splat(cell),
            )
            .shrink(0.5);
            let share = if *normalise {
                count as f32 / row_sum.max(1) as f32
            } else {
                count as f32 / max as f32
            };
            let base = if r == c {
                Color32::from_rgb(40, 140, 70)
            } else {
                Color32::from_rgb(200, 60, 50)
            };
            let fill = if count == 0 {
                ui.visuals().faint_bg_color
            } else {
                Color32::from_black_alpha(0).lerp_to_gamma(base, 0.15 + 0.85 * share.sqrt())
            };
            let id = ui.scope_id().with(("cm", r, c));
            let resp = ui.interact(cell_rect, id, Sense::click());
            let label = cell_label(&cm.labels[r], &cm.predicted_labels[c], count);
            resp.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
            let predicted = cm.predicted_of_column(c);
            let active = filter.true_class == Some(ClassId(r as u32))
                && filter.predicted == predicted
                && predicted.is_some();
            painter.rect_filled(cell_rect, 2.0, fill);
            if active || resp.hovered() {
                painter.rect_stroke(
                    cell_rect,
                    2.0,
                    egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
                    egui::StrokeKind::Inside,
                );
            }
            if cell >= 18.0 && count > 0 {
                let text = if *normalise {
                    // The % sign where it fits.
                    let pct = if cell >= 30.0 { "%" } else { "" };
                    format!("{:.0}{pct}", share * 100.0)
                } else {
                    count.to_string()
                };
                painter.text(
                    cell_rect.center(),
                    Align2::CENTER_CENTER,
                    text,
                    font.clone(),
                    Color32::WHITE,
                );
            }
            let resp = resp.on_hover_text(format!(
                "{label} ({:.1}% of the true {})",
                100.0 * count as f32 / row_sum.max(1) as f32,
                cm.labels[r]
            ));
            if resp.clicked() {
                resp.surrender_focus();
                let f = if active {
                    Filter::default()
                } else {
                    Filter {
                        true_class: Some(ClassId(r as u32)),
                        predicted,
                        ..Filter::default()
                    }
                };
                out.push(AppCommand::SetFilter(f));
            }
        }
    }
}

/// Prefixes of `names` at least `len` characters long (longer where two would clash); names
/// that only differ past their prefix are numbered instead ("1", "2", ...).
pub fn unique_abbreviations(names: &[String], len: usize) -> Vec<String> {
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for k in len..=longest.max(len) {
        let shorts: Vec<String> = names.iter().map(|n| n.chars().take(k).collect()).collect();
        let unique = shorts
            .iter()
            .enumerate()
            .all(|(i, a)| shorts.iter().skip(i + 1).all(|b| a != b));
        if unique && k <= len + 3 {
            return shorts;
        }
        if unique {
            break;
        }
    }
    (1..=names.len()).map(|i| i.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn abbreviations_stay_unique() {
        assert_eq!(
            unique_abbreviations(&names(&["Shirt", "Sandal", "Sneaker"]), 2),
            ["Sh", "Sa", "Sn"]
        );
        assert_eq!(
            unique_abbreviations(&names(&["Trouser", "T-shirt/top"]), 1),
            ["Tr", "T-"]
        );
        // Names alike for a long way are numbered.
        assert_eq!(
            unique_abbreviations(&names(&["class_dog_1", "class_dog_2"]), 2),
            ["1", "2"]
        );
    }
}
