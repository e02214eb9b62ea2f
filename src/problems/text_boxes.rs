//! The text detector's output made into lines of text: the probability map turned into boxes
//! the way PaddleOCR does (threshold, connected regions, mean-probability score, unclip), each
//! box with its region's own axes, mapped back to image pixels, and the rule for what counts as
//! a line (sure, and level or tilted line-shaped).

use serde::{Deserialize, Serialize};

use crate::model::preprocess::geometry;
use crate::model::spec::InputSpec;
/// Detection settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextOptions {
    /// Side of the square the image is letterboxed into (a multiple of 32); `None` picks
    /// 2.3x the dataset's first image's longer side, between 128 and 736.
    pub input_size: Option<u32>,
    /// Probability above which a pixel is text (PaddleOCR: 0.3).
    pub bin_thresh: f32,
    /// Mean probability a region needs to be a box (PaddleOCR: 0.6; 0.5 here).
    pub box_thresh: f32,
    /// Smallest box side kept, in input pixels.
    pub min_side: f32,
    /// A text line is at least this many times longer than thick.
    pub min_elongation: f32,
    /// A text line is at most this fraction of the image thick.
    pub max_thickness: f32,
    /// A line counts when the detector's mean probability over it is at least this.
    pub line_score: f32,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            input_size: None,
            bin_thresh: 0.3,
            box_thresh: 0.5,
            min_side: 3.0,
            min_elongation: 2.0,
            max_thickness: 0.3,
            line_score: LINE_SCORE,
        }
    }
}

/// The mean probability a line needs. Measured on `tests/fixtures/text_photos` (24 clean
/// photos, 12 of them fine textures, and the same with text; `scripts/make_text_photos.py`):
/// drawn text scored 0.95-0.98 except one faint corner watermark (0.81); the clean photos'
/// line-shaped regions scored 0.58-0.92, the ones over 0.85 on engraved coins.
pub const LINE_SCORE: f32 = 0.85;

/// One detected text box in image pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextBox {
    /// Left.
    pub x0: f32,
    /// Top.
    pub y0: f32,
    /// Right.
    pub x1: f32,
    /// Bottom.
    pub y1: f32,
    /// Mean text probability inside the region.
    pub score: f32,
    /// Length of the region along its main axis (for a tilted line: its length), in the same
    /// pixels as the box; 0 in detections cached before it was measured.
    #[serde(default)]
    pub along: f32,
    /// Its thickness across that axis.
    #[serde(default)]
    pub across: f32,
}

/// Text found in one image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextResult {
    /// Boxes, largest first.
    pub boxes: Vec<TextBox>,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
}

impl TextResult {
    /// The boxes shaped like lines of text (level, or tilted), confidently detected.
    pub fn lines<'a>(&'a self, opts: &'a TextOptions) -> impl Iterator<Item = &'a TextBox> + 'a {
        let (w, h) = (self.width.max(1) as f32, self.height.max(1) as f32);
        self.boxes.iter().filter(move |b| {
            let (bw, bh) = (b.x1 - b.x0, b.y1 - b.y0);
            let thick = if bw >= bh { bh / h } else { bw / w };
            let level =
                bw.max(bh) >= opts.min_elongation * bw.min(bh) && thick <= opts.max_thickness;
            // A tilted line (a diagonal watermark) has a squarish box but a long thin region.
            let tilted = b.across > 0.0
                && b.along >= opts.min_elongation * b.across
                && b.across / w.min(h) <= opts.max_thickness;
            (level || tilted) && b.score >= opts.line_score
        })
    }

    /// Fraction of the image covered by text lines (the ranking score).
    pub fn score(&self, opts: &TextOptions) -> f32 {
        // A tilted line covers its own length times thickness, not its box.
        let area: f32 = self
            .lines(opts)
            .map(|b| {
                let boxed = (b.x1 - b.x0) * (b.y1 - b.y0);
                if b.across > 0.0 {
                    boxed.min(b.along * b.across)
                } else {
                    boxed
                }
            })
            .sum();
        (area / (self.width.max(1) * self.height.max(1)) as f32).min(1.0)
    }

    /// Whether the image carries a line of text.
    pub fn flagged(&self, opts: &TextOptions) -> bool {
        self.lines(opts).next().is_some()
    }
}

