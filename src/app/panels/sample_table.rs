//! The table view of samples (`G`): the gallery's samples, filter, order and selection as rows
//! (only the visible rows are laid out), with resizable columns, a sticky header that sorts by
//! any column (twice: the other way round), and the gallery's clicks and right-click menu.

use egui::{Align, Color32, RichText};
use egui_extras::{Column, TableBuilder};

use super::super::commands::AppCommand;
use super::super::keys::grid_shape_id;
use super::super::sample_query::{SortKey, label_of, loss};
use super::super::session::Session;
use crate::eval::Predicted;

/// The columns: header, the sort it picks, its first width.
const COLUMNS: [(&str, SortKey, f32); 8] = [
    ("File", SortKey::FileName, 200.0),
    ("Label", SortKey::Label, 90.0),
    ("Prediction", SortKey::Prediction, 90.0),
    ("Confidence", SortKey::ConfidenceDesc, 80.0),
    ("Loss", SortKey::LossDesc, 55.0),
    ("Suspicion", SortKey::LabelIssue, 75.0),
    ("Problems", SortKey::Problems, 160.0),
    ("Edits", SortKey::EditedFirst, 140.0),
];

const ROW_HEIGHT: f32 = 20.0;

/// Draws the table of the visible samples.
pub fn sample_table_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    // Arrow keys move one row; PageUp/PageDown one screen.
    let visible_rows = ((ui.available_height() / ROW_HEIGHT).floor() as usize).max(1);
    ui.data_mut(|d| d.insert_temp(grid_shape_id(), (1usize, visible_rows)));
    let last_id = ui.scope_id().with("table_last_cursor");
    let last: Option<usize> = ui.data(|d| d.get_temp(last_id)).flatten();
    ui.data_mut(|d| d.insert_temp(last_id, s.view.cursor));
    // Cells are not selectable text: a click on one is a click on its row.
    ui.style_mut().interaction.selectable_labels = false;
    // Wider than the view (the detail view open in a narrow window): scroll sideways.
    egui::ScrollArea::horizontal()
        .id_salt(("samples-h", &s.ws.dataset.root))
        .show(ui, |ui| table_ui(ui, s, last, out));
}

/// The table itself, in the horizontal scroll area.
fn table_ui(ui: &mut egui::Ui, s: &Session, last: Option<usize>, out: &mut Vec<AppCommand>) {
    let mut table = TableBuilder::new(ui)
        .id_salt(("samples", &s.ws.dataset.root))
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(Align::Center));
    for (k, (_, _, width)) in COLUMNS.iter().enumerate() {
        let column = if k + 1 == COLUMNS.len() {
            Column::remainder().at_least(60.0)
        } else {
            Column::initial(*width).at_least(40.0).clip(true)
        };
        table = table.column(column);
    }
    if s.view.cursor != last
        && let Some(c) = s.view.cursor
    {
        table = table.scroll_to_row(c, None);
    }
    table
        .header(ROW_HEIGHT + 4.0, |mut header| {
            for (name, key, _) in COLUMNS {
                header.col(|ui| header_ui(ui, s, name, key, out));
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, s.view.order.len(), |mut row| {
                let pos = row.index();
                let i = s.view.order[pos];
                row.set_selected(s.view.cursor == Some(pos) || s.view.marked.contains(&i));
                cells(&mut row, s, i);
                super::sample_menu::sample_clicks(&row.response(), s, i, pos, out);
            });
        });
}

/// A header: its name, an arrow on the sorting column, a click sorts.
fn header_ui(ui: &mut egui::Ui, s: &Session, name: &str, key: SortKey, out: &mut Vec<AppCommand>) {
    let current = s.view.sort == key
        || (key == SortKey::ConfidenceDesc && s.view.sort == SortKey::ConfidenceAsc);
    let clicked = ui
        .add(egui::Button::new(RichText::new(name).strong()).frame(false))
        .on_hover_text(format!(
            "Sort by {} (again: the other way round)",
            key.label()
        ))
        .clicked();
    if clicked {
        out.push(AppCommand::SortByColumn(key));
    }
    if current {
        // A triangle: down in the key's own direction, up when turned round.
        let up = s.view.sort_reversed != (s.view.sort == SortKey::ConfidenceAsc);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        let c = rect.center();
        let (tip, base) = if up { (-4.0, 3.0) } else { (4.0, -3.0) };
        ui.painter().add(egui::Shape::convex_polygon(
            vec![
                c + egui::vec2(0.0, tip),
                c + egui::vec2(4.0, base),
                c + egui::vec2(-4.0, base),
            ],
            ui.visuals().strong_text_color(),
            egui::Stroke::NONE,
        ));
    }
}

