//! The map past [`DENSE_FROM`] points: drawn as one image instead of a square per point (a
//! million squares is 4 million vertices a frame). Each pixel is the mean colour of the points
//! on it, more opaque the more points overlap there (log scale); points outside the gallery's
//! filter add a faint grey underneath. The image covers the whole map at the current zoom
//! (up to [`MAX_PIXELS`]), so panning moves it without drawing it again; it is drawn again
//! when the canvas, the colours, the filter or the map change, and when the zoom changes:
//! while it keeps changing (a wheel turning) the last image is stretched to the new zoom, and
//! drawn anew once the zoom has rested for [`SETTLE`] seconds. A new image is drawn on a
//! thread of its own (a million points take ~30 ms); until it is in, the last one is shown,
//! stretched to the current zoom.

use std::sync::Arc;

use egui::{Color32, ColorImage, Pos2, Rect, TextureHandle, TextureOptions, Vec2};

use crate::app::background::BackgroundJob;

/// Maps with more points than this are drawn as a density image.
pub const DENSE_FROM: usize = 150_000;

/// Largest image of the whole map, pixels (about 2.5 canvases of 1400x900 at 1 pixel per
/// point); zoomed in further, the image covers the canvas only and is drawn again as the map
/// pans.
pub const MAX_PIXELS: f32 = 2048.0 * 2048.0;

/// Seconds the zoom rests before the image is drawn anew at it.
pub const SETTLE: f64 = 0.15;

/// What a density image depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// The whole map's rectangle on screen with no pan.
    pub whole: Rect,
    /// The canvas.
    pub canvas: Rect,
    /// The pan (moves the image).
    pub pan: Vec2,
    /// Pixels per point.
    pub pixels_per_point: f32,
    /// Identifies the points, their colours and the filter.
    pub content: [u64; 7],
}

/// Per-pixel sums.
#[derive(Default)]
struct Raster {
    size: [usize; 2],
    /// Count, then the sums of red, green and blue, of the points in the filter.
    cells: Vec<[u32; 4]>,
    /// Points outside the filter.
    faint: Vec<u32>,
}

impl Raster {
    fn begin(&mut self, w: usize, h: usize) {
        self.size = [w, h];
        self.cells.clear();
        self.cells.resize(w * h, [0; 4]);
        self.faint.clear();
        self.faint.resize(w * h, 0);
    }

    /// Adds a point at pixel `at` of the image; whether it falls on the image.
    fn add(&mut self, at: Pos2, colour: Color32, faint: bool) -> bool {
        let [w, h] = self.size;
        if !(at.x >= 0.0 && at.y >= 0.0) {
            return false;
        }
        let (x, y) = (at.x as usize, at.y as usize);
        if x >= w || y >= h {
            return false;
        }
        let i = y * w + x;
        if faint {
            self.faint[i] += 1;
        } else {
            let c = &mut self.cells[i];
            c[0] += 1;
            c[1] += u32::from(colour.r());
            c[2] += u32::from(colour.g());
            c[3] += u32::from(colour.b());
        }
        true
    }

    fn image(&self) -> ColorImage {
        let most = self.cells.iter().map(|c| c[0]).max().unwrap_or(0).max(1);
        let scale = 1.0 / (1.0 + most as f32).ln().max(1e-6);
        let pixels = self
            .cells
            .iter()
            .zip(&self.faint)
            .map(|(c, &f)| {
                let n = c[0];
                if n > 0 {
                    let a = 0.45 + 0.55 * (1.0 + n as f32).ln() * scale;
                    let mean = |v: u32| (v / n) as u8;
                    Color32::from_rgba_unmultiplied(
                        mean(c[1]),
                        mean(c[2]),
                        mean(c[3]),
                        (a * 255.0) as u8,
                    )
                } else if f > 0 {
                    Color32::from_rgba_unmultiplied(150, 150, 150, 40)
                } else {
                    Color32::TRANSPARENT
                }
            })
            .collect();
        ColorImage::new(self.size, pixels)
    }
}

/// The image `w` x `h` pixels of `area` (points with no pan) at `ppp` pixels per point, and
/// how many points in the filter fall on it.
fn rasterize(w: usize, h: usize, area: Rect, ppp: f32, points: EachPoint) -> (ColorImage, usize) {
    let mut raster = Raster::default();
    raster.begin(w, h);
    let mut drawn = 0;
    points(&mut |at, colour, faint| {
        if raster.add(((at - area.min) * ppp).to_pos2(), colour, faint) && !faint {
            drawn += 1;
        }
    });
    (raster.image(), drawn)
}

