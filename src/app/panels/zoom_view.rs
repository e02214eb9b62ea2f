//! The detail view's image: the wheel zooms about the cursor, a drag pans, a double-click or
//! `F` fits the image, "1:1" shows one image pixel per screen pixel, and the level is shown.
//! The geometry is plain data ([`ZoomView`]) so it is tested without a window.

use egui::{Color32, Pos2, Rect, Vec2, vec2};

/// Smallest and largest zoom (screen pixels per image pixel).
const ZOOM_RANGE: (f32, f32) = (0.02, 32.0);

/// Zoom and pan of one image in a view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZoomView {
    /// Screen pixels per image pixel.
    pub zoom: f32,
    /// Where the image's top-left corner is, relative to the view's top-left corner.
    pub pan: Vec2,
    /// Whether the view follows the view size (fitted until the user zooms or pans).
    pub fitted: bool,
}

impl ZoomView {
    /// The whole image, as large as fits, centred.
    pub fn fit(view: Vec2, image: Vec2) -> Self {
        let zoom = (view.x / image.x.max(1.0))
            .min(view.y / image.y.max(1.0))
            .clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
        Self {
            zoom,
            pan: (view - image * zoom) / 2.0,
            fitted: true,
        }
    }

    /// Multiplies the zoom by `factor`, keeping the image point under `cursor` (view
    /// coordinates) where it is.
    pub fn zoom_about(&mut self, cursor: Vec2, factor: f32) {
        let zoom = (self.zoom * factor).clamp(ZOOM_RANGE.0, ZOOM_RANGE.1);
        let image_point = (cursor - self.pan) / self.zoom;
        self.pan = cursor - image_point * zoom;
        self.zoom = zoom;
        self.fitted = false;
    }

    /// One image pixel per screen pixel, about the view's centre.
    pub fn one_to_one(&mut self, view: Vec2) {
        self.zoom_about(view / 2.0, 1.0 / self.zoom);
    }

    /// Moves the image by `delta` screen pixels.
    pub fn pan_by(&mut self, delta: Vec2) {
        self.pan += delta;
        self.fitted = false;
    }

    /// Where the image is drawn in a view whose top-left corner is `origin`.
    pub fn image_rect(&self, origin: Pos2, image: Vec2) -> Rect {
        Rect::from_min_size(origin + self.pan, image * self.zoom)
    }
}

/// Draws `texture` (of `image` pixels) into a `height`-high view of the available width with
/// `state`'s zoom and pan, handling Ctrl+wheel and pinch (and the plain wheel when
/// `wheel_zooms`: the view is not inside something the wheel scrolls), drag, double-click and
/// `F`; `overlay` draws on top in image coordinates mapped to the returned image rectangle.
pub fn zoom_view_ui(
    ui: &mut egui::Ui,
    texture: egui::TextureId,
    image: Vec2,
    height: f32,
    state: &mut Option<ZoomView>,
    wheel_zooms: bool,
    overlay: impl FnOnce(&egui::Ui, Rect),
) -> egui::Response {
    let mut one_to_one = false;
    // Before the view is drawn (its first frame, after Fit) the level shown is the fit's, the
    // view's size being the width below the row by `height`.
    let fit_here = ZoomView::fit(vec2(ui.available_width(), height), image);
    ui.horizontal(|ui| {
        let level = match state {
            Some(z) if !z.fitted => z.zoom * 100.0,
            _ => fit_here.zoom * 100.0,
        };
        ui.label(format!("Zoom {level:.0}%"))
            .on_hover_text("Ctrl+wheel or pinch (the wheel alone when the panel does not scroll): zoom about the cursor · drag: pan · double-click or F: fit");
        if ui
            .button("Fit")
            .on_hover_text("Double-click or F")
            .clicked()
        {
            *state = None;
        }
        if ui
            .button("1:1")
            .on_hover_text("One image pixel per screen pixel")
            .clicked()
        {
            one_to_one = true;
        }
    });
    let (rect, response) = ui.allocate_exact_size(
        vec2(ui.available_width(), height),
        egui::Sense::click_and_drag(),
    );
    let fit = ZoomView::fit(rect.size(), image);
    let view = state.get_or_insert(fit);
    if view.fitted {
        *view = fit;
    }
    if one_to_one {
        // About the centre of the view itself (the button row is narrower).
        view.one_to_one(rect.size());
    }
    let f_pressed = !ui.ctx().text_edit_focused() && ui.input(|i| i.key_pressed(egui::Key::F));
    if response.double_clicked() || f_pressed {
        *view = fit;
    }
    if response.dragged() {
        view.pan_by(response.drag_delta());
    }
    if let Some(cursor) = response.hover_pos() {
        // Ctrl+wheel and pinch zoom (egui reports both as the zoom delta); the plain wheel
        // zooms only when it would scroll nothing, else it scrolls the panel past the image.
        let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let wheel = if wheel_zooms {
            (scroll / 200.0).exp()
        } else {
            1.0
        };
        let factor = wheel * pinch;
        if (factor - 1.0).abs() > 1e-4 {
            view.zoom_about(cursor - rect.min, factor);
            if wheel_zooms {
                ui.input_mut(|i| i.smooth_scroll_delta = Vec2::ZERO);
            }
        }
    }
    let image_rect = view.image_rect(rect.min, image);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
    painter.image(texture, image_rect, uv, Color32::WHITE);
    let mut clipped = ui.new_child(egui::UiBuilder::new().max_rect(rect));
    clipped.set_clip_rect(rect);
    overlay(&clipped, image_rect);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_shows_the_whole_image_centred() {
        let z = ZoomView::fit(Vec2::new(400.0, 300.0), Vec2::new(800.0, 200.0));
        assert_eq!(z.zoom, 0.5);
        assert_eq!(z.pan, Vec2::new(0.0, 100.0));
    }

    #[test]
    fn zooming_keeps_the_point_under_the_cursor_in_place() {
        let mut z = ZoomView::fit(Vec2::new(400.0, 300.0), Vec2::new(400.0, 300.0));
        let cursor = Vec2::new(100.0, 50.0);
        let before = (cursor - z.pan) / z.zoom;
        for _ in 0..5 {
            z.zoom_about(cursor, 1.3);
        }
        let after = (cursor - z.pan) / z.zoom;
        assert!((before - after).length() < 1e-3, "{before:?} {after:?}");
        assert!((z.zoom - 1.3f32.powi(5)).abs() < 1e-4);
        assert!(!z.fitted);
        z.zoom_about(cursor, 1e6);
        assert_eq!(z.zoom, ZOOM_RANGE.1, "zoom is clamped");
    }

    #[test]
    fn one_to_one_is_one_image_pixel_per_screen_pixel() {
        let mut z = ZoomView::fit(Vec2::new(200.0, 200.0), Vec2::new(1000.0, 1000.0));
        z.one_to_one(Vec2::new(200.0, 200.0));
        assert!((z.zoom - 1.0).abs() < 1e-6);
        // The image point at the view's centre stays there: the middle of the image.
        let centre = (Vec2::new(100.0, 100.0) - z.pan) / z.zoom;
        assert!((centre - Vec2::new(500.0, 500.0)).length() < 1e-3);
    }
}
