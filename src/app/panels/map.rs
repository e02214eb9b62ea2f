//! The map: every sample's embedding in 2-D (PCA at once, UMAP when made), coloured by label,
//! prediction, correctness, problem or edit state, drawn as one mesh (past
//! [`super::map_density::DENSE_FROM`] points, as a density image). Drag pans, the wheel
//! zooms, Shift+drag selects a box (the gallery then shows just those samples), hover shows
//! the thumbnail, a click opens the sample. Points outside the gallery's filter are faint.

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, Sense, Vec2, vec2};

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::map_colours::{ColourBy, Colouring, colouring};
use super::super::sample_query::Filter;
use super::super::session::Session;
use super::super::thumbnails::Thumbnails;
use super::gallery::cell_label;
use crate::embed::EmbeddingSet;
use crate::embed::project::{Map, MapMethod};

/// The map's view state: zoom, pan, colouring and a box being dragged.
#[derive(Default)]
pub struct MapView {
    zoom: f32,
    pan: Vec2,
    /// What colours the points.
    pub colour_by: ColourBy,
    colours: Option<((u64, ColourBy, u64), Arc<Colouring>)>,
    box_from: Option<Pos2>,
    density: super::map_density::Density,
    /// Maps with more points are drawn as a density image (0: the default,
    /// [`super::map_density::DENSE_FROM`]).
    pub dense_from: usize,
    /// The map's bounds, per map (its points' address and length).
    bounds: Option<((usize, usize), Bounds)>,
    /// Which samples the gallery's filter keeps, per order (its address, revision, length).
    in_order: Option<(OrderKey, Arc<Vec<bool>>)>,
}

/// An order's address, revision and length (what the filter's flags are made for).
type OrderKey = (usize, u64, usize);

/// A map's smallest and largest coordinates.
type Bounds = ([f32; 2], [f32; 2]);

impl MapView {
    fn bounds(&mut self, points: &[[f32; 2]]) -> Bounds {
        let key = (points.as_ptr() as usize, points.len());
        match &self.bounds {
            Some((k, b)) if *k == key => *b,
            _ => {
                let b = bounds(points);
                self.bounds = Some((key, b));
                b
            }
        }
    }

    /// What the filter's flags are made for: the order's address, revision and length.
    fn in_order_key(s: &Session) -> OrderKey {
        (
            s.view.order.as_ptr() as usize,
            s.view.order_revision,
            s.ws.dataset.samples.len(),
        )
    }

    /// Per sample, whether the gallery's filter keeps it (made again when the order changed).
    fn in_order(&mut self, s: &Session) -> Arc<Vec<bool>> {
        let key = Self::in_order_key(s);
        if self.in_order.as_ref().is_none_or(|(k, _)| *k != key) {
            let mut keep = vec![false; s.ws.dataset.samples.len()];
            for &i in &s.view.order {
                keep[i] = true;
            }
            self.in_order = Some((key, Arc::new(keep)));
        }
        self.in_order
            .as_ref()
            .map_or_else(Default::default, |(_, v)| v.clone())
    }
}

