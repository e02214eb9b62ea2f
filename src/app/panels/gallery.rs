//! The gallery: a filter bar and a virtualised grid of thumbnails (only visible rows are laid
//! out; thumbnails load on background workers). Each cell shows ground truth, prediction and
//! confidence with a green/red mark and a failure badge.

use egui::{Align2, Color32, FontId, Rect, Role, Sense, Stroke, Vec2, WidgetInfo, pos2, vec2};

use super::super::commands::AppCommand;
use super::super::keys::grid_shape_id;
use super::super::sample_query::failure;
use super::super::session::Session;
use super::super::thumbnails::Thumbnails;
use crate::eval::Predicted;
use crate::problems::FindingKind;

/// The titles of sample `i`'s problems: "label issues, outliers".
pub fn problem_titles(s: &Session, i: usize) -> String {
    let kinds: Vec<&str> = s
        .problems
        .index
        .kinds_of(i)
        .map(FindingKind::title)
        .collect();
    kinds.join(", ")
}

/// Accessible label of a gallery cell.
pub fn cell_label(s: &Session, i: usize) -> String {
    let smp = &s.ws.dataset.samples[i];
    let truth =
        s.ws.dataset
            .class_name(super::super::sample_query::label_of(
                &s.ws.dataset,
                s.curation.truth(),
                i,
            ));
    let kinds = problem_titles(s, i);
    let problems = if kinds.is_empty() {
        String::new()
    } else {
        format!(" [{kinds}]")
    };
    let base = match s.predictions.set.as_ref().and_then(|p| p.prediction(i)) {
        Some(p) => format!(
            "{}: true {truth}, predicted {}{}",
            smp.id,
            p.predicted.name(&s.ws.dataset.classes),
            p.confidence
                .map_or(String::new(), |c| format!(" ({:.0}%)", c * 100.0))
        ),
        None => format!("{}: true {truth}", smp.id),
    };
    base + &problems
}

/// Draws the filter bar and the grid.
pub fn gallery_ui(
    ui: &mut egui::Ui,
    s: &Session,
    thumbs: &mut Thumbnails,
    thumb_size: &mut f32,
    out: &mut Vec<AppCommand>,
) {
    super::filter_bar::filter_bar_ui(ui, s, Some(thumb_size), out);
    ui.separator();
    grid_ui(ui, s, thumbs, *thumb_size, out);
}

fn grid_ui(
    ui: &mut egui::Ui,
    s: &Session,
    thumbs: &mut Thumbnails,
    size: f32,
    out: &mut Vec<AppCommand>,
) {
    // Three lines under the image: label, prediction, and the badges (never over the image).
    let text_h = 48.0;
    let spacing = 6.0;
    // The room the panel shows, even when a row above overflowed and widened the layout.
    let room = ui
        .available_width()
        .min(ui.clip_rect().right() - ui.cursor().min.x)
        .max(size);
    let cols = (((room + spacing) / (size + spacing)).floor() as usize).max(1);
    // The columns share the whole width: the leftover of a row is spread over its cells.
    let width = ((room + spacing) / cols as f32 - spacing).max(size);
    let cell = vec2(width, width + text_h);
    let total_rows = s.view.order.len().div_ceil(cols);
    let row_h = cell.y + spacing;
    let visible_rows = ((ui.available_height() / row_h).floor() as usize).max(1);
    ui.data_mut(|d| d.insert_temp(grid_shape_id(), (cols, visible_rows)));

    // Scroll the selection into view when it moved since the last frame, or when the number of
    // columns changed (the detail view opened, the window was resized) and moved its row.
    let last_id = ui.scope_id().with("last_cursor");
    let last: Option<(Option<usize>, usize)> = ui.data(|d| d.get_temp(last_id));
    // The scroll position belongs to the dataset (it is kept between runs): another dataset
    // starts at its top, not at the row the last one was left at.
    let mut area = egui::ScrollArea::vertical()
        .id_salt(("gallery", &s.ws.dataset.root))
        .auto_shrink([false, false]);
    if last != Some((s.view.cursor, cols))
        && let Some(c) = s.view.cursor
    {
        let row = c / cols;
        let top = ui
            .data(|d| d.get_temp::<f32>(ui.scope_id().with("scroll_top")))
            .unwrap_or(0.0);
        let row_top = row as f32 * row_h;
        if row_top < top || row_top + row_h > top + ui.available_height() {
            area = area.vertical_scroll_offset((row_top - ui.available_height() / 2.0).max(0.0));
        }
    }
    ui.data_mut(|d| d.insert_temp(last_id, (s.view.cursor, cols)));

    // `show_rows` places row `r` at `r * (cell.y + item_spacing.y)` with the spacing of the ui
    // it is called on: set it here, so rows are where `row_h` above says they are (with the
    // default spacing a click deep in the list measured its row a few pixels per row off,
    // judged it out of view and scrolled it away).
    ui.spacing_mut().item_spacing = vec2(spacing, spacing);
    let output = area.show_rows(ui, cell.y, total_rows, |ui, rows| {
        ui.spacing_mut().item_spacing = vec2(spacing, spacing);
        let mut wanted = Vec::new();
        for row in rows.start..(rows.end + 1).min(total_rows) {
            for col in 0..cols {
                if let Some(&i) = s.view.order.get(row * cols + col) {
                    wanted.push((i, s.ws.dataset.samples[i].path.clone()));
                }
            }
        }
        thumbs.request(wanted);
        for row in rows {
            ui.horizontal(|ui| {
                for col in 0..cols {
                    let pos = row * cols + col;
                    let Some(&i) = s.view.order.get(pos) else {
                        break;
                    };
                    cell_ui(ui, s, thumbs, i, pos, cell, out);
                }
            });
        }
    });
    ui.data_mut(|d| {
        d.insert_temp(
            ui.scope_id().with("scroll_top"),
            output.state.clamped_offset().y,
        )
    });
}

