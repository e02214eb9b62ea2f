//! The detail view of the selected sample: the full image with zoom/pan, the exact pixels the
//! model saw (after resize/crop/colour conversion), top-k probabilities, path, size, colour mode
//! and any per-sample error. Images are decoded on a background thread.

use egui::{Color32, ColorImage, Rect, TextureHandle, TextureOptions, vec2};

use super::super::commands::AppCommand;
use super::super::jobs::{DetailImage, Finished, JobKind};
use super::super::session::Session;
use crate::eval::{Entry, Predicted};
use crate::model::preprocess::prepare_pixels;

/// Textures and loading state of the detail view.
#[derive(Default)]
pub struct DetailCache {
    sample: Option<usize>,
    full: Option<TextureHandle>,
    seen: Option<TextureHandle>,
    info: String,
    error: Option<String>,
    loading: bool,
    zoom: Option<super::zoom_view::ZoomView>,
    /// Draw the text boxes the check rejected too.
    show_rejected: bool,
    similar: super::similar_strip::SimilarCache,
}

impl DetailCache {
    /// Starts decoding sample `i` (the registry's `JobKind::Detail`) unless it is the one
    /// shown.
    pub fn load(&mut self, s: &mut Session, i: usize) {
        if self.sample != Some(i) {
            *self = Self {
                sample: Some(i),
                loading: true,
                ..Default::default()
            };
            let path = s.ws.dataset.samples[i].path.clone();
            let input = s.predictions.model.as_ref().map(|m| m.spec.input.clone());
            let started = s.jobs.start(JobKind::Detail, move |_| {
                Finished::Detail(i, {
                    let apply = input.as_ref().is_some_and(|i| {
                        i.exif_orientation == crate::model::spec::ExifOrientation::Apply
                    });
                    crate::dataset::image_io::decode_for_model(&path, apply)
                        .map_err(|e| e.to_string())
                        .map(|(img, exif)| {
                            let exif = match exif {
                                Some(o) if o != 1 => format!(
                                    ", EXIF orientation {o} {}",
                                    if apply {
                                        "(applied: the spec says exif_orientation apply)"
                                    } else {
                                        "(not applied, as Pillow's Image.open)"
                                    }
                                ),
                                _ => String::new(),
                            };
                            let info = format!(
                                "{}x{} pixels, {}{exif}",
                                img.width(),
                                img.height(),
                                crate::problems::facts::colour_of(img.color().into())
                            );
                            let rgba = img.to_rgba8();
                            let full = ColorImage::from_rgba_unmultiplied(
                                [rgba.width() as usize, rgba.height() as usize],
                                rgba.as_raw(),
                            );
                            let seen =
                                input
                                    .and_then(|inp| prepare_pixels(&img, &inp).ok())
                                    .map(|p| {
                                        let size = [p.width as usize, p.height as usize];
                                        if p.channels == 1 {
                                            ColorImage::from_gray(size, &p.pixels)
                                        } else {
                                            ColorImage::from_rgb(size, &p.pixels)
                                        }
                                    });
                            DetailImage { full, seen, info }
                        })
                })
            });
            if let Err(e) = started {
                self.error = Some(e);
            }
        }
    }