/// The points of a density image, each as `add(position with no pan, colour, outside the
/// filter)`: owned (the positions and colours shared), to be drawn on a thread of its own.
pub type EachPoint = Box<dyn FnOnce(&mut dyn FnMut(Pos2, Color32, bool)) + Send>;

/// An image being drawn apart: the frame and area it is for, and the job (image, points drawn).
struct Pending {
    key: Frame,
    area: Rect,
    job: BackgroundJob<(ColorImage, usize)>,
}

/// The density image of a map, its texture and what it was made for.
#[derive(Default)]
pub struct Density {
    texture: Option<TextureHandle>,
    /// The image being drawn apart.
    pending: Option<Pending>,
    /// The frame the image was made for (pan zeroed when it covers the whole map) and the
    /// area it covers with no pan.
    made: Option<(Frame, Rect)>,
    /// Points in the filter the image holds.
    drawn: usize,
    /// When the frame last changed (egui's clock), to stretch the image while zooming.
    changed_at: f64,
}

impl Density {
    /// Draws the image of the points `each` gives (made by the caller only when asked for:
    /// when `frame` changed in more than its pan), made again on a thread of its own; until it
    /// is in, the last image stretched to `frame`.
    pub fn draw(
        &mut self,
        ctx: &egui::Context,
        painter: &egui::Painter,
        frame: &Frame,
        each: impl FnOnce() -> EachPoint,
    ) {
        if let Some(p) = &self.pending
            && let Some((image, drawn)) = p.job.poll()
        {
            match &mut self.texture {
                Some(t) => t.set(image, TextureOptions::NEAREST),
                None => {
                    self.texture =
                        Some(ctx.load_texture("map-density", image, TextureOptions::NEAREST));
                }
            }
            self.made = Some((p.key, p.area));
            self.drawn = drawn;
            self.pending = None;
        }
        let ppp = frame.pixels_per_point;
        let whole = frame.whole.expand(1.0);
        let fits = whole.width() * whole.height() * ppp * ppp <= MAX_PIXELS;
        let (key, area) = if fits {
            (
                Frame {
                    pan: Vec2::ZERO,
                    ..*frame
                },
                whole,
            )
        } else {
            (*frame, frame.canvas.translate(-frame.pan))
        };
        let now = ctx.input(|i| i.time);
        let zoom_only = self.made.is_some_and(|(k, _)| {
            k != key
                && k.canvas == key.canvas
                && k.pixels_per_point == key.pixels_per_point
                && k.content == key.content
        });
        if zoom_only && now - self.changed_at < SETTLE {
            // Still zooming: the last image, stretched to the new zoom.
            self.changed_at = now;
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(SETTLE));
            self.paint(painter, frame);
            return;
        }
        // One image drawing at a time: a frame that changes while one is drawn (a pan zoomed
        // in, where the image covers the canvas only) asks for the next once it is in.
        let current = self.made.is_some_and(|(k, _)| k == key);
        if !current && self.pending.is_none() {
            self.changed_at = now;
            let w = (area.width() * ppp).round().max(1.0) as usize;
            let h = (area.height() * ppp).round().max(1.0) as usize;
            let points = each();
            let c = ctx.clone();
            let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || c.request_repaint());
            let job = BackgroundJob::spawn("map-density", wake, move |_| {
                rasterize(w, h, area, ppp, points)
            });
            // A thread that cannot start leaves the last image (and the next frame tries again).
            self.pending = job.ok().map(|job| Pending { key, area, job });
        }
        self.paint(painter, frame);
    }

    /// Paints the last image at `frame`: where it was made for when `frame` differs only in its
    /// pan, else stretched from the zoom it was made at to the current one.
    fn paint(&self, painter: &egui::Painter, frame: &Frame) {
        let (Some(tex), Some((old, area))) = (&self.texture, self.made) else {
            return;
        };
        let (from, to) = (old.whole, frame.whole);
        let ratio = to.size() / from.size().max(Vec2::splat(1e-6));
        let at = |p: Pos2| to.min + (p - from.min) * ratio;
        let stretched = Rect::from_min_max(at(area.min), at(area.max));
        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
        painter.image(tex.id(), stretched.translate(frame.pan), uv, Color32::WHITE);
    }

    /// Whether an image is being drawn apart.
    pub fn is_drawing(&self) -> bool {
        self.pending.is_some()
    }

    /// Points in the filter the image holds.
    pub fn drawn(&self) -> usize {
        self.drawn
    }

    /// Whether the next [`Self::draw`] of `frame` reuses the image.
    #[cfg(test)]
    fn reuses(&self, frame: &Frame) -> bool {
        self.made.is_some_and(|(k, _)| {
            k == Frame {
                pan: Vec2::ZERO,
                ..*frame
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_points_are_more_opaque_and_keep_their_mean_colour() {
        let mut d = Raster::default();
        d.begin(4, 2);
        for _ in 0..9 {
            d.add(Pos2::new(0.5, 0.5), Color32::from_rgb(200, 0, 0), false);
            d.add(Pos2::new(0.5, 0.5), Color32::from_rgb(0, 0, 200), false);
        }
        d.add(Pos2::new(2.5, 1.5), Color32::from_rgb(0, 200, 0), false);
        d.add(Pos2::new(3.5, 0.5), Color32::RED, true);
        d.add(Pos2::new(-1.0, 0.5), Color32::RED, false);
        d.add(Pos2::new(9.0, 0.5), Color32::RED, false);
        let img = d.image();
        let px = |x: usize, y: usize| img.pixels[y * 4 + x].to_srgba_unmultiplied();
        let dense = px(0, 0);
        let single = px(2, 1);
        assert_eq!((dense[0], dense[2]), (100, 100));
        assert_eq!(dense[3], 255);
        assert!(single[3] < dense[3] && single[3] >= 114, "{single:?}");
        assert!(single[1].abs_diff(200) <= 2, "{single:?}");
        assert_eq!(px(3, 0)[3], 40, "a faint point outside the filter");
        assert_eq!(px(1, 0)[3], 0);
    }

    /// Draws `frame` until the image drawn apart is in.
    fn settle(d: &mut Density, ctx: &egui::Context, painter: &egui::Painter, frame: &Frame) {
        let start = std::time::Instant::now();
        while d.is_drawing() {
            assert!(start.elapsed().as_secs() < 30, "the image never came");
            std::thread::sleep(std::time::Duration::from_millis(1));
            d.draw(ctx, painter, frame, || unreachable!("one image at a time"));
        }
    }

    fn one_red_point() -> EachPoint {
        Box::new(|add| add(Pos2::new(50.0, 50.0), Color32::RED, false))
    }

    #[test]
    fn panning_reuses_the_image_and_zooming_makes_a_new_one() {
        let ctx = egui::Context::default();
        let painter = egui::Painter::new(
            ctx.clone(),
            egui::LayerId::background(),
            Rect::from_min_size(Pos2::ZERO, egui::vec2(100.0, 100.0)),
        );
        let frame = Frame {
            whole: Rect::from_min_size(Pos2::new(10.0, 10.0), egui::vec2(80.0, 80.0)),
            canvas: Rect::from_min_size(Pos2::ZERO, egui::vec2(100.0, 100.0)),
            pan: Vec2::ZERO,
            pixels_per_point: 1.0,
            content: [1, 2, 3, 4, 5, 6, 7],
        };
        let mut d = Density::default();
        let mut made = 0;
        d.draw(&ctx, &painter, &frame, || {
            made += 1;
            one_red_point()
        });
        assert!(d.is_drawing(), "drawn apart");
        assert!(!d.reuses(&frame), "not in yet");
        settle(&mut d, &ctx, &painter, &frame);
        assert_eq!(d.drawn(), 1);
        let panned = Frame {
            pan: egui::vec2(30.0, -5.0),
            ..frame
        };
        assert!(d.reuses(&panned));
        d.draw(&ctx, &painter, &panned, || {
            made += 1;
            one_red_point()
        });
        assert_eq!(made, 1, "a pan draws the same image elsewhere");
        assert!(!d.is_drawing());
        let zoomed = Frame {
            whole: frame.whole.expand(20.0),
            ..frame
        };
        assert!(!d.reuses(&zoomed));
        d.draw(&ctx, &painter, &zoomed, || {
            made += 1;
            one_red_point()
        });
        assert_eq!(made, 1, "while the zoom moves, the last image is stretched");
        d.changed_at -= 2.0 * SETTLE;
        d.draw(&ctx, &painter, &zoomed, || {
            made += 1;
            one_red_point()
        });
        assert_eq!(made, 2, "once the zoom rests, it is drawn anew");
        let recoloured = Frame {
            content: [1, 2, 3, 4, 5, 6, 8],
            ..zoomed
        };
        settle(&mut d, &ctx, &painter, &zoomed);
        assert!(d.reuses(&zoomed), "the zoomed image came in");
        d.draw(&ctx, &painter, &recoloured, || {
            made += 1;
            one_red_point()
        });
        assert_eq!(made, 3, "new colours at once");
        settle(&mut d, &ctx, &painter, &recoloured);
        assert!(d.reuses(&recoloured));
    }
}