fn cell_ui(
    ui: &mut egui::Ui,
    s: &Session,
    thumbs: &mut Thumbnails,
    i: usize,
    pos: usize,
    cell: Vec2,
    out: &mut Vec<AppCommand>,
) {
    let (rect, resp) = ui.allocate_exact_size(cell, Sense::click());
    let label = cell_label(s, i);
    resp.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
    if !ui.is_rect_visible(rect) {
        return;
    }
    let painter = ui.painter_at(rect);
    let selected = s.view.cursor == Some(pos);
    let visuals = ui.visuals();
    painter.rect_filled(
        rect,
        4.0,
        if selected {
            visuals.selection.bg_fill
        } else {
            visuals.faint_bg_color
        },
    );
    let img_rect = Rect::from_min_size(rect.min, Vec2::splat(cell.x)).shrink(3.0);
    let error = failure(s.predictions.set.as_deref(), i)
        .map(str::to_string)
        .or_else(|| thumbs.error(i).map(str::to_string));
    if let Some(tex) = thumbs.get(i) {
        let ts = tex.size_vec2();
        let scale = (img_rect.width() / ts.x).min(img_rect.height() / ts.y);
        let fit = Rect::from_center_size(img_rect.center(), ts * scale);
        painter.image(
            tex.id(),
            fit,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    } else if error.is_some() {
        painter.text(
            img_rect.center(),
            Align2::CENTER_CENTER,
            "unreadable",
            FontId::proportional(12.0),
            visuals.error_fg_color,
        );
    } else {
        painter.rect_filled(img_rect, 2.0, visuals.extreme_bg_color);
    }
    let truth =
        s.ws.dataset
            .class_name(super::super::sample_query::label_of(
                &s.ws.dataset,
                s.curation.truth(),
                i,
            ));
    let font = FontId::proportional(11.0);
    let y = img_rect.bottom() + 3.0;
    painter.text(
        pos2(rect.left() + 4.0, y),
        Align2::LEFT_TOP,
        truth.to_string(),
        font.clone(),
        visuals.text_color(),
    );
    if let Some(p) = s.predictions.set.as_ref().and_then(|p| p.prediction(i)) {
        let correct = p.predicted
            == Predicted::Class(super::super::sample_query::label_of(
                &s.ws.dataset,
                s.curation.truth(),
                i,
            ));
        let color = if correct {
            Color32::from_rgb(60, 170, 90)
        } else {
            Color32::from_rgb(220, 70, 60)
        };
        // Without a confidence (a VLM without logprobs, a file without one) only the label.
        let text = match p.confidence {
            Some(c) => format!(
                "{:.0}% {}",
                c * 100.0,
                p.predicted.name(&s.ws.dataset.classes)
            ),
            None => p.predicted.name(&s.ws.dataset.classes),
        };
        painter.text(
            pos2(rect.left() + 4.0, y + 15.0),
            Align2::LEFT_TOP,
            text,
            font,
            color,
        );
        painter.circle_filled(
            pos2(img_rect.right() - 7.0, img_rect.top() + 7.0),
            5.0,
            color,
        );
    }
    if error.is_some() {
        painter.text(
            pos2(img_rect.left() + 3.0, img_rect.top() + 3.0),
            Align2::LEFT_TOP,
            "failed",
            FontId::proportional(10.0),
            visuals.error_fg_color,
        );
    }
    badges_ui(
        &painter,
        s,
        i,
        pos2(rect.left() + 4.0, y + 30.0),
        rect.right() - 4.0,
    );
    // While "Show similar" sets the order, each image says how near it is.
    if let (Some(similar), Some(set)) = (&s.view.filter.similar, &s.embeddings.set) {
        let text = if similar.anchors.contains(&i) {
            "query".to_string()
        } else {
            super::super::sample_query::similar_distance(set, similar, i)
                .map_or(String::new(), |d| format!("d {d:.3}"))
        };
        if !text.is_empty() {
            let at = pos2(img_rect.left() + 3.0, img_rect.bottom() - 3.0);
            let galley = painter.layout_no_wrap(text, FontId::proportional(10.0), Color32::WHITE);
            let chip = Rect::from_min_size(
                at - vec2(0.0, galley.size().y + 2.0),
                galley.size() + vec2(6.0, 2.0),
            );
            painter.rect_filled(chip, 3.0, Color32::from_black_alpha(170));
            painter.galley(chip.min + vec2(3.0, 1.0), galley, Color32::WHITE);
        }
    }
    if s.view.marked.contains(&i) {
        let c = pos2(img_rect.left() + 10.0, img_rect.top() + 10.0);
        painter.circle_filled(c, 8.0, Color32::from_rgb(40, 120, 230));
        let tick = [
            c + vec2(-4.0, 0.0),
            c + vec2(-1.0, 3.0),
            c + vec2(4.0, -3.0),
        ];
        painter.line(tick.to_vec(), Stroke::new(2.0, Color32::WHITE));
        painter.rect_stroke(
            rect.shrink(2.0),
            4.0,
            Stroke::new(2.0, Color32::from_rgb(40, 120, 230)),
            egui::StrokeKind::Inside,
        );
    }
    if selected {
        painter.rect_stroke(
            rect,
            4.0,
            Stroke::new(2.0, visuals.selection.stroke.color),
            egui::StrokeKind::Inside,
        );
    }
    let resp = match &error {
        Some(e) => resp.on_hover_text(format!("{label}\n{e}")),
        None => resp.on_hover_text(&label),
    };
    if resp.clicked() {
        resp.surrender_focus();
    }
    super::sample_menu::sample_clicks(&resp, s, i, pos, out);
}

/// The third line of a cell: problem badges (purple chips), then the edits ("was Shirt",
/// "excluded: duplicate", tags) in yellow, cut short with "…" at `right`.
fn badges_ui(painter: &egui::Painter, s: &Session, i: usize, start: egui::Pos2, right: f32) {
    let font = FontId::proportional(10.0);
    let mut x = start.x;
    for kind in s.problems.index.kinds_of(i) {
        let Some(text) = fit(painter, kind.badge(), &font, right - x - 3.0) else {
            return;
        };
        let galley = painter.layout_no_wrap(text, font.clone(), Color32::from_rgb(255, 230, 120));
        let bg = Rect::from_min_size(pos2(x, start.y), galley.size()).expand(1.5);
        painter.rect_filled(bg, 2.0, Color32::from_rgba_unmultiplied(120, 40, 140, 220));
        let w = galley.size().x;
        painter.galley(pos2(x, start.y), galley, Color32::WHITE);
        x += w + 6.0;
    }
    let smp = &s.ws.dataset.samples[i];
    let Some(e) = s.curation.state().get(&smp.id.0) else {
        return;
    };
    let mut parts = Vec::new();
    if let Some(reason) = &e.excluded {
        parts.push(format!("excluded: {reason}"));
    } else if crate::curation::is_relabeled(&s.ws.dataset, s.curation.state(), i) {
        parts.push(format!("was {}", s.ws.dataset.class_name(smp.label)));
    }
    parts.extend(e.tags.iter().map(|t| format!("#{t}")));
    if let Some(text) = fit(painter, &parts.join(" "), &font, right - x) {
        painter.text(
            pos2(x, start.y),
            Align2::LEFT_TOP,
            text,
            font,
            Color32::from_rgb(250, 200, 80),
        );
    }
}

/// `text` as it fits in `width` (cut short with "…"), or `None` when not even that fits.
fn fit(painter: &egui::Painter, text: &str, font: &FontId, width: f32) -> Option<String> {
    let wide = |t: &str| {
        painter
            .layout_no_wrap(t.to_string(), font.clone(), Color32::WHITE)
            .size()
            .x
    };
    if text.is_empty() || width <= 0.0 {
        return None;
    }
    if wide(text) <= width {
        return Some(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    (1..chars.len())
        .rev()
        .map(|n| format!("{}…", chars[..n].iter().collect::<String>()))
        .find(|t| wide(t) <= width)
}
