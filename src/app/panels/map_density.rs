//! The map past [`DENSE_FROM`] points: drawn as one image the size of the canvas, each pixel
//! the mean colour of the points on it and more opaque the more points overlap there (log
//! scale), instead of a square per point (a million squares is 4 million vertices a frame).
//! Points outside the gallery's filter add a faint grey underneath.

use egui::{Color32, ColorImage, Pos2, Rect, TextureHandle, TextureOptions};

/// Maps with more points than this are drawn as a density image.
pub const DENSE_FROM: usize = 150_000;

/// Per-pixel sums, kept between frames (no allocation while panning), and the texture.
#[derive(Default)]
pub struct Density {
    size: [usize; 2],
    count: Vec<u32>,
    rgb: Vec<[u32; 3]>,
    faint: Vec<u32>,
    texture: Option<TextureHandle>,
}

impl Density {
    /// Starts a frame's image of `rect` at `pixels_per_point`.
    pub fn begin(&mut self, rect: Rect, pixels_per_point: f32) {
        let w = (rect.width() * pixels_per_point).round().max(1.0) as usize;
        let h = (rect.height() * pixels_per_point).round().max(1.0) as usize;
        self.size = [w, h];
        for v in [&mut self.count, &mut self.faint] {
            v.clear();
            v.resize(w * h, 0);
        }
        self.rgb.clear();
        self.rgb.resize(w * h, [0; 3]);
    }

    /// Adds a point at `at` (screen position relative to the canvas's top left, in pixels).
    pub fn add(&mut self, at: Pos2, colour: Color32, faint: bool) {
        let [w, h] = self.size;
        if !(at.x >= 0.0 && at.y >= 0.0) {
            return;
        }
        let (x, y) = (at.x as usize, at.y as usize);
        if x >= w || y >= h {
            return;
        }
        let i = y * w + x;
        if faint {
            self.faint[i] += 1;
        } else {
            self.count[i] += 1;
            let c = &mut self.rgb[i];
            c[0] += u32::from(colour.r());
            c[1] += u32::from(colour.g());
            c[2] += u32::from(colour.b());
        }
    }

    /// The image of what was added.
    pub fn image(&self) -> ColorImage {
        let most = self.count.iter().copied().max().unwrap_or(0).max(1);
        let scale = 1.0 / (1.0 + most as f32).ln().max(1e-6);
        let pixels = self
            .count
            .iter()
            .zip(&self.rgb)
            .zip(&self.faint)
            .map(|((&n, c), &f)| {
                if n > 0 {
                    let a = 0.45 + 0.55 * (1.0 + n as f32).ln() * scale;
                    let mean = |v: u32| (v / n) as u8;
                    Color32::from_rgba_unmultiplied(
                        mean(c[0]),
                        mean(c[1]),
                        mean(c[2]),
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

    /// Draws the image over `rect`.
    pub fn paint(&mut self, ctx: &egui::Context, painter: &egui::Painter, rect: Rect) {
        let image = self.image();
        let tex = match &mut self.texture {
            Some(t) => {
                t.set(image, TextureOptions::NEAREST);
                t
            }
            None => {
                self.texture
                    .insert(ctx.load_texture("map-density", image, TextureOptions::NEAREST))
            }
        };
        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
        painter.image(tex.id(), rect, uv, Color32::WHITE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_points_are_more_opaque_and_keep_their_mean_colour() {
        let mut d = Density::default();
        d.begin(Rect::from_min_size(Pos2::ZERO, egui::vec2(4.0, 2.0)), 1.0);
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
}
