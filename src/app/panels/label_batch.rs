//! The Label view: the labelling batch one image at a time, large, with the model's top 3 and
//! the nearest labelled samples beside it. Number keys (or the buttons) give a label, `N` marks
//! the image a negative (none of the classes), `S` skips it, the arrows move, Ctrl+Z takes the
//! last decision back. Every label is one journaled edit.

use std::path::{Path, PathBuf};

use egui::{Color32, ColorImage, Key, Sense, TextureHandle, TextureOptions, vec2};

use super::super::commands::AppCommand;
use super::super::jobs::{Finished, JobKind};
use super::super::keys::DIGIT_KEYS;
use super::super::session::{Decision, LabelBatch, Session};
use super::super::thumbnails::Thumbnails;
use super::job_progress::{default_text, job_progress_ui};

/// Longest side the batch's image is decoded at.
const IMAGE_PX: u32 = 768;
/// Side of a neighbour's thumbnail.
const THUMB: f32 = 72.0;

/// The shown image's texture (one at a time; decoded off the UI thread).
#[derive(Default)]
pub struct BatchView {
    path: Option<PathBuf>,
    texture: Option<TextureHandle>,
    error: Option<String>,
}

impl BatchView {
    /// Starts decoding the batch's shown image unless it is the one shown (each frame, before
    /// drawing).
    pub fn load_shown(&mut self, s: &mut Session) {
        let Some(path) = s
            .batch
            .as_ref()
            .and_then(|b| b.items.get(b.cursor))
            .map(|i| i.path.clone())
        else {
            return;
        };
        self.load(s, &path);
    }

    fn load(&mut self, s: &mut Session, path: &Path) {
        if self.path.as_deref() == Some(path) {
            return;
        }
        *self = Self {
            path: Some(path.to_path_buf()),
            ..Self::default()
        };
        let p = path.to_path_buf();
        if let Err(e) = s.jobs.start(JobKind::BatchImage, move |_| {
            let r = super::super::thumbnails::load_thumbnail(&p, IMAGE_PX);
            Finished::BatchImage(p, r)
        }) {
            self.error = Some(e);
        }
    }

