//! "Similar images" in the detail view: the selected sample's nearest neighbours by embedding
//! (cosine distance) as a strip of thumbnails with their distance, label and prediction; a click
//! opens one, "Show similar" turns the gallery into the list of neighbours.

use egui::{Color32, Sense, vec2};

use super::super::commands::AppCommand;
use super::super::sample_query::label_of;
use super::super::session::Session;
use super::super::thumbnails::Thumbnails;
use super::gallery::cell_label;
use crate::embed::{EmbeddingSet, Neighbour, nearest};
use crate::eval::Predicted;

/// How many neighbours the strip shows.
const STRIP_K: usize = 12;
const THUMB: f32 = 72.0;

/// The neighbours of the last sample asked for (computed once per selection).
#[derive(Default)]
pub struct SimilarCache {
    key: Option<(usize, u64)>,
    neighbours: Vec<Neighbour>,
}

impl SimilarCache {
    fn get(&mut self, set: &EmbeddingSet, set_id: u64, i: usize) -> &[Neighbour] {
        let key = (i, set_id);
        if self.key != Some(key) {
            self.neighbours = set
                .of_sample(i)
                .map(|q| nearest(set, &q, STRIP_K, &[i]))
                .unwrap_or_default();
            self.key = Some(key);
        }
        &self.neighbours
    }
}

/// Draws the strip for sample `i`.
pub fn similar_strip_ui(
    ui: &mut egui::Ui,
    s: &Session,
    i: usize,
    cache: &mut SimilarCache,
    thumbs: &mut Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    ui.horizontal(|ui| {
        ui.strong("Similar images").on_hover_text(
            "Nearest by the model's embedding (cosine distance, 0 = same direction)",
        );
        let anchors = if s.view.marked.is_empty() {
            "this one".to_string()
        } else {
            format!("the {} marked", s.view.marked.len())
        };
        let enabled = s.embeddings.set.is_some();
        if ui
            .add_enabled(enabled, egui::Button::new("Show similar (S)"))
            .on_hover_text(format!(
                "The gallery lists the samples nearest to {anchors}, nearest first"
            ))
            .clicked()
        {
            out.push(AppCommand::ShowSimilar);
        }
    });
    let Some(set) = &s.embeddings.set else {
        ui.weak(s.embeddings.unavailable().to_string());
        return;
    };
    if set.of_sample(i).is_none() {
        ui.weak("This sample has no embedding (it failed to decode or to run).");
        return;
    }
    let neighbours = cache.get(set, s.embeddings.set_id, i).to_vec();
    thumbs.also_want(
        neighbours
            .iter()
            .map(|n| (n.sample, s.ws.dataset.samples[n.sample].path.clone())),
    );
    // Rows of as many as fit: a wrapped layout does not wrap child layouts, and one long row
    // would widen the panel.
    let spacing = ui.spacing().item_spacing.x;
    let per_row = (((ui.available_width() + spacing) / (THUMB + spacing)) as usize).max(1);
    for row in neighbours.chunks(per_row) {
        ui.horizontal(|ui| {
            for &n in row {
                neighbour_ui(ui, s, n, thumbs, out);
            }
        });
    }
}

fn neighbour_ui(
    ui: &mut egui::Ui,
    s: &Session,
    n: Neighbour,
    thumbs: &mut Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    let j = n.sample;
    let label = label_of(&s.ws.dataset, s.curation.truth(), j);
    let pred = s.predictions.set.as_ref().and_then(|p| p.prediction(j));
    let wrong = pred.is_some_and(|p| p.predicted != Predicted::Class(label));
    ui.vertical(|ui| {
        ui.set_width(THUMB);
        let (rect, resp) = ui.allocate_exact_size(vec2(THUMB, THUMB), Sense::click());
        paint_fitted(ui, rect, thumbs.get(j));
        if wrong {
            ui.painter().rect_stroke(
                rect,
                2.0,
                egui::Stroke::new(2.0, Color32::from_rgb(220, 70, 60)),
                egui::StrokeKind::Inside,
            );
        }
        let text = format!("{} (distance {:.3})", cell_label(s, j), n.distance);
        let resp = resp.on_hover_text(&text);
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, &text));
        if resp.clicked() {
            out.push(AppCommand::ShowSample(j));
        }
        ui.small(format!("{:.3}", n.distance));
        ui.small(s.ws.dataset.class_name(label));
        if let Some(p) = pred.filter(|_| wrong) {
            ui.colored_label(
                Color32::from_rgb(220, 70, 60),
                egui::RichText::new(format!("pred. {}", p.predicted.name(&s.ws.dataset.classes)))
                    .small(),
            );
        }
    });
}

/// Paints thumbnail `tex` fitted and centred in `rect` (a dark square while it loads).
pub fn paint_fitted(ui: &egui::Ui, rect: egui::Rect, tex: Option<&egui::TextureHandle>) {
    match tex {
        Some(tex) => {
            let ts = tex.size_vec2();
            let scale = (rect.width() / ts.x).min(rect.height() / ts.y);
            egui::Image::new((tex.id(), ts * scale))
                .paint_at(ui, egui::Rect::from_center_size(rect.center(), ts * scale));
        }
        None => {
            ui.painter()
                .rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        }
    }
}
