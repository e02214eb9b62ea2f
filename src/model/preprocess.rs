//! Preprocessing as pure functions: image -> "what the model sees" (resized, cropped, colour
//! converted pixels) -> normalised tensor in the model's layout.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GrayImage, RgbImage};

use super::spec::{ColorOrder, InputSpec, Interpolation, ResizeMode, TensorLayout};

/// The pixels a model sees, before normalisation: `width x height`, interleaved, 1 channel
/// (L) or 3 channels in RGB order (BGR models are swapped when the tensor is built).
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedImage {
    /// Width in pixels (the model's input width).
    pub width: u32,
    /// Height in pixels (the model's input height).
    pub height: u32,
    /// 1 or 3.
    pub channels: usize,
    /// Interleaved pixel values.
    pub pixels: Vec<u8>,
}

/// Source rectangle (left, top, width, height) and destination size for a resize mode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    /// Part of the source image used, in source pixels.
    pub crop: (f64, f64, f64, f64),
    /// Size the crop is resized to.
    pub scaled: (u32, u32),
    /// Where the scaled image is placed in the input (letterbox padding).
    pub offset: (u32, u32),
}

/// Computes the geometry of `mode` for a `src_w x src_h` image.
pub fn geometry(src_w: u32, src_h: u32, input: &InputSpec) -> Geometry {
    let (sw, sh) = (f64::from(src_w.max(1)), f64::from(src_h.max(1)));
    let (w, h) = (input.width, input.height);
    match input.resize {
        ResizeMode::Stretch => Geometry {
            crop: (0.0, 0.0, sw, sh),
            scaled: (w, h),
            offset: (0, 0),
        },
        ResizeMode::ShorterSideCenterCrop => {
            let shorter_to = f64::from(input.resize_shorter_to.unwrap_or(w.max(h)).max(1));
            let scale = shorter_to / sw.min(sh);
            let (cw, ch) = (
                (f64::from(w) / scale).min(sw),
                (f64::from(h) / scale).min(sh),
            );
            Geometry {
                crop: ((sw - cw) / 2.0, (sh - ch) / 2.0, cw, ch),
                scaled: (w, h),
                offset: (0, 0),
            }
        }
        ResizeMode::Letterbox => {
            let scale = (f64::from(w) / sw).min(f64::from(h) / sh);
            let nw = ((sw * scale).round() as u32).clamp(1, w);
            let nh = ((sh * scale).round() as u32).clamp(1, h);
            Geometry {
                crop: (0.0, 0.0, sw, sh),
                scaled: (nw, nh),
                offset: ((w - nw) / 2, (h - nh) / 2),
            }
        }
    }
}

/// Resizes, crops and colour-converts `img` to the model's input size.
pub fn prepare_pixels(img: &DynamicImage, input: &InputSpec) -> Result<PreparedImage, String> {
    let geo = geometry(img.width(), img.height(), input);
    let (x, y, cw, ch) = geo.crop;
    let alg = match input.interpolation {
        Interpolation::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
        Interpolation::Bicubic => ResizeAlg::Convolution(FilterType::CatmullRom),
        Interpolation::Box => ResizeAlg::Convolution(FilterType::Box),
        Interpolation::Nearest => ResizeAlg::Nearest,
    };
    let options = ResizeOptions::new().resize_alg(alg).crop(x, y, cw, ch);
    let mut resizer = Resizer::new();
    let (channels, scaled) = if input.color == ColorOrder::L {
        let src = match img {
            DynamicImage::ImageLuma8(b) => std::borrow::Cow::Borrowed(b),
            _ => std::borrow::Cow::Owned(img.to_luma8()),
        };
        let mut dst = GrayImage::new(geo.scaled.0, geo.scaled.1);
        resizer
            .resize(src.as_ref(), &mut dst, &options)
            .map_err(|e| format!("resize failed: {e}"))?;
        (1, dst.into_raw())
    } else {
        let src = match img {
            DynamicImage::ImageRgb8(b) => std::borrow::Cow::Borrowed(b),
            _ => std::borrow::Cow::Owned(img.to_rgb8()),
        };
        let mut dst = RgbImage::new(geo.scaled.0, geo.scaled.1);
        resizer
            .resize(src.as_ref(), &mut dst, &options)
            .map_err(|e| format!("resize failed: {e}"))?;
        (3, dst.into_raw())
    };
    let (w, h) = (input.width, input.height);
    if geo.scaled == (w, h) {
        return Ok(PreparedImage {
            width: w,
            height: h,
            channels,
            pixels: scaled,
        });
    }
    // Letterbox: paste the scaled image centred on black.
    let mut pixels = vec![0u8; w as usize * h as usize * channels];
    let row_len = geo.scaled.0 as usize * channels;
    for row in 0..geo.scaled.1 as usize {
        let dst_start =
            ((row + geo.offset.1 as usize) * w as usize + geo.offset.0 as usize) * channels;
        pixels[dst_start..dst_start + row_len]
            .copy_from_slice(&scaled[row * row_len..(row + 1) * row_len]);
    }
    Ok(PreparedImage {
        width: w,
        height: h,
        channels,
        pixels,
    })
}