/// The smallest and largest finite coordinates of `points`.
fn bounds(points: &[[f32; 2]]) -> Bounds {
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for p in points
        .iter()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
    {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (lo, hi)
}

/// How map coordinates land on the screen.
#[derive(Clone, Copy)]
struct Transform {
    centre: Pos2,
    map_centre: [f32; 2],
    scale: f32,
    pan: Vec2,
}

impl Transform {
    fn fit((lo, hi): Bounds, rect: Rect, zoom: f32, pan: Vec2) -> Self {
        let span = [(hi[0] - lo[0]).max(1e-6), (hi[1] - lo[1]).max(1e-6)];
        let base = (rect.width() / span[0]).min(rect.height() / span[1]) * 0.92;
        Self {
            centre: rect.center(),
            map_centre: [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0],
            scale: if base.is_finite() { base } else { 1.0 } * zoom.max(1e-3),
            pan,
        }
    }

    fn apply(&self, p: [f32; 2]) -> Pos2 {
        self.centre
            + self.pan
            + vec2(
                (p[0] - self.map_centre[0]) * self.scale,
                -(p[1] - self.map_centre[1]) * self.scale,
            )
    }
}

/// Draws the map (or why there is none).
pub fn map_ui(
    ui: &mut egui::Ui,
    s: &Session,
    view: &mut MapView,
    thumbs: &mut Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    if view.zoom == 0.0 {
        view.zoom = 1.0;
    }
    let Some(set) = &s.embeddings.set else {
        ui.heading("No map yet");
        ui.label(s.embeddings.unavailable().to_string());
        return;
    };
    let state = &s.embeddings.map;
    ui.horizontal_wrapped(|ui| {
        let map = state.best();
        let umap = crate::embed::project::UmapOptions::default();
        let what = match map.map(|m| m.method) {
            Some(MapMethod::Umap) if set.len() > umap.fit_max => format!(
                "UMAP fitted on {} sampled, the rest placed by their nearest",
                umap.fit_sample
            ),
            Some(MapMethod::Umap) => "UMAP".into(),
            Some(MapMethod::Pca) => "PCA".into(),
            None => "…".into(),
        };
        ui.strong(format!("Map of {} embeddings: {what}", set.len()));
        let hover = "Stop making the map; it is made again when asked";
        let text = super::job_progress::default_text;
        if super::job_progress::job_progress_ui(ui, &s.jobs, JobKind::Map, 160.0, hover, text, out)
        {
        } else if let Some(e) = &state.error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
            if ui.button("Make UMAP").clicked() {
                out.push(AppCommand::RetryMap);
            }
        }
        ui.separator();
        let l = ui.label("Colour by");
        egui::ComboBox::from_id_salt("map_colour")
            .selected_text(view.colour_by.label())
            .show_ui(ui, |ui| {
                for c in ColourBy::ALL {
                    ui.selectable_value(&mut view.colour_by, c, c.label());
                }
            })
            .response
            .labelled_by(l.id);
        if ui
            .button("Fit")
            .on_hover_text("Show the whole map")
            .clicked()
        {
            view.zoom = 1.0;
            view.pan = Vec2::ZERO;
        }
        ui.weak("Drag: pan · Wheel: zoom · Shift+drag: select · Click: open");
    });
    let Some(map) = state.best() else {
        ui.spinner();
        return;
    };
    let key = (s.revision, view.colour_by, s.embeddings.set_id);
    if view.colours.as_ref().is_none_or(|(k, _)| *k != key) {
        view.colours = Some((key, Arc::new(colouring(s, view.colour_by))));
    }
    let Some((_, colours)) = &view.colours else {
        return;
    };
    legend_ui(ui, colours);
    let colours = colours.clone();
    let (map, set) = (map.clone(), set.clone());
    canvas_ui(ui, s, &map, &set, &colours, view, thumbs, out);
    // The gallery is not drawn: submit the hovered point's thumbnail ourselves.
    thumbs.request(Vec::new());
}

fn legend_ui(ui: &mut egui::Ui, colours: &Colouring) {
    ui.horizontal_wrapped(|ui| {
        for (name, colour, count) in colours.legend.iter().filter(|l| l.2 > 0) {
            let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
            ui.painter().rect_filled(r, 2.0, *colour);
            ui.label(format!("{name} ({count})"));
        }
    });
}