    /// Shows the decoded image of sample `i` (dropped when another sample is shown by now).
    pub fn finish(&mut self, ctx: &egui::Context, i: usize, result: Result<DetailImage, String>) {
        if self.sample != Some(i) {
            return;
        }
        self.loading = false;
        {
            match result {
                Ok(l) => {
                    self.full = Some(ctx.load_texture(
                        "detail-full",
                        l.full,
                        // Image pixels stay sharp squares past 100%, smooth below it.
                        TextureOptions {
                            magnification: egui::TextureFilter::Nearest,
                            minification: egui::TextureFilter::Linear,
                            ..TextureOptions::LINEAR
                        },
                    ));
                    self.seen = l
                        .seen
                        .map(|img| ctx.load_texture("detail-seen", img, TextureOptions::NEAREST));
                    self.info = l.info;
                }
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Draws the right-hand detail panel.
pub fn detail_panel_ui(
    ui: &mut egui::Ui,
    s: &Session,
    cache: &mut DetailCache,
    thumbs: &mut super::super::thumbnails::Thumbnails,
    (default_width, max_width): (f32, f32),
    out: &mut Vec<AppCommand>,
) {
    let Some(i) = s.view.selected() else { return };
    egui::Panel::right("detail")
        .resizable(true)
        .default_size(default_width)
        .size_range(280.0_f32.min(max_width)..=max_width)
        .show(ui, |ui| {
        let smp = &s.ws.dataset.samples[i];
        ui.horizontal(|ui| {
            ui.heading(&smp.id.0);
            if ui.button("Close").on_hover_text("Close (Esc)").clicked() {
                out.push(AppCommand::CloseDetail);
            }
        });
        // The plain wheel scrolls the panel while it has more than fits; then only Ctrl+wheel
        // (or a pinch) zooms the image, as image viewers do (last frame's measure).
        let scrolls_id = ui.scope_id().with("detail_scrolls");
        let panel_scrolls = ui.data(|d| d.get_temp::<bool>(scrolls_id)).unwrap_or(true);
        let scrolled = egui::ScrollArea::vertical().show(ui, |ui| {
            let label = super::super::sample_query::label_of(&s.ws.dataset, s.curation.truth(), i);
            ui.label(format!("Label: {}", s.ws.dataset.class_name(label)));
            super::detail_actions::actions_ui(ui, s, i, out);
            if let Some(e) = &cache.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.label(smp.path.display().to_string());
            if !cache.info.is_empty() {
                ui.label(&cache.info);
            }
            if let Some(full) = &cache.full {
                let text = s.text_of(i);
                let opts = crate::problems::text::TextOptions::default();
                if let Some(t) = text
                    && t.boxes.len() > t.lines(&opts).count()
                {
                    ui.checkbox(&mut cache.show_rejected, "Show the boxes the text check rejected")
                        .on_hover_text("Regions the detector saw but the text check did not count as text (too small, too faint)");
                }
                let rejected = cache.show_rejected;
                let image = super::zoom_view::zoom_view_ui(ui, full.id(), full.size_vec2(), 300.0, &mut cache.zoom, !panel_scrolls, |ui, r| {
                    if let Some(t) = text {
                        text_boxes_ui(ui, r, t, rejected);
                    }
                });
                image.context_menu(|ui| {
                    super::sample_menu::sample_menu_ui(ui, s, i, None, out);
                });
            } else if cache.loading {
                ui.spinner();
            }
            ui.separator();
            edits_ui(ui, s, i, label, out);
            super::review_queue::entry_ui(ui, s, i, out);
            super::detail_findings::findings_ui(ui, s, i, thumbs, out);
            if let Some(split) = &smp.split {
                ui.label(format!("Split: {split}"));
            }
            match s.predictions.set.as_ref().and_then(|p| p.entries.get(i)) {
                Some(Entry::Predicted(p)) => {
                    let correct = p.predicted == Predicted::Class(label);
                    let color = if correct { Color32::from_rgb(60, 170, 90) } else { Color32::from_rgb(220, 70, 60) };
                    ui.colored_label(color, format!("Predicted: {}", with_confidence(&p.predicted.name(&s.ws.dataset.classes), p.confidence)));
                    compared_ui(ui, s, i);
                    if let Some(raw) = &p.raw {
                        ui.label(format!("Raw answer: {raw}"));
                    }
                    if let Some(how) = confidence_source(s, p.confidence.is_some()) {
                        ui.weak(how);
                    }
                    if let Some(probs) = &p.probs {
                        top_k_ui(ui, s, probs);
                    }
                    // The model's own classes, when they say more than the dataset's labels do
                    // (a label map, or classes the dataset does not have).
                    let same = p.model_top.iter().all(|(n, _)| s.ws.dataset.class_id(n).is_some());
                    if !p.model_top.is_empty() && !same {
                        ui.strong("The model's own classes").on_hover_text("Before mapping to the dataset's labels: what the model saw");
                        for (name, prob) in &p.model_top {
                            ui.label(format!("{name} {prob:.2}"));
                        }
                    }
                }
                Some(Entry::Failed(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                    compared_ui(ui, s, i);
                }
                _ => {
                    ui.weak("No prediction yet.");
                    compared_ui(ui, s, i);
                }
            }
            ui.separator();
            ui.separator();
            super::similar_strip::similar_strip_ui(ui, s, i, &mut cache.similar, thumbs, out);
            if let Some(seen) = &cache.seen {
                ui.separator();
                ui.strong("What the model sees").on_hover_text("The input tensor rendered back: after resize, crop and colour conversion, before normalisation");
                let scale = (200.0 / seen.size_vec2().x.max(seen.size_vec2().y)).max(1.0);
                ui.add(egui::Image::new((seen.id(), seen.size_vec2() * scale)));
            }
        });
        let can_scroll = scrolled.content_size.y > scrolled.inner_rect.height() + 1.0;
        ui.data_mut(|d| d.insert_temp(scrolls_id, can_scroll));
    });
}

/// The compared models' answers for sample `i`, right under the main prediction.
fn compared_ui(ui: &mut egui::Ui, s: &Session, i: usize) {
    for (k, set) in s.compare.sets.iter().enumerate() {
        let Some(p) = set.prediction(i) else { continue };
        let name = s.compare.names.get(k + 1).unwrap_or(&set.name);
        ui.label(format!(
            "{name}: {}{}",
            with_confidence(&p.predicted.name(&s.ws.dataset.classes), p.confidence),
            p.raw
                .as_deref()
                .map(|r| format!(", raw answer: {r}"))
                .unwrap_or_default()
        ));
    }
}

fn top_k_ui(ui: &mut egui::Ui, s: &Session, probs: &[f32]) {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    ui.strong("Dataset labels").on_hover_text(
        "Probabilities mapped onto the dataset's labels; `other` sums every model class that maps to no label",
    );
    for &k in order.iter().take(5) {
        let name =
            s.ws.dataset
                .classes
                .get(k)
                .cloned()
                .unwrap_or_else(|| "other".into());
        ui.add(
            egui::ProgressBar::new(probs[k])
                .desired_width(260.0)
                .text(format!("{name}: {:.1}%", probs[k] * 100.0)),
        );
    }
}

/// Original label, exclusion, tags (removable) and the sample's edit history, newest first.
fn edits_ui(
    ui: &mut egui::Ui,
    s: &Session,
    i: usize,
    label: crate::dataset::ClassId,
    out: &mut Vec<AppCommand>,
) {
    let smp = &s.ws.dataset.samples[i];
    let state = s.curation.state();
    let Some(e) = state.get(&smp.id.0) else {
        return;
    };
    if label != smp.label {
        ui.label(format!(
            "Original label: {}",
            s.ws.dataset.class_name(smp.label)
        ));
    }
    if let Some(reason) = &e.excluded {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Excluded: {reason}"));
    }
    if !e.tags.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("Tags:");
            for t in &e.tags {
                if ui
                    .button(format!("{t} ×"))
                    .on_hover_text("Remove this tag")
                    .clicked()
                {
                    out.push(AppCommand::RemoveTag(t.clone()));
                }
            }
        });
    }
    let history: Vec<_> = state.history_of(&smp.id.0).collect();
    if !history.is_empty() {
        egui::CollapsingHeader::new(format!("Edit history ({})", history.len()))
            .default_open(true)
            .show(ui, |ui| {
                for (k, edit) in history.iter().enumerate().rev() {
                    let others = edit.ids.len() - 1;
                    let bulk = if others > 0 {
                        format!(" (with {others} other samples)")
                    } else {
                        String::new()
                    };
                    ui.label(format!(
                        "{}. {}{bulk}",
                        k + 1,
                        super::prompts::describe(edit.action_on(&smp.id.0))
                    ));
                }
                ui.weak("Ctrl+Z undoes the most recent edit of the dataset.");
            });
    }
}

/// Draws the detected text boxes over the image (`rect` is where the image is drawn); lines of
/// text in orange, other regions faint.
/// The detector's text lines (orange); with `rejected`, also the boxes it dropped (faint blue).
fn text_boxes_ui(ui: &egui::Ui, rect: Rect, t: &crate::problems::text::TextResult, rejected: bool) {
    let opts = crate::problems::text::TextOptions::default();
    let sx = rect.width() / t.width.max(1) as f32;
    let sy = rect.height() / t.height.max(1) as f32;
    let lines: Vec<_> = t.lines(&opts).copied().collect();
    for b in &t.boxes {
        let r = Rect::from_min_max(
            rect.min + vec2(b.x0 * sx, b.y0 * sy),
            rect.min + vec2(b.x1 * sx, b.y1 * sy),
        );
        let is_line = lines.contains(b);
        if !is_line && !rejected {
            continue;
        }
        let color = if is_line {
            Color32::from_rgb(255, 140, 0)
        } else {
            Color32::from_rgba_unmultiplied(120, 160, 255, 90)
        };
        ui.painter().rect_stroke(
            r,
            0.0,
            egui::Stroke::new(if is_line { 2.0 } else { 1.0 }, color),
            egui::StrokeKind::Outside,
        );
    }
}

/// `"cat (87.3%)"`, or `"cat (no confidence)"` when the source gave none (a VLM without
/// logprobs, a file without a confidence column): never a made-up 0.0%.
fn with_confidence(name: &str, confidence: Option<f32>) -> String {
    match confidence {
        Some(c) => format!("{name} ({:.1}%)", c * 100.0),
        None => format!("{name} (no confidence)"),
    }
}

/// Which scoring made the shown confidence: a VLM's (scored along each label's tokens), or a
/// model's with its spec's temperature; `None` for a model's plain softmax.
fn confidence_source(s: &Session, has_confidence: bool) -> Option<String> {
    if let Some(cfg) = &s.predictions.vlm {
        return Some(if has_confidence {
            format!("Confidence: {}", cfg.scoring.describe())
        } else {
            "No confidence: the server sent no log-probabilities".into()
        });
    }
    let t = s.predictions.model.as_ref()?.spec.output.temperature?;
    Some(format!("Confidence calibrated: temperature {t:.3}"))
}