    /// Shows the decoded image of `path` (dropped when another is shown by now).
    pub fn finish(&mut self, ctx: &egui::Context, path: &Path, r: Result<ColorImage, String>) {
        if self.path.as_deref() != Some(path) {
            return;
        }
        match r {
            Ok(img) => {
                self.texture = Some(ctx.load_texture(
                    "batch-image",
                    img,
                    TextureOptions {
                        magnification: egui::TextureFilter::Nearest,
                        minification: egui::TextureFilter::Linear,
                        ..TextureOptions::LINEAR
                    },
                ));
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// The keys of the Label view: digits label, N negative, S skip, arrows move, Ctrl+Z undo,
/// Esc back to the gallery.
pub fn label_keys(ctx: &egui::Context, s: &Session, out: &mut Vec<AppCommand>) {
    if ctx.text_edit_focused() || egui::Popup::is_any_open(ctx) {
        return;
    }
    let Some(b) = &s.batch else { return };
    let with = |k: Key| super::super::keys::pressed_with(ctx, k);
    if with(Key::Z).is_some_and(|m| m.command && !m.shift) {
        out.push(AppCommand::BatchUndo);
        return;
    }
    // Plain keys: pressed without Ctrl/Cmd.
    let pressed = |k: Key| with(k).is_some_and(|m| !m.command);
    for (k, key) in DIGIT_KEYS.iter().enumerate() {
        if pressed(*key)
            && let Some(label) = s.ws.dataset.classes.get(k)
            && !b.items.is_empty()
        {
            out.push(AppCommand::BatchDecide(Decision::Label(label.clone())));
        }
    }
    if pressed(Key::N) {
        out.push(AppCommand::BatchDecide(Decision::Negative));
    }
    if pressed(Key::S) {
        out.push(AppCommand::BatchDecide(Decision::Skip));
    }
    if pressed(Key::ArrowRight) {
        out.push(AppCommand::BatchStep(1));
    }
    if pressed(Key::ArrowLeft) {
        out.push(AppCommand::BatchStep(-1));
    }
    if pressed(Key::Escape) {
        out.push(AppCommand::ShowView(
            super::super::layout::CentralView::Gallery,
        ));
    }
}

/// Draws the Label view.
pub fn label_batch_ui(
    ui: &mut egui::Ui,
    s: &Session,
    view: &mut BatchView,
    thumbs: &mut Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    let Some(b) = &s.batch else {
        ui.label(
            "No labelling batch: File > Label a selection… opens the CSV `labelscope select` \
             wrote, or File > Label the samples tagged to-label.",
        );
        return;
    };
    let Some(item) = b.items.get(b.cursor) else {
        return;
    };
    header_ui(ui, s, b, out);
    job_progress_ui(
        ui,
        &s.jobs,
        JobKind::Hints,
        240.0,
        "Stop reading the batch's images",
        default_text,
        out,
    );
    ui.separator();
    let side = (ui.available_width() * 0.42).clamp(260.0, 420.0);
    ui.horizontal_top(|ui| {
        let size = vec2(
            (ui.available_width() - side - 12.0).max(160.0),
            (ui.available_height() - 8.0).max(160.0),
        );
        image_ui(ui, view, size, item.path.as_path());
        ui.vertical(|ui| {
            ui.set_width(side);
            egui::ScrollArea::vertical()
                .id_salt("batch-side")
                .show(ui, |ui| side_ui(ui, s, b, thumbs, out));
        });
    });
}

fn header_ui(ui: &mut egui::Ui, s: &Session, b: &LabelBatch, out: &mut Vec<AppCommand>) {
    let (labelled, negatives, skipped) = b.counts();
    let decided = labelled + negatives + skipped;
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("Labelling {}", b.source));
        ui.label(format!(
            "image {} of {} · {labelled} labelled, {negatives} negatives, {skipped} skipped",
            b.cursor + 1,
            b.items.len()
        ));
        if ui
            .button("Previous")
            .on_hover_text("The previous image (Left arrow)")
            .clicked()
        {
            out.push(AppCommand::BatchStep(-1));
        }
        if ui
            .button("Next")
            .on_hover_text("The next image (Right arrow)")
            .clicked()
        {
            out.push(AppCommand::BatchStep(1));
        }
        if ui
            .add_enabled(!b.history.is_empty(), egui::Button::new("Undo"))
            .on_hover_text("Take back the last decision (Ctrl+Z)")
            .clicked()
        {
            out.push(AppCommand::BatchUndo);
        }
        let finish = if b.added > 0 {
            format!("Done: open the dataset with the {} added", b.added)
        } else {
            "Done".to_string()
        };
        if ui
            .button(finish)
            .on_hover_text(
                "Close the batch. Images given a label join the dataset by reference (nothing is copied): it is opened again with them, and the model's cached predictions come back at once",
            )
            .clicked()
        {
            out.push(AppCommand::FinishBatch);
        }
    });
    ui.add(
        egui::ProgressBar::new(decided as f32 / b.items.len().max(1) as f32).desired_height(6.0),
    );
    if let Some(n) = &b.hints_note {
        ui.weak(n);
    }
    let _ = s;
}

fn image_ui(ui: &mut egui::Ui, view: &BatchView, size: egui::Vec2, path: &Path) {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    ui.painter()
        .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    match (&view.texture, &view.error) {
        (Some(tex), _) => {
            let ts = tex.size_vec2();
            let scale = (rect.width() / ts.x).min(rect.height() / ts.y);
            egui::Image::new((tex.id(), ts * scale))
                .paint_at(ui, egui::Rect::from_center_size(rect.center(), ts * scale));
        }
        (None, Some(e)) => {
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                format!("cannot show {}: {e}", path.display()),
                egui::FontId::proportional(14.0),
                ui.visuals().error_fg_color,
            );
        }
        (None, None) => {}
    }
}