/// Boxes in a `size x size` probability map: pixels over `bin_thresh`, 8-connected regions,
/// each scored by its mean probability and kept when it scores `box_thresh` and both sides are
/// at least `min_side`; each box is grown like PaddleOCR's unclip (by area * 1.5 / perimeter).
/// Coordinates are in map pixels.
pub fn db_boxes(map: &[f32], size: usize, opts: &TextOptions) -> Vec<TextBox> {
    let mut seen = vec![false; map.len()];
    let mut boxes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..map.len().min(size * size) {
        if seen[start] || map[start] < opts.bin_thresh {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let (mut sum, mut n) = (0.0f32, 0usize);
        let mut m = [0.0f64; 5]; // sums of x, y, xx, yy, xy
        while let Some(p) = stack.pop() {
            let (x, y) = (p % size, p / size);
            let (fx, fy) = (x as f64, y as f64);
            m[0] += fx;
            m[1] += fy;
            m[2] += fx * fx;
            m[3] += fy * fy;
            m[4] += fx * fy;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            sum += map[p];
            n += 1;
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= size as i64 || ny >= size as i64 {
                        continue;
                    }
                    let q = ny as usize * size + nx as usize;
                    if !seen[q] && map[q] >= opts.bin_thresh {
                        seen[q] = true;
                        stack.push(q);
                    }
                }
            }
        }
        let (w, h) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
        let score = sum / n as f32;
        if score < opts.box_thresh || w.min(h) < opts.min_side {
            continue;
        }
        let grow = w * h * 1.5 / (2.0 * (w + h));
        // The region's own sides, grown like the box but by its own area and perimeter (a
        // tilted line's box is much larger than the line).
        let (along, across) = axes(&m, n);
        let grow_line = along * across * 1.5 / (2.0 * (along + across));
        boxes.push(TextBox {
            x0: x0 as f32 - grow,
            y0: y0 as f32 - grow,
            x1: x1 as f32 + 1.0 + grow,
            y1: y1 as f32 + 1.0 + grow,
            score,
            along: along + 2.0 * grow_line,
            across: across + 2.0 * grow_line,
        });
    }
    boxes
}

/// The lengths along and across the main axis of a region of `n` pixels with moment sums `m`
/// (x, y, xx, yy, xy): a filled rectangle's sides (sqrt(12 x variance) per axis).
fn axes(m: &[f64; 5], n: usize) -> (f32, f32) {
    let n = n.max(1) as f64;
    let (mx, my) = (m[0] / n, m[1] / n);
    let (vxx, vyy, vxy) = (m[2] / n - mx * mx, m[3] / n - my * my, m[4] / n - mx * my);
    let half = (vxx + vyy) / 2.0;
    let spread = (((vxx - vyy) / 2.0).powi(2) + vxy * vxy).sqrt();
    // A one-pixel-wide row still has a pixel's thickness: variance 1/12 per pixel.
    let side = |v: f64| ((12.0 * v.max(0.0)) + 1.0).sqrt() as f32;
    (side(half + spread), side(half - spread))
}

