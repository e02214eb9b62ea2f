//! Resampling that gives Pillow's `Image.resize` results bit for bit on 8-bit images (`L` and
//! `RGB`): the same filters and supports, the same coefficient rounding to 22-bit fixed point,
//! the same two passes in Pillow 13's order (horizontal over only the rows the vertical pass
//! reads, then vertical; vertical first when the height shrinks much more than the width) with
//! 8-bit clipping between them, and Pillow's affine nearest-neighbour for `nearest`.
//!
//! Written here rather than taken from a crate because no resizing crate promises Pillow's exact
//! integer arithmetic (fast_image_resize, used for thumbnails, picks its fixed-point precision
//! per filter and differs by a grey level here and there), and a model must see exactly what its
//! training pipeline fed it.

pub use super::pil_crop::Pixels;
use super::pil_crop::crop;
use super::spec::Interpolation;

/// Bits of fixed-point precision of the coefficients (Pillow: 32 - 8 - 2).
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// A filter: its kernel and support (radius at scale 1).
#[derive(Clone, Copy)]
struct Filter {
    kernel: fn(f64) -> f64,
    support: f64,
}

fn box_kernel(x: f64) -> f64 {
    if x > -0.5 && x <= 0.5 { 1.0 } else { 0.0 }
}

fn bilinear_kernel(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 { 1.0 - x } else { 0.0 }
}