#[allow(clippy::too_many_arguments)]
fn canvas_ui(
    ui: &mut egui::Ui,
    s: &Session,
    map: &Arc<Map>,
    set: &Arc<EmbeddingSet>,
    colours: &Arc<Colouring>,
    view: &mut MapView,
    thumbs: &mut Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    let (rect, resp) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    // Zoom about the pointer; pan by dragging (Shift+drag draws a selection box instead).
    if let Some(pointer) = resp.hover_pos() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let factor = (scroll * 0.003).exp();
            let anchor = pointer - rect.center() - view.pan;
            view.pan -= anchor * (factor - 1.0);
            view.zoom = (view.zoom * factor).clamp(0.2, 500.0);
        }
    }
    let shift = ui.input(|i| i.modifiers.shift);
    if resp.drag_started() && shift {
        view.box_from = ui
            .input(|i| i.pointer.press_origin())
            .or(resp.interact_pointer_pos());
    }
    if resp.dragged() && view.box_from.is_none() {
        view.pan += resp.drag_delta();
    }
    let t = Transform::fit(view.bounds(&map.points), rect, view.zoom, view.pan);
    let samples = &set.samples[..];
    let (order_key, keep) = (MapView::in_order_key(s), view.in_order(s));
    let in_order = &keep[..];
    let selected = s.view.selected();
    let dense_from = match view.dense_from {
        0 => super::map_density::DENSE_FROM,
        n => n,
    };
    let dense = map.points.len() > dense_from;
    // The points in the filter on the canvas (for hover, click and the box): collected with
    // the mesh, or, for a density image, found by a pass over the points when needed.
    let mut screen: Vec<(Pos2, usize)> = Vec::new();
    if dense {
        let (lo, hi) = view.bounds(&map.points);
        let unpanned = Transform {
            pan: Vec2::ZERO,
            ..t
        };
        let project = |p: [f32; 2]| unpanned.apply(p);
        let colour_by = ColourBy::ALL
            .iter()
            .position(|c| *c == view.colour_by)
            .unwrap_or(0);
        let what = super::map_density::Frame {
            whole: Rect::from_two_pos(project(lo), project(hi)),
            canvas: rect,
            pan: t.pan,
            pixels_per_point: ui.ctx().pixels_per_point(),
            content: [
                map.points.as_ptr() as u64,
                map.points.len() as u64,
                s.revision,
                s.embeddings.set_id,
                order_key.0 as u64,
                order_key.1,
                colour_by as u64,
            ],
        };
        let (map, set, colours, keep) = (map.clone(), set.clone(), colours.clone(), keep.clone());
        view.density.draw(ui.ctx(), &painter, &what, move || {
            Box::new(move |add| {
                for (row, p) in map.points.iter().enumerate() {
                    if !p[0].is_finite() {
                        continue;
                    }
                    let sample = set.samples[row] as usize;
                    let (_, colour, _) = colours.legend[colours.entry[sample] as usize];
                    add(unpanned.apply(*p), colour, !keep[sample]);
                }
            })
        });
    } else {
        // One mesh: faint points (outside the filter) first, then the rest on top.
        let mut mesh = egui::Mesh::default();
        screen.reserve(map.points.len());
        let size = match map.points.len() {
            0..=5_000 => 4.0,
            5_001..=20_000 => 3.0,
            _ => 2.0,
        };
        for pass in [false, true] {
            for (row, p) in map.points.iter().enumerate() {
                let sample = samples[row] as usize;
                if in_order[sample] != pass || !p[0].is_finite() {
                    continue;
                }
                let at = t.apply(*p);
                if !rect.contains(at) {
                    continue;
                }
                let (_, colour, _) = colours.legend[colours.entry[sample] as usize];
                let colour = if pass {
                    colour
                } else {
                    colour.gamma_multiply(0.18)
                };
                mesh.add_colored_rect(Rect::from_center_size(at, Vec2::splat(size)), colour);
                if pass {
                    screen.push((at, sample));
                }
            }
        }
        painter.add(egui::Shape::mesh(mesh));
    }
    let each_shown = |f: &mut dyn FnMut(Pos2, usize)| {
        if dense {
            for (row, p) in map.points.iter().enumerate() {
                let sample = samples[row] as usize;
                if in_order[sample] && p[0].is_finite() {
                    let at = t.apply(*p);
                    if rect.contains(at) {
                        f(at, sample);
                    }
                }
            }
        } else {
            for &(at, i) in &screen {
                f(at, i);
            }
        }
    };
    let shown = if dense {
        view.density.drawn()
    } else {
        screen.len()
    };
    if let Some(sel) = selected
        && let Some(r) = set_row(samples, sel)
        && map.points[r][0].is_finite()
    {
        let at = t.apply(map.points[r]);
        painter.circle_stroke(at, 6.0, egui::Stroke::new(2.0, Color32::WHITE));
    }
    let nearest = |pos: Pos2| {
        let mut best: Option<(f32, usize)> = None;
        each_shown(&mut |at, i| {
            let d2 = at.distance_sq(pos);
            if d2 < 64.0 && best.is_none_or(|b| d2 < b.0) {
                best = Some((d2, i));
            }
        });
        best.map(|(_, i)| i)
    };
    if let Some(from) = view.box_from {
        let to = resp.interact_pointer_pos().unwrap_or(from);
        let area = Rect::from_two_pos(from, to);
        painter.rect_stroke(
            area,
            0.0,
            egui::Stroke::new(1.5, Color32::from_rgb(255, 200, 60)),
            egui::StrokeKind::Middle,
        );
        if resp.drag_stopped() {
            let mut inside: Vec<usize> = Vec::new();
            each_shown(&mut |at, i| {
                if area.contains(at) {
                    inside.push(i);
                }
            });
            inside.sort_unstable();
            if !inside.is_empty() {
                out.push(AppCommand::SetFilter(Filter {
                    region: Some(crate::app::sample_query::Region {
                        what: "Map selection".into(),
                        samples: inside,
                        rank: Vec::new(),
                    }),
                    ..s.view.filter.clone()
                }));
                out.push(AppCommand::ToggleView(crate::app::layout::CentralView::Map));
            }
            view.box_from = None;
        }
    } else if let Some(pos) = resp.hover_pos()
        && let Some(i) = nearest(pos)
    {
        thumbs.also_want([(i, s.ws.dataset.samples[i].path.clone())]);
        let text = cell_label(s, i);
        let resp = resp.clone().on_hover_ui_at_pointer(|ui| {
            if let Some(tex) = thumbs.get(i) {
                let ts = tex.size_vec2();
                let scale = (128.0 / ts.x.max(ts.y)).min(2.0);
                ui.image((tex.id(), ts * scale));
            }
            ui.label(&text);
        });
        if resp.clicked() {
            out.push(AppCommand::ShowSample(i));
            out.push(AppCommand::OpenDetail);
        }
    }
    if dense && view.density.is_drawing() {
        // The new image is drawn on its own thread; the last one is shown until it is in.
        painter.text(
            rect.left_bottom() + vec2(6.0, -6.0),
            egui::Align2::LEFT_BOTTOM,
            "drawing…",
            egui::FontId::proportional(12.0),
            ui.visuals().weak_text_color(),
        );
    }
    resp.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::accesskit::Role::Image,
            true,
            format!("Map of {shown} points"),
        )
    });
}

/// The row of sample `sample` in a set whose rows are `samples` (sorted ascending).
fn set_row(samples: &[u32], sample: usize) -> Option<usize> {
    samples.binary_search(&(sample as u32)).ok()
}