/// One sample's cells, in [`COLUMNS`] order.
fn cells(row: &mut egui_extras::TableRow<'_, '_>, s: &Session, i: usize) {
    let smp = &s.ws.dataset.samples[i];
    let label = label_of(&s.ws.dataset, s.curation.truth(), i);
    let pred = s.predictions.set.as_ref().and_then(|p| p.prediction(i));
    let green = Color32::from_rgb(60, 170, 90);
    let red = Color32::from_rgb(220, 70, 60);
    row.col(|ui| {
        ui.label(&smp.id.0)
            .on_hover_text(smp.path.display().to_string());
    });
    row.col(|ui| plain(ui, s.ws.dataset.class_name(label)));
    row.col(|ui| match pred {
        Some(p) => {
            let colour = if p.predicted == Predicted::Class(label) {
                green
            } else {
                red
            };
            paint(ui, &p.predicted.name(&s.ws.dataset.classes), colour);
        }
        None => {
            let text = match super::super::sample_query::failure(s.predictions.set.as_deref(), i) {
                Some(_) => "failed",
                None => "–",
            };
            let weak = ui.visuals().weak_text_color();
            paint(ui, text, weak);
        }
    });
    row.col(|ui| {
        let c = pred.and_then(|p| p.confidence);
        plain(ui, &c.map_or("–".into(), |c| format!("{:.1}%", c * 100.0)));
    });
    row.col(|ui| {
        let l = s
            .predictions
            .set
            .as_ref()
            .and_then(|p| loss(&s.ws.dataset, s.curation.truth(), p, i));
        // A loss is never negative: -ln(1) prints as "0.000", not "-0.000".
        plain(
            ui,
            &l.map_or("–".into(), |l| format!("{:.3}", (l + 0.0).max(0.0))),
        );
    });
    row.col(|ui| {
        let entry = s.problems.quality.as_ref().and_then(|q| q.entry(i));
        match entry {
            Some(e) => {
                ui.label(format!("#{}", e.rank)).on_hover_text(format!(
                    "Review queue rank; p({}) = {:.3}{}",
                    s.ws.dataset.class_name(e.label),
                    e.score,
                    if e.flagged { ", flagged" } else { "" }
                ));
            }
            None => {
                ui.weak("–");
            }
        }
    });
    row.col(|ui| {
        // Cut to the column with "…", the whole list on hover.
        let titles = super::gallery::problem_titles(s, i);
        if !titles.is_empty() {
            ui.add(egui::Label::new(titles).truncate());
        }
    });
    row.col(|ui| {
        let Some(e) = s.curation.state().get(&smp.id.0) else {
            return;
        };
        let mut parts = Vec::new();
        if let Some(reason) = &e.excluded {
            parts.push(format!("excluded: {reason}"));
        }
        if label != smp.label {
            parts.push(format!("was {}", s.ws.dataset.class_name(smp.label)));
        }
        parts.extend(e.tags.iter().map(|t| format!("#{t}")));
        plain(ui, &parts.join(" "));
    });
}

/// Text painted in a cell without a widget: a table shows ~35 rows of 8 cells, and only the
/// file (its path on hover) and the suspicion (its evidence on hover) need to be widgets.
fn paint(ui: &mut egui::Ui, text: &str, colour: Color32) {
    let rect = ui.max_rect();
    ui.painter().text(
        egui::pos2(rect.left(), rect.center().y),
        egui::Align2::LEFT_CENTER,
        text,
        egui::TextStyle::Body.resolve(ui.style()),
        colour,
    );
}

/// [`paint`] in the text colour.
fn plain(ui: &mut egui::Ui, text: &str) {
    let colour = ui.visuals().text_color();
    paint(ui, text, colour);
}