fn bicubic_kernel(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Per output position: the first source index, the number of taps and the fixed-point
/// coefficients (`ksize` per position).
struct Coeffs {
    bounds: Vec<(usize, usize)>,
    ksize: usize,
    k: Vec<i32>,
}

impl Coeffs {
    /// Only the output positions `keep` (their values are unchanged: each output position has
    /// its own coefficients).
    fn keep(mut self, keep: std::ops::Range<usize>) -> Self {
        self.k = self.k[keep.start * self.ksize..keep.end * self.ksize].to_vec();
        self.bounds = self.bounds[keep].to_vec();
        self
    }
}

/// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the source span `in0..in1`
/// (single-precision box coordinates, as Pillow stores them) of an axis of `in_size` pixels.
fn coeffs(in_size: usize, in0: f32, in1: f32, out_size: usize, filter: Filter) -> Coeffs {
    let scale = f64::from(in1 - in0) / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filter.support * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let mut bounds = Vec::with_capacity(out_size);
    let mut k = vec![0i32; out_size * ksize];
    let mut w = vec![0f64; ksize];
    for xx in 0..out_size {
        let center = f64::from(in0) + (xx as f64 + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // C's (int) truncates toward zero; negatives are clamped to 0 right after.
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let n = xmax.saturating_sub(xmin).min(ksize);
        let mut ww = 0.0;
        for (x, wx) in w.iter_mut().enumerate().take(n) {
            *wx = (filter.kernel)((x as f64 + xmin as f64 - center + 0.5) * ss);
            ww += *wx;
        }
        let row = &mut k[xx * ksize..(xx + 1) * ksize];
        for (x, kx) in row.iter_mut().enumerate().take(n) {
            let v = if ww != 0.0 { w[x] / ww } else { w[x] };
            let scaled = v * f64::from(1u32 << PRECISION_BITS);
            *kx = if v < 0.0 {
                (scaled - 0.5) as i32
            } else {
                (scaled + 0.5) as i32
            };
        }
        bounds.push((xmin, n));
    }
    Coeffs { bounds, ksize, k }
}

/// Pillow's `clip8`: the accumulated sum shifted back to 8 bits and clamped.
fn clip8(ss: i32) -> u8 {
    (ss >> PRECISION_BITS).clamp(0, 255) as u8
}

/// `Image.resize((out_w, out_h), resample)` of `src` (no box, no reducing gap), as Pillow does
/// it for modes `L` and `RGB`.
pub fn resize(src: &Pixels, out_w: usize, out_h: usize, interpolation: Interpolation) -> Pixels {
    resize_crop(src, out_w, out_h, interpolation, (0, 0), (out_w, out_h))
}

/// `Image.resize((out_w, out_h), resample).crop(...)`: the `size` window at `at` of the resized
/// image, computing only the pixels the window keeps (a centre crop of a 341x256 resize to 224
/// keeps 57% of them). Every kept pixel is the one the full resize gives: each output row and
/// column has its own coefficients, and the pass order is decided on the full sizes as Pillow
/// does. A window reaching outside the resized image is padded with zeros, as [`crop`] does.
pub fn resize_crop(
    src: &Pixels,
    out_w: usize,
    out_h: usize,
    interpolation: Interpolation,
    at: (i64, i64),
    size: (usize, usize),
) -> Pixels {
    let (w, h, c) = (src.width, src.height, src.channels);
    let inside = at.0 >= 0
        && at.1 >= 0
        && at.0 as usize + size.0 <= out_w
        && at.1 as usize + size.1 <= out_h;
    let full = at == (0, 0) && size == (out_w, out_h);
    if (out_w, out_h) == (w, h) {
        return if full {
            src.clone()
        } else {
            crop(src, at.0, at.1, size.0, size.1)
        };
    }
    if w == 0 || h == 0 || out_w == 0 || out_h == 0 {
        return Pixels {
            width: size.0,
            height: size.1,
            channels: c,
            data: vec![0; size.0 * size.1 * c],
        };
    }
    let filter = match interpolation {
        Interpolation::Nearest => {
            let out = nearest(src, out_w, out_h);
            return if full {
                out
            } else {
                crop(&out, at.0, at.1, size.0, size.1)
            };
        }
        Interpolation::Box => Filter {
            kernel: box_kernel,
            support: 0.5,
        },
        Interpolation::Bilinear => Filter {
            kernel: bilinear_kernel,
            support: 1.0,
        },
        Interpolation::Bicubic => Filter {
            kernel: bicubic_kernel,
            support: 2.0,
        },
    };
    let need_horizontal = out_w != w;
    let need_vertical = out_h != h;
    let windowed = inside && need_horizontal && need_vertical;
    if !(full || windowed) {
        // One axis keeps its size (or the window pads): resize all, then crop.
        let out = resize(src, out_w, out_h, interpolation);
        return crop(&out, at.0, at.1, size.0, size.1);
    }
    // Pillow 13 runs the vertical pass first when the height shrinks by more than twice what
    // the width does (earlier Pillows always went horizontal first; see docs/performance.md).
    let (dh, dw) = (h as i64 - out_h as i64, w as i64 - out_w as i64);
    let horizontal_first = !(dh > 0 && dh > dw * 2);
    let (x0, y0) = (at.0 as usize, at.1 as usize);
    let vert = coeffs(h, 0.0, h as f32, out_h, filter).keep(y0..y0 + size.1);
    let horiz = coeffs(w, 0.0, w as f32, out_w, filter).keep(x0..x0 + size.0);
    if horizontal_first {
        // The horizontal pass covers only the rows the vertical pass reads.
        let first = vert.bounds.first().map_or(0, |b| b.0);
        let last = vert.bounds.last().map_or(h, |b| b.0 + b.1);
        let tmp = if need_horizontal {
            horizontal(src, first..last, &horiz)
        } else {
            src.clone()
        };
        if need_vertical {
            let row0 = if need_horizontal { first } else { 0 };
            vertical(&tmp, row0, &vert)
        } else {
            tmp
        }
    } else {
        let tmp = if need_vertical {
            vertical(src, 0, &vert)
        } else {
            src.clone()
        };
        if need_horizontal {
            horizontal(&tmp, 0..tmp.height, &horiz)
        } else {
            tmp
        }
    }
}

/// The horizontal pass over `rows` of `src`. Sums are `i32` as in Pillow (the largest is
/// 255 x 1.3 x 2^22 < 2^31 for the bicubic kernel's overshoot).
fn horizontal(src: &Pixels, rows: std::ops::Range<usize>, co: &Coeffs) -> Pixels {
    let (w, c) = (src.width, src.channels);
    let out_w = co.bounds.len();
    let n_rows = rows.len();
    let mut out = vec![0u8; out_w * n_rows * c];
    let half: i32 = 1 << (PRECISION_BITS - 1);
    for (y, sy) in rows.enumerate() {
        let src_row = &src.data[sy * w * c..(sy + 1) * w * c];
        let dst_row = &mut out[y * out_w * c..(y + 1) * out_w * c];
        for (xx, &(xmin, n)) in co.bounds.iter().enumerate() {
            let k = &co.k[xx * co.ksize..xx * co.ksize + n];
            let px = &src_row[xmin * c..(xmin + n) * c];
            if c == 3 {
                let (mut s0, mut s1, mut s2) = (half, half, half);
                for (p, &kx) in px.chunks_exact(3).zip(k) {
                    s0 += i32::from(p[0]) * kx;
                    s1 += i32::from(p[1]) * kx;
                    s2 += i32::from(p[2]) * kx;
                }
                dst_row[xx * 3] = clip8(s0);
                dst_row[xx * 3 + 1] = clip8(s1);
                dst_row[xx * 3 + 2] = clip8(s2);
            } else {
                for ch in 0..c {
                    let mut ss = half;
                    for (x, &kx) in k.iter().enumerate() {
                        ss += i32::from(px[x * c + ch]) * kx;
                    }
                    dst_row[xx * c + ch] = clip8(ss);
                }
            }
        }
    }
    Pixels {
        width: out_w,
        height: n_rows,
        channels: c,
        data: out,
    }
}

/// The vertical pass over `src`, whose first row is source row `row0`: each output row is
/// accumulated source row by source row (contiguous, so the loop vectorises).
fn vertical(src: &Pixels, row0: usize, co: &Coeffs) -> Pixels {
    let (tw, c) = (src.width, src.channels);
    let stride = tw * c;
    let out_h = co.bounds.len();
    let mut out = vec![0u8; stride * out_h];
    let mut acc = vec![0i32; stride];
    for (yy, &(ymin, n)) in co.bounds.iter().enumerate() {
        let k = &co.k[yy * co.ksize..yy * co.ksize + n];
        let ymin = ymin - row0;
        acc.fill(1 << (PRECISION_BITS - 1));
        for (y, &ky) in k.iter().enumerate() {
            let row = &src.data[(y + ymin) * stride..(y + ymin + 1) * stride];
            for (a, &p) in acc.iter_mut().zip(row) {
                *a += i32::from(p) * ky;
            }
        }
        for (o, &a) in out[yy * stride..(yy + 1) * stride].iter_mut().zip(&acc) {
            *o = clip8(a);
        }
    }
    Pixels {
        width: tw,
        height: out_h,
        channels: c,
        data: out,
    }
}

/// Pillow's nearest-neighbour resize (`ImagingScaleAffine`): the source pixel under each output
/// pixel's centre, positions accumulated step by step in double precision as Pillow does.
fn nearest(src: &Pixels, out_w: usize, out_h: usize) -> Pixels {
    let (w, h, c) = (src.width, src.height, src.channels);
    let (a0, a4) = (w as f64 / out_w as f64, h as f64 / out_h as f64);
    let mut xs = Vec::with_capacity(out_w);
    let mut xo = a0 * 0.5;
    for _ in 0..out_w {
        xs.push((xo as usize).min(w - 1));
        xo += a0;
    }
    let mut data = Vec::with_capacity(out_w * out_h * c);
    let mut yo = a4 * 0.5;
    for _ in 0..out_h {
        let sy = (yo as usize).min(h - 1);
        yo += a4;
        let row = &src.data[sy * w * c..(sy + 1) * w * c];
        for &x in &xs {
            data.extend_from_slice(&row[x * c..(x + 1) * c]);
        }
    }
    Pixels {
        width: out_w,
        height: out_h,
        channels: c,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_image_stays_flat_under_every_filter() {
        let src = Pixels {
            width: 7,
            height: 5,
            channels: 3,
            data: [10u8, 200, 33].repeat(35),
        };
        for f in [
            Interpolation::Bilinear,
            Interpolation::Bicubic,
            Interpolation::Box,
            Interpolation::Nearest,
        ] {
            for (w, h) in [(3, 2), (16, 11), (7, 9)] {
                let out = resize(&src, w, h, f);
                assert_eq!(out.data, [10u8, 200, 33].repeat(w * h), "{f:?} {w}x{h}");
            }
        }
    }

    #[test]
    fn a_resized_window_is_the_window_of_the_full_resize() {
        let mut seed = 7u64;
        let mut next = move |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % m
        };
        for round in 0..60 {
            let (w, h, c) = (
                2 + next(120),
                2 + next(120),
                if round % 2 == 0 { 3 } else { 1 },
            );
            let src = Pixels {
                width: w,
                height: h,
                channels: c,
                data: (0..w * h * c).map(|_| next(256) as u8).collect(),
            };
            let (ow, oh) = (1 + next(150), 1 + next(150));
            let (cw, ch) = (1 + next(ow), 1 + next(oh));
            let at = (next(ow - cw + 1) as i64, next(oh - ch + 1) as i64);
            for f in [
                Interpolation::Bilinear,
                Interpolation::Bicubic,
                Interpolation::Box,
                Interpolation::Nearest,
            ] {
                let whole = crop(&resize(&src, ow, oh, f), at.0, at.1, cw, ch);
                let window = resize_crop(&src, ow, oh, f, at, (cw, ch));
                assert_eq!(
                    window, whole,
                    "{w}x{h}x{c} -> {ow}x{oh}, {cw}x{ch} at {at:?}, {f:?}"
                );
            }
            // A window reaching outside is padded, as crop pads.
            let outside = resize_crop(
                &src,
                ow,
                oh,
                Interpolation::Bilinear,
                (-2, -1),
                (ow + 3, oh),
            );
            assert_eq!(
                outside,
                crop(
                    &resize(&src, ow, oh, Interpolation::Bilinear),
                    -2,
                    -1,
                    ow + 3,
                    oh
                )
            );
        }
    }
}
