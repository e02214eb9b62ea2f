//! OpenCV's `cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)` on 8-bit images, bit for
//! bit (checked against opencv-python-headless 5.0), in its three cases:
//! - an exact integer reduction in both directions: the mean of each k x l block as an integer
//!   sum times `1/(k*l)` in single precision, rounded half to even (2x2: `(sum + 2) >> 2`);
//! - any other reduction: each source pixel weighted by the part of it that falls into the
//!   destination cell, summed in single precision in OpenCV's order (a row's cells first, then
//!   rows), rounded half to even;
//! - an enlargement in either direction: OpenCV's bilinear resize with "area" source positions
//!   (see [`super::cv_resize`]).

use super::cv_resize;
use super::pil_resize::Pixels;

/// One weighted source index of a destination index (OpenCV's `DecimateAlpha`).
struct Tap {
    dst: usize,
    src: usize,
    alpha: f32,
}

/// OpenCV's `computeResizeAreaTab`: the source cells each destination cell covers, in order.
fn area_taps(src: usize, dst: usize, scale: f64) -> Vec<Tap> {
    let mut taps = Vec::with_capacity(src * 2);
    for dx in 0..dst {
        let fsx1 = dx as f64 * scale;
        let fsx2 = fsx1 + scale;
        let cell = scale.min(src as f64 - fsx1);
        let mut sx2 = fsx2.floor() as i64;
        let mut sx1 = fsx1.ceil() as i64;
        sx2 = sx2.min(src as i64 - 1);
        sx1 = sx1.min(sx2);
        if sx1 as f64 - fsx1 > 1e-3 {
            taps.push(Tap {
                dst: dx,
                src: (sx1 - 1) as usize,
                alpha: ((sx1 as f64 - fsx1) / cell) as f32,
            });
        }
        for sx in sx1..sx2 {
            taps.push(Tap {
                dst: dx,
                src: sx as usize,
                alpha: (1.0 / cell) as f32,
            });
        }
        if fsx2 - sx2 as f64 > 1e-3 {
            taps.push(Tap {
                dst: dx,
                src: sx2 as usize,
                alpha: ((fsx2 - sx2 as f64).min(1.0).min(cell) / cell) as f32,
            });
        }
    }
    taps
}

/// `cvRound` of a float then `saturate_cast<uchar>`: half to even, clamped.
fn round_u8(v: f32) -> u8 {
    v.round_ties_even().clamp(0.0, 255.0) as u8
}

/// `cv2.resize(src, (out_w, out_h), interpolation=cv2.INTER_AREA)`.
pub fn resize_area(src: &Pixels, out_w: usize, out_h: usize) -> Pixels {
    let (w, h) = (src.width, src.height);
    if (out_w, out_h) == (w, h) || w == 0 || h == 0 || out_w == 0 || out_h == 0 {
        return src.clone();
    }
    // OpenCV divides by the inverse scale, not the sizes: 1 / (dst / src).
    let scale_x = 1.0 / (out_w as f64 / w as f64);
    let scale_y = 1.0 / (out_h as f64 / h as f64);
    if scale_x < 1.0 || scale_y < 1.0 {
        return cv_resize::resize_linear_area_positions(src, out_w, out_h);
    }
    let (ix, iy) = (scale_x.round_ties_even(), scale_y.round_ties_even());
    if (scale_x - ix).abs() < f64::EPSILON && (scale_y - iy).abs() < f64::EPSILON {
        return integer_reduction(src, out_w, out_h, ix as usize, iy as usize);
    }
    let c = src.channels;
    let xt = area_taps(w, out_w, scale_x);
    let yt = area_taps(h, out_h, scale_y);
    let stride = out_w * c;
    let mut out = vec![0u8; stride * out_h];
    let mut buf = vec![0f32; stride];
    let mut sum = vec![0f32; stride];
    let mut current = yt.first().map_or(0, |t| t.dst);
    for ty in &yt {
        let row = &src.data[ty.src * w * c..(ty.src + 1) * w * c];
        buf.iter_mut().for_each(|b| *b = 0.0);
        for tx in &xt {
            for ch in 0..c {
                buf[tx.dst * c + ch] += f32::from(row[tx.src * c + ch]) * tx.alpha;
            }
        }
        if ty.dst != current {
            let line = &mut out[current * stride..(current + 1) * stride];
            for ((o, s), &b) in line.iter_mut().zip(sum.iter_mut()).zip(&buf) {
                *o = round_u8(*s);
                *s = ty.alpha * b;
            }
            current = ty.dst;
        } else {
            for (s, &b) in sum.iter_mut().zip(&buf) {
                *s += ty.alpha * b;
            }
        }
    }
    let line = &mut out[current * stride..(current + 1) * stride];
    for (o, &s) in line.iter_mut().zip(&sum) {
        *o = round_u8(s);
    }
    Pixels {
        width: out_w,
        height: out_h,
        channels: c,
        data: out,
    }
}

/// OpenCV's `resizeAreaFast` for 8-bit images: integer block sums.
fn integer_reduction(src: &Pixels, out_w: usize, out_h: usize, kx: usize, ky: usize) -> Pixels {
    if kx == 2 && ky == 2 && src.channels != 2 {
        return cv_resize::half(src);
    }
    let (w, c) = (src.width, src.channels);
    let scale = 1.0f32 / (kx * ky) as f32;
    let mut data = Vec::with_capacity(out_w * out_h * c);
    for dy in 0..out_h {
        for dx in 0..out_w {
            for ch in 0..c {
                let mut total = 0i32;
                for y in dy * ky..(dy + 1) * ky {
                    for x in dx * kx..(dx + 1) * kx {
                        total += i32::from(src.data[(y * w + x) * c + ch]);
                    }
                }
                data.push(round_u8(total as f32 * scale));
            }
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

    fn px(width: usize, height: usize, data: Vec<u8>) -> Pixels {
        Pixels {
            width,
            height,
            channels: 1,
            data,
        }
    }

    #[test]
    fn integer_reductions_average_blocks_rounding_half_to_even() {
        // 3x1 blocks: (1+2+2)/3 = 1.67 -> 2; (0+0+1)/3 -> 0.
        let p = px(6, 1, vec![1, 2, 2, 0, 0, 1]);
        assert_eq!(resize_area(&p, 2, 1).data, vec![2, 0]);
        // 4x1 block summing to 10: 2.5 rounds to 2 (half to even), not 3.
        let p = px(4, 1, vec![1, 2, 3, 4]);
        assert_eq!(resize_area(&p, 1, 1).data, vec![2]);
    }

    #[test]
    fn fractional_cells_weigh_the_pixels_they_cover() {
        // 3 -> 2: cell 0 covers pixel 0 and half of pixel 1, cell 1 the other half and pixel 2.
        let p = px(3, 1, vec![0, 90, 180]);
        assert_eq!(resize_area(&p, 2, 1).data, vec![30, 150]);
        let flat = px(7, 5, vec![77; 35]);
        assert_eq!(resize_area(&flat, 3, 2).data, vec![77; 6]);
    }

    #[test]
    fn taps_cover_each_destination_cell_with_weights_summing_to_one() {
        for (s, d) in [(10, 3), (301, 64), (227, 48), (7, 6)] {
            let scale = 1.0 / (d as f64 / s as f64);
            let taps = area_taps(s, d, scale);
            for dx in 0..d {
                let total: f32 = taps.iter().filter(|t| t.dst == dx).map(|t| t.alpha).sum();
                assert!((total - 1.0).abs() < 1e-4, "{s}->{d} cell {dx}: {total}");
            }
        }
    }
}
