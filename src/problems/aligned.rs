//! Near copies confirmed in pixels: a 32x32 greyscale signature of every image, and the best
//! alignment of two signatures over mirroring, scaling (crops up to a fifth) and shifts (up to
//! an eighth of the side). A classifier's embedding is built to ignore what makes an image a
//! copy (a small CNN puts every plain T-shirt at one point), so its neighbours only propose
//! candidates; an image is a copy of a candidate that its pixels match far better than any
//! other candidate's.

use std::borrow::Cow;

use rayon::prelude::*;

pub use super::signature::{SIDE, Signature, signature};
use crate::embed::knn::Neighbour;

const MARGIN: usize = 4;
const SCALES: [f32; 7] = [0.8, 0.857, 0.926, 1.0, 1.08, 1.167, 1.25];

/// How one image best lines up with another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alignment {
    /// 1 - the normalised correlation of the overlapping pixels (0: identical up to brightness
    /// and contrast).
    pub residual: f32,
    /// The other image was mirrored left to right.
    pub mirrored: bool,
    /// The other image was magnified by this factor (above 1: it shows more around the subject).
    pub scale: f32,
    /// Shift in signature pixels (of 32), to the quarter pixel.
    pub shift: (f32, f32),
}

impl Alignment {
    /// "mirrored, scaled 1.17x, shifted 2,1 px of 32" (empty when none applied).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.mirrored {
            parts.push("mirrored".to_string());
        }
        if self.scale != 1.0 {
            parts.push(format!("scaled {:.2}x", self.scale));
        }
        if self.shift != (0.0, 0.0) {
            parts.push(format!(
                "shifted {},{} px of {SIDE}",
                self.shift.0, self.shift.1
            ));
        }
        parts.join(", ")
    }
}

fn to_float(s: &Signature) -> Vec<f32> {
    s.0.iter().map(|&v| v as f32).collect()
}

/// `img` (side `SIDE`) magnified by `scale` about its centre, mirrored when asked and moved
/// by `(tx, ty)` pixels, sampled bilinearly with the border repeated.
fn variant(img: &[f32], scale: f32, mirrored: bool, (tx, ty): (f32, f32)) -> Vec<f32> {
    let c = (SIDE as f32 - 1.0) / 2.0;
    let last = SIDE as f32 - 1.0;
    let mut out = vec![0.0; SIDE * SIDE];
    for y in 0..SIDE {
        let sy = (c + (y as f32 - ty - c) / scale).clamp(0.0, last);
        let y0 = (sy.floor() as usize).min(SIDE - 2);
        let fy = sy - y0 as f32;
        for x in 0..SIDE {
            let mut sx = (c + (x as f32 - tx - c) / scale).clamp(0.0, last);
            if mirrored {
                sx = last - sx;
            }
            let x0 = (sx.floor() as usize).min(SIDE - 2);
            let fx = sx - x0 as f32;
            let at = |yy: usize, xx: usize| img[yy * SIDE + xx];
            let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1) * fx;
            let bottom = at(y0 + 1, x0) * (1.0 - fx) + at(y0 + 1, x0 + 1) * fx;
            out[y * SIDE + x] = top * (1.0 - fy) + bottom * fy;
        }
    }
    out
}

/// Half the side by 2x2 means.
fn halve(img: &[f32], side: usize) -> Vec<f32> {
    let h = side / 2;
    let mut out = vec![0.0; h * h];
    for y in 0..h {
        for x in 0..h {
            let at = |yy: usize, xx: usize| img[yy * side + xx];
            out[y * h + x] = 0.25
                * (at(2 * y, 2 * x)
                    + at(2 * y, 2 * x + 1)
                    + at(2 * y + 1, 2 * x)
                    + at(2 * y + 1, 2 * x + 1));
        }
    }
    out
}

/// The centre of an image (all but `margin` on each side), zero-mean and unit-norm; `None`
/// when it is flat.
fn centre(img: &[f32], side: usize, margin: usize) -> Option<Vec<f32>> {
    let w = side - 2 * margin;
    let mut v = Vec::with_capacity(w * w);
    for y in margin..side - margin {
        v.extend_from_slice(&img[y * side + margin..y * side + side - margin]);
    }
    let mean = v.iter().sum::<f32>() / v.len() as f32;
    v.iter_mut().for_each(|x| *x -= mean);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    (norm > 1.0).then(|| v.into_iter().map(|x| x / norm).collect())
}