/// Appends the normalised tensor of `p` (one image) to `out`, in the model's layout and
/// colour order: `(pixel - mean[c]) / std[c]`.
pub fn append_tensor(p: &PreparedImage, input: &InputSpec, out: &mut Vec<f32>) {
    let c = p.channels;
    let hw = p.width as usize * p.height as usize;
    // Source channel for each model channel (BGR reads RGB pixels backwards).
    let src_channel = |mc: usize| {
        if input.color == ColorOrder::Bgr {
            c - 1 - mc
        } else {
            mc
        }
    };
    let norms: Vec<(f32, f32)> = (0..c).map(|mc| input.norm(mc)).collect();
    out.reserve(hw * c);
    match input.layout {
        TensorLayout::Nchw => {
            for (mc, &(mean, std)) in norms.iter().enumerate() {
                let sc = src_channel(mc);
                out.extend(
                    p.pixels[sc..]
                        .iter()
                        .step_by(c)
                        .take(hw)
                        .map(|&v| (f32::from(v) - mean) / std),
                );
            }
        }
        TensorLayout::Nhwc => {
            for px in p.pixels.chunks_exact(c) {
                for (mc, &(mean, std)) in norms.iter().enumerate() {
                    out.push((f32::from(px[src_channel(mc)]) - mean) / std);
                }
            }
        }
    }
}