fn side_ui(
    ui: &mut egui::Ui,
    s: &Session,
    b: &LabelBatch,
    thumbs: &mut Thumbnails,
    out: &mut Vec<AppCommand>,
) {
    let ds = &s.ws.dataset;
    let item = &b.items[b.cursor];
    let name = item
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    ui.strong(&name)
        .on_hover_text(item.path.display().to_string());
    match item.sample {
        Some(i) => ui.weak(format!(
            "a sample of the dataset, labelled {}",
            ds.class_name(crate::app::sample_query::label_of(
                ds,
                s.curation.truth(),
                i
            ))
        )),
        None => ui.weak("a pool image: a label adds it to the dataset by reference"),
    };
    if let Some(r) = &item.reason {
        ui.label(format!("Chosen: {r}"));
    }
    match &b.decided[b.cursor] {
        Some(Decision::Label(l)) => {
            ui.colored_label(Color32::from_rgb(80, 190, 110), format!("Labelled {l}"))
        }
        Some(Decision::Negative) => ui.colored_label(
            Color32::from_rgb(220, 170, 60),
            "Negative: none of the classes",
        ),
        Some(Decision::Skip) => ui.weak("Skipped"),
        None => ui.label(" "),
    };
    ui.separator();
    let key_of = |c: usize| match c {
        0..=8 => format!("{}", c + 1),
        9 => "0".into(),
        _ => " ".into(),
    };
    let hints = b.hints.get(b.cursor).cloned().flatten();
    ui.label("The model's top 3");
    match &hints {
        Some(h) if !h.top.is_empty() => {
            for &(c, p) in &h.top {
                let label = ds.class_name(c);
                let text = format!("{}  {label}  {:.0}%", key_of(c.index()), p * 100.0);
                if ui
                    .add_sized([ui.available_width(), 26.0], egui::Button::new(text))
                    .on_hover_text(format!("Label it {label}"))
                    .clicked()
                {
                    out.push(AppCommand::BatchDecide(Decision::Label(label.to_string())));
                }
            }
        }
        Some(h) => {
            ui.weak(h.failed.as_deref().unwrap_or("no probabilities"));
        }
        None => {
            ui.weak("…");
        }
    }
    ui.add_space(6.0);
    ui.label("Every label");
    // Sized to their text and wrapped: no label is cut short at any width.
    ui.horizontal_wrapped(|ui| {
        for (c, label) in ds.classes.iter().enumerate() {
            if ui
                .button(format!("{}  {label}", key_of(c)))
                .on_hover_text(format!("Label it {label}"))
                .clicked()
            {
                out.push(AppCommand::BatchDecide(Decision::Label(label.clone())));
            }
        }
    });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui
            .button("N  None of these")
            .on_hover_text("A negative: an image of none of the classes (export --negatives NAME writes them as a class of their own)")
            .clicked()
        {
            out.push(AppCommand::BatchDecide(Decision::Negative));
        }
        if ui.button("S  Skip").on_hover_text("Leave it for later (no edit)").clicked() {
            out.push(AppCommand::BatchDecide(Decision::Skip));
        }
    });
    ui.separator();
    ui.label("Nearest labelled samples");
    let neighbours = hints.map(|h| h.neighbours).unwrap_or_default();
    if neighbours.is_empty() {
        ui.weak("none (the dataset needs embeddings from the same model)");
        return;
    }
    // No gallery is drawn beside this view: the neighbours are the whole request.
    thumbs.request(
        neighbours
            .iter()
            .map(|&(j, _)| (j, ds.samples[j].path.clone()))
            .collect(),
    );
    // Rows of as many as fit (a wrapped layout does not wrap child layouts).
    let spacing = ui.spacing().item_spacing.x;
    let per_row = (((ui.available_width() + spacing) / (THUMB + spacing)) as usize).max(1);
    for row in neighbours.chunks(per_row) {
        ui.horizontal(|ui| {
            for &(j, sim) in row {
                ui.vertical(|ui| {
                    ui.set_width(THUMB);
                    let (rect, resp) = ui.allocate_exact_size(vec2(THUMB, THUMB), Sense::click());
                    super::similar_strip::paint_fitted(ui, rect, thumbs.get(j));
                    let label = ds.class_name(crate::app::sample_query::label_of(
                        ds,
                        s.curation.truth(),
                        j,
                    ));
                    let text =
                        format!("{label} (similarity {sim:.2}): click to label this image {label}");
                    let resp = resp.on_hover_text(&text);
                    resp.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, &text)
                    });
                    if resp.clicked() {
                        out.push(AppCommand::BatchDecide(Decision::Label(label.to_string())));
                    }
                    ui.small(label);
                    ui.small(format!("{sim:.2}"));
                });
            }
        });
    }
}