/// Normalised correlation of `a` (a zero-mean unit-norm centre) with the window of `img`
/// shifted by `(dx, dy)`.
fn correlation(a: &[f32], img: &[f32], side: usize, margin: usize, dx: i32, dy: i32) -> f32 {
    let w = side - 2 * margin;
    let (ox, oy) = (margin as i32 + dx, margin as i32 + dy);
    let (mut sum, mut sum2, mut dot) = (0.0f32, 0.0f32, 0.0f32);
    for y in 0..w {
        let row = (oy as usize + y) * side + ox as usize;
        let (win, av) = (&img[row..row + w], &a[y * w..y * w + w]);
        for (p, q) in win.iter().zip(av) {
            sum += p;
            sum2 += p * p;
            dot += p * q;
        }
    }
    let n = (w * w) as f32;
    let var = sum2 - sum * sum / n;
    if var <= 1e-3 {
        return 0.0;
    }
    // `a` sums to zero, so the window's mean drops out of the dot product.
    dot / var.sqrt()
}

/// The best alignment of `b` onto `a`: every mirror and scale with shifts of up to 2 pixels
/// on 16x16 halves, then the two best refined to the pixel on the full signatures. `None` when
/// either image is flat.
pub fn align(a: &Signature, b: &Signature) -> Option<Alignment> {
    let (fa, fb) = (to_float(a), to_float(b));
    let half_margin = MARGIN / 2;
    let a_full = centre(&fa, SIDE, MARGIN)?;
    let a_half = centre(&halve(&fa, SIDE), SIDE / 2, half_margin)?;
    centre(&fb, SIDE, MARGIN)?;
    let mut coarse: Vec<(f32, bool, f32, i32, i32)> = Vec::new();
    let variants: Vec<(bool, f32, Vec<f32>)> = [false, true]
        .into_iter()
        .flat_map(|m| SCALES.map(|s| (m, s)))
        .map(|(m, s)| (m, s, variant(&fb, s, m, (0.0, 0.0))))
        .collect();
    let reach = half_margin as i32;
    for (m, s, v) in &variants {
        let h = halve(v, SIDE);
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let c = correlation(&a_half, &h, SIDE / 2, half_margin, dx, dy);
                coarse.push((c, *m, *s, dx, dy));
            }
        }
    }
    coarse.sort_by(|x, y| y.0.total_cmp(&x.0));
    let reach = MARGIN as i32;
    let mut best: Option<(f32, bool, f32, i32, i32)> = None;
    for &(_, m, s, cdx, cdy) in coarse.iter().take(2) {
        let Some((_, _, v)) = variants.iter().find(|(vm, vs, _)| *vm == m && *vs == s) else {
            continue;
        };
        for dy in (2 * cdy - 1).max(-reach)..=(2 * cdy + 1).min(reach) {
            for dx in (2 * cdx - 1).max(-reach)..=(2 * cdx + 1).min(reach) {
                let residual = (1.0 - correlation(&a_full, v, SIDE, MARGIN, dx, dy)).max(0.0);
                if best.is_none_or(|b| residual < b.0) {
                    best = Some((residual, m, s, dx, dy));
                }
            }
        }
    }
    let (residual, m, s, dx, dy) = best?;
    let mut found = Alignment {
        residual,
        mirrored: m,
        scale: s,
        shift: (dx as f32, dy as f32),
    };
    // Then to the half and the quarter pixel: the window moves by whole pixels, the image by
    // the fraction.
    let mut t = (0.0f32, 0.0f32);
    for step in [0.5f32, 0.25] {
        let centre = t;
        for ky in [-1.0f32, 0.0, 1.0] {
            for kx in [-1.0f32, 0.0, 1.0] {
                if (kx, ky) == (0.0, 0.0) {
                    continue;
                }
                let (tx, ty) = (centre.0 + kx * step, centre.1 + ky * step);
                let v = variant(&fb, s, m, (tx, ty));
                let residual = (1.0 - correlation(&a_full, &v, SIDE, MARGIN, dx, dy)).max(0.0);
                if residual < found.residual {
                    found.residual = residual;
                    found.shift = (dx as f32 - tx, dy as f32 - ty);
                    t = (tx, ty);
                }
            }
        }
    }
    Some(found)
}

/// Settings of the pixel check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelCheckOptions {
    /// A candidate is a copy when its residual is at most this share of the next candidate's.
    pub ratio: f32,
    /// ... and at most this residual.
    pub max_residual: f32,
    /// Residuals at or under this are copies whatever the other candidates (several copies of
    /// one image).
    pub identical: f32,
}

impl Default for PixelCheckOptions {
    /// Measured on the bundled sample's 1,200 clean images with the Fashion CNN's 10 nearest
    /// neighbours as candidates: one ratio under 0.2 (0.157: a boot with a flipped label and
    /// another boot), the rest at least 0.29, and the smallest residual 0.0047; the injected
    /// copies among the candidates had ratios up to 0.11 once aligned to the quarter pixel.
    fn default() -> Self {
        Self {
            ratio: 0.15,
            max_residual: 0.05,
            identical: 0.001,
        }
    }
}