/// Image -> normalised tensor for one sample.
pub fn preprocess(img: &DynamicImage, input: &InputSpec) -> Result<Vec<f32>, String> {
    let prepared = prepare_pixels(img, input)?;
    let mut out = Vec::new();
    append_tensor(&prepared, input, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(
        w: u32,
        h: u32,
        resize: ResizeMode,
        color: ColorOrder,
        layout: TensorLayout,
    ) -> InputSpec {
        InputSpec {
            name: None,
            layout,
            color,
            height: h,
            width: w,
            resize,
            resize_shorter_to: None,
            interpolation: Interpolation::Bilinear,
            mean: vec![0.0],
            std: vec![1.0],
        }
    }

    /// An image whose left half is red and right half blue.
    fn halves(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, _| {
            if x < w / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        }))
    }

    #[test]
    fn stretch_keeps_both_halves_and_nchw_puts_channels_first() {
        let s = spec(
            4,
            2,
            ResizeMode::Stretch,
            ColorOrder::Rgb,
            TensorLayout::Nchw,
        );
        let t = preprocess(&halves(40, 10), &s).unwrap();
        assert_eq!(t.len(), 3 * 4 * 2);
        // Red plane: the left half red, the right half not (antialiased bilinear blends the two
        // middle columns a little across the edge).
        assert_eq!((t[0], t[3]), (255.0, 0.0));
        assert!(t[1] > 192.0 && t[2] < 64.0, "{:?}", &t[0..4]);
        // Blue plane is the opposite.
        assert_eq!((t[16], t[19]), (0.0, 255.0));
        assert!(t[17] < 64.0 && t[18] > 192.0, "{:?}", &t[16..20]);
    }

    #[test]
    fn bgr_and_nhwc_reorder_channels_and_normalise() {
        let mut s = spec(
            2,
            2,
            ResizeMode::Stretch,
            ColorOrder::Bgr,
            TensorLayout::Nhwc,
        );
        s.mean = vec![10.0, 20.0, 30.0];
        s.std = vec![2.0];
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(6, 6, image::Rgb([100, 150, 200])));
        let t = preprocess(&img, &s).unwrap();
        // First pixel, channels B, G, R.
        assert_eq!(
            &t[0..3],
            &[
                (200.0 - 10.0) / 2.0,
                (150.0 - 20.0) / 2.0,
                (100.0 - 30.0) / 2.0
            ]
        );
        assert_eq!(t.len(), 12);
    }

    #[test]
    fn center_crop_takes_the_middle_of_a_wide_image() {
        // 300x100: red | green | blue thirds. The centre crop of a 1:1 input sees only green.
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(300, 100, |x, _| match x / 100 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        }));
        let s = spec(
            10,
            10,
            ResizeMode::ShorterSideCenterCrop,
            ColorOrder::Rgb,
            TensorLayout::Nhwc,
        );
        let p = prepare_pixels(&img, &s).unwrap();
        // Mostly green; the antialiasing filter may bleed a little red/blue into the edge columns.
        assert!(
            p.pixels
                .chunks(3)
                .all(|px| px[1] >= 200 && px[0] < 60 && px[2] < 60),
            "{:?}",
            &p.pixels[..30]
        );
        let centre = &p.pixels[(5 * 10 + 5) * 3..(5 * 10 + 5) * 3 + 3];
        assert_eq!(centre, [0, 255, 0]);
        // With resize_shorter_to larger than the input, the crop is tighter but still centred.
        let mut s2 = s.clone();
        s2.resize_shorter_to = Some(20);
        let g = geometry(300, 100, &s2);
        assert_eq!(g.crop, (125.0, 25.0, 50.0, 50.0));
    }

    #[test]
    fn box_filter_recovers_an_exact_integer_downscale() {
        // A 2x2 checkerboard upscaled 4x by pixel repetition comes back exactly with `box`.
        let small = [0u8, 200, 90, 255];
        let big = GrayImage::from_fn(8, 8, |x, y| {
            image::Luma([small[(y / 4 * 2 + x / 4) as usize]])
        });
        let mut s = spec(2, 2, ResizeMode::Stretch, ColorOrder::L, TensorLayout::Nchw);
        s.interpolation = Interpolation::Box;
        let p = prepare_pixels(&DynamicImage::ImageLuma8(big.clone()), &s).unwrap();
        assert_eq!(p.pixels, small);
        s.interpolation = Interpolation::Nearest;
        assert_eq!(
            prepare_pixels(&DynamicImage::ImageLuma8(big), &s)
                .unwrap()
                .pixels
                .len(),
            4
        );
    }

    #[test]
    fn letterbox_pads_with_black_and_keeps_aspect() {
        let img =
            DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 20, image::Rgb([255, 255, 255])));
        let s = spec(
            8,
            8,
            ResizeMode::Letterbox,
            ColorOrder::L,
            TensorLayout::Nchw,
        );
        let p = prepare_pixels(&img, &s).unwrap();
        assert_eq!(p.channels, 1);
        // 40x20 -> 8x4 placed at rows 2..6.
        for row in 0..8 {
            let expected = if (2..6).contains(&row) { 255 } else { 0 };
            assert!(
                p.pixels[row * 8..row * 8 + 8]
                    .iter()
                    .all(|&v| v == expected),
                "row {row}"
            );
        }
    }
}