/// Maps boxes from the letterboxed input back to a `w x h` image and measures their coverage.
pub fn to_image(boxes: Vec<TextBox>, w: u32, h: u32, input: &InputSpec) -> TextResult {
    let g = geometry(w, h, input);
    let scale = g.scaled.0 as f32 / w.max(1) as f32;
    let (ox, oy) = (g.offset.0 as f32, g.offset.1 as f32);
    let (fw, fh) = (w as f32, h as f32);
    let mut out: Vec<TextBox> = boxes
        .into_iter()
        .map(|b| TextBox {
            x0: ((b.x0 - ox) / scale).clamp(0.0, fw),
            y0: ((b.y0 - oy) / scale).clamp(0.0, fh),
            x1: ((b.x1 - ox) / scale).clamp(0.0, fw),
            y1: ((b.y1 - oy) / scale).clamp(0.0, fh),
            score: b.score,
            along: b.along / scale,
            across: b.across / scale,
        })
        .filter(|b| b.x1 > b.x0 && b.y1 > b.y0)
        .collect();
    let area = |b: &TextBox| (b.x1 - b.x0) * (b.y1 - b.y0);
    out.sort_by(|a, b| area(b).total_cmp(&area(a)));
    TextResult {
        boxes: out,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_region_becomes_one_grown_box_and_weak_regions_are_dropped() {
        let size = 32;
        let mut map = vec![0.0f32; size * size];
        for y in 10..14 {
            for x in 4..20 {
                map[y * size + x] = 0.9;
            }
        }
        // A faint blob: over the binary threshold but under the box threshold.
        for y in 25..29 {
            for x in 25..29 {
                map[y * size + x] = 0.35;
            }
        }
        let boxes = db_boxes(&map, size, &TextOptions::default());
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        assert!((b.score - 0.9).abs() < 1e-5);
        // 16 x 4 region, grown by 16*4*1.5 / 40 = 2.4 on each side.
        assert!((b.x0 - (4.0 - 2.4)).abs() < 1e-4 && (b.x1 - (20.0 + 2.4)).abs() < 1e-4);
        assert!((b.y0 - (10.0 - 2.4)).abs() < 1e-4 && (b.y1 - (14.0 + 2.4)).abs() < 1e-4);
    }

    #[test]
    fn only_line_shaped_boxes_count_as_text() {
        let b = |x0: f32, y0: f32, x1: f32, y1: f32| TextBox {
            x0,
            y0,
            x1,
            y1,
            score: 0.9,
            along: 0.0,
            across: 0.0,
        };
        let opts = TextOptions::default();
        let blob = TextResult {
            boxes: vec![b(10.0, 10.0, 90.0, 100.0)],
            width: 112,
            height: 112,
        };
        assert!(!blob.flagged(&opts), "a garment-shaped region is not text");
        let line = TextResult {
            boxes: vec![b(10.0, 10.0, 90.0, 100.0), b(5.0, 95.0, 105.0, 110.0)],
            width: 112,
            height: 112,
        };
        assert!(line.flagged(&opts));
        assert_eq!(line.lines(&opts).count(), 1);
        assert!((line.score(&opts) - 1500.0 / 12544.0).abs() < 1e-6);
    }

    #[test]
    fn a_tilted_line_counts_and_an_unsure_one_does_not() {
        // A 40 x 4 band at 30 degrees in a 64 x 64 map: its box is squarish, its region long.
        let size = 64;
        let mut map = vec![0.0f32; size * size];
        let (c, s) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        for y in 0..size {
            for x in 0..size {
                let (dx, dy) = (x as f32 - 32.0, y as f32 - 32.0);
                let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
                if u.abs() <= 20.0 && v.abs() <= 2.0 {
                    map[y * size + x] = 0.95;
                }
            }
        }
        let opts = TextOptions::default();
        let boxes = db_boxes(&map, size, &opts);
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        let (bw, bh) = (b.x1 - b.x0, b.y1 - b.y0);
        assert!(bw < 2.0 * bh, "the box is squarish: {b:?}");
        let result = TextResult {
            boxes: boxes.clone(),
            width: 64,
            height: 64,
        };
        assert!(result.flagged(&opts), "{b:?}");
        let unsure = TextResult {
            boxes: boxes.iter().map(|b| TextBox { score: 0.7, ..*b }).collect(),
            width: 64,
            height: 64,
        };
        assert!(!unsure.flagged(&opts));
    }
}