/// A copy confirmed in pixels: `sample` lines up with `other` as `alignment` says; the next
/// best candidate left the residual `next`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelCopy {
    /// The image that looks like a copy.
    pub sample: usize,
    /// The image it copies.
    pub other: usize,
    /// Their distance in the embedding.
    pub distance: f32,
    /// How `other` lines up with `sample`.
    pub alignment: Alignment,
    /// The residual of the next best candidate (infinite when there was none).
    pub next: f32,
}

/// For every row of `neighbours` (its sample is `samples[row]`), the candidate its pixels
/// confirm as a copy, if any. `sig` gives a dataset sample's signature, when known (see
/// [`super::Signatures::get`]).
pub fn pixel_copies<'s>(
    samples: &[u32],
    neighbours: &[Vec<Neighbour>],
    sig: impl Fn(usize) -> Option<Cow<'s, Signature>> + Sync,
    opts: &PixelCheckOptions,
) -> Vec<PixelCopy> {
    neighbours
        .par_iter()
        .enumerate()
        .filter_map(|(row, list)| {
            let a = samples[row] as usize;
            let sa = sig(a)?;
            let mut found: Vec<(&Neighbour, Alignment)> = list
                .iter()
                .filter_map(|nb| Some((nb, align(&sa, &*sig(nb.sample)?)?)))
                .collect();
            found.sort_by(|x, y| x.1.residual.total_cmp(&y.1.residual));
            let (nb, alignment) = *found.first()?;
            let next = found.get(1).map_or(f32::INFINITY, |x| x.1.residual);
            let copy = alignment.residual <= opts.identical
                || (alignment.residual <= opts.max_residual
                    && alignment.residual <= opts.ratio * next);
            copy.then_some(PixelCopy {
                sample: a,
                other: nb.sample,
                distance: nb.distance,
                alignment,
                next,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 112x112 greyscale image of a few soft blobs placed by `seed`.
    fn blobs(seed: u64) -> image::GrayImage {
        use crate::bench::pixel_copies::{draw_blobs, random_blobs};
        draw_blobs(&random_blobs(seed))
    }

    fn sig(img: image::GrayImage) -> Signature {
        signature(&image::DynamicImage::ImageLuma8(img))
    }

    #[test]
    fn shifted_mirrored_and_cropped_copies_line_up_and_other_images_do_not() {
        let base = blobs(7);
        let a = sig(base.clone());
        let shifted = sig(image::GrayImage::from_fn(112, 112, |x, y| {
            *base.get_pixel(x.saturating_sub(8), y.saturating_sub(4))
        }));
        let mirrored = sig(image::imageops::flip_horizontal(&base));
        let cropped = sig(image::imageops::resize(
            &image::imageops::crop_imm(&base, 8, 8, 96, 96).to_image(),
            112,
            112,
            image::imageops::FilterType::Triangle,
        ));
        for (what, b) in [
            ("shifted", &shifted),
            ("mirrored", &mirrored),
            ("cropped", &cropped),
        ] {
            let al = align(&a, b).unwrap();
            assert!(al.residual < 0.02, "{what}: {al:?}");
        }
        assert!(align(&a, &mirrored).unwrap().mirrored);
        assert!(align(&a, &cropped).unwrap().scale < 1.0);
        for seed in 8..20 {
            let other = align(&a, &sig(blobs(seed))).unwrap();
            assert!(other.residual > 0.05, "seed {seed}: {other:?}");
        }
        // A flat image lines up with nothing.
        let flat = sig(image::GrayImage::from_pixel(112, 112, image::Luma([9])));
        assert_eq!(align(&a, &flat), None);
    }

    #[test]
    fn a_copy_is_confirmed_only_when_its_pixels_stand_out_from_the_other_candidates() {
        let sigs: Vec<Option<Signature>> = vec![
            Some(sig(blobs(1))),
            Some(sig(image::imageops::flip_horizontal(&blobs(1)))),
            Some(sig(blobs(2))),
            Some(sig(blobs(3))),
        ];
        let nb = |s: usize| Neighbour {
            sample: s,
            distance: 0.1,
        };
        let neighbours = vec![
            vec![nb(2), nb(1), nb(3)],
            vec![nb(0), nb(2)],
            vec![nb(0), nb(3)],
        ];
        let found = pixel_copies(
            &[0, 1, 2],
            &neighbours,
            |s| sigs[s].as_ref().map(Cow::Borrowed),
            &PixelCheckOptions::default(),
        );
        let pairs: Vec<(usize, usize)> = found.iter().map(|c| (c.sample, c.other)).collect();
        assert_eq!(pairs, vec![(0, 1), (1, 0)]);
        let round: Signature =
            serde_json::from_str(&serde_json::to_string(&sigs[0]).unwrap()).unwrap();
        assert_eq!(Some(round), sigs[0]);
    }
}
