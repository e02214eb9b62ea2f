//! Preprocessing as pure functions: image -> "what the model sees" (resized, cropped, colour
//! converted pixels) -> normalised tensor in the model's layout.

use image::DynamicImage;

use super::pixels::source_pixels;
use super::spec::{ColorOrder, InputSpec, Interpolation, ResizeLibrary, ResizeMode, TensorLayout};
use super::{cv_area, cv_resize, pil_resize};

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
    /// Size the source image takes in the input.
    pub scaled: (u32, u32),
    /// Where the scaled image is placed in the input (letterbox padding).
    pub offset: (u32, u32),
}

/// torchvision's `Resize(s)` output size for a `w x h` image: the shorter side becomes `s`, the
/// longer `int(s * long / short)`.
pub fn shorter_side_size(w: usize, h: usize, s: usize) -> (usize, usize) {
    let (short, long) = if w <= h { (w, h) } else { (h, w) };
    let new_long = (s as f64 * long as f64 / short.max(1) as f64) as usize;
    if w <= h { (s, new_long) } else { (new_long, s) }
}

/// Where torchvision's `CenterCrop` starts along an axis of `size` for a crop of `crop`:
/// `int(round((size - crop) / 2))` with Python's rounding, or minus the left/top zero padding
/// when the crop is larger than the image.
pub fn center_crop_start(size: usize, crop: usize) -> i64 {
    if crop > size {
        -(((crop - size) / 2) as i64)
    } else {
        super::pil_crop::round_half_even((size - crop) as f64 / 2.0)
    }
}

/// The canvas a letterbox pads a `w x h` image to (centred, black) so it has the input's aspect
/// ratio: `(canvas_w, canvas_h, left, top)`. For a square input this is the usual pad to a
/// square of the longer side.
pub fn letterbox_canvas(
    w: usize,
    h: usize,
    in_w: usize,
    in_h: usize,
) -> (usize, usize, usize, usize) {
    let (iw, ih) = (in_w.max(1), in_h.max(1));
    // Compare w/h with iw/ih exactly in integers.
    let (cw, ch) = if w * ih >= h * iw {
        (w, (w * ih).div_ceil(iw))
    } else {
        ((h * iw).div_ceil(ih), h)
    };
    (cw, ch, (cw - w) / 2, (ch - h) / 2)
}

/// Computes the geometry of `mode` for a `src_w x src_h` image.
pub fn geometry(src_w: u32, src_h: u32, input: &InputSpec) -> Geometry {
    let (sw, sh) = (src_w.max(1) as usize, src_h.max(1) as usize);
    let (w, h) = (input.width as usize, input.height as usize);
    match input.resize {
        ResizeMode::Stretch => Geometry {
            crop: (0.0, 0.0, sw as f64, sh as f64),
            scaled: (w as u32, h as u32),
            offset: (0, 0),
        },
        ResizeMode::ShorterSideCenterCrop => {
            let s = input
                .resize_shorter_to
                .unwrap_or(input.width.max(input.height)) as usize;
            let (nw, nh) = shorter_side_size(sw, sh, s.max(1));
            let (fx, fy) = (sw as f64 / nw as f64, sh as f64 / nh as f64);
            let (left, top) = (center_crop_start(nw, w), center_crop_start(nh, h));
            Geometry {
                crop: (
                    left as f64 * fx,
                    top as f64 * fy,
                    w.min(nw) as f64 * fx,
                    h.min(nh) as f64 * fy,
                ),
                scaled: (w as u32, h as u32),
                offset: (0, 0),
            }
        }
        ResizeMode::Letterbox => {
            let (cw, ch, left, top) = letterbox_canvas(sw, sh, w, h);
            let scale = w as f64 / cw as f64;
            Geometry {
                crop: (0.0, 0.0, sw as f64, sh as f64),
                scaled: (
                    ((sw as f64 * scale).round() as u32).clamp(1, w as u32),
                    ((sh as f64 * scale).round() as u32).clamp(1, h as u32),
                ),
                offset: (
                    (left as f64 * scale).round() as u32,
                    (top as f64 * h as f64 / ch as f64).round() as u32,
                ),
            }
        }
    }
}

/// Why an image cannot be turned into a model input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreprocessError {
    /// The image is 0 pixels wide or high.
    #[error("the image has no pixels")]
    NoPixels,
}

/// Resizes, crops and colour-converts `img` to the model's input size, reproducing a named
/// reference pipeline (see docs/model-spec.md), with Pillow's resize or, with
/// `resize_library: opencv`, `cv2.resize(..., INTER_LINEAR)` (or `INTER_AREA` for `area`) in
/// its place:
/// - `stretch`: Pillow `img.resize((w, h), filter)`;
/// - `shorter_side_center_crop`: torchvision `Resize(s)` then `CenterCrop((h, w))` on a PIL
///   image (output size `int(s * long / short)`, Python-rounded crop offsets, zero padding when
///   the crop is larger);
/// - `letterbox`: pad to the input's aspect ratio (a square for square inputs), centred, black,
///   then Pillow `resize((w, h), filter)`.
pub fn prepare_pixels(
    img: &DynamicImage,
    input: &InputSpec,
) -> Result<PreparedImage, PreprocessError> {
    if img.width() == 0 || img.height() == 0 {
        return Err(PreprocessError::NoPixels);
    }
    let grey = input.color == ColorOrder::L;
    let opencv = input.resize_library == ResizeLibrary::Opencv;
    let src = source_pixels(img, grey, opencv);
    let (w, h) = (input.width as usize, input.height as usize);
    let resize = |p: &pil_resize::Pixels, w: usize, h: usize| {
        if opencv && input.interpolation == Interpolation::Box {
            cv_area::resize_area(p, w, h)
        } else if opencv {
            cv_resize::resize_linear(p, w, h)
        } else {
            pil_resize::resize(p, w, h, input.interpolation)
        }
    };
    let out = match input.resize {
        ResizeMode::Stretch => resize(&src, w, h),
        ResizeMode::ShorterSideCenterCrop => {
            let s = input
                .resize_shorter_to
                .unwrap_or(input.width.max(input.height)) as usize;
            let (nw, nh) = shorter_side_size(src.width, src.height, s.max(1));
            let at = (center_crop_start(nw, w), center_crop_start(nh, h));
            if opencv {
                super::pil_crop::crop(&resize(&src, nw, nh), at.0, at.1, w, h)
            } else {
                // Only the kept window is computed (the same pixels, fewer of them).
                pil_resize::resize_crop(&src, nw, nh, input.interpolation, at, (w, h))
            }
        }
        ResizeMode::Letterbox => {
            let (cw, ch, left, top) = letterbox_canvas(src.width, src.height, w, h);
            let canvas = super::pil_crop::crop(&src, -(left as i64), -(top as i64), cw, ch);
            resize(&canvas, w, h)
        }
    };
    Ok(PreparedImage {
        width: input.width,
        height: input.height,
        channels: out.channels,
        pixels: out.data,
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
pub fn preprocess(img: &DynamicImage, input: &InputSpec) -> Result<Vec<f32>, PreprocessError> {
    let prepared = prepare_pixels(img, input)?;
    let mut out = Vec::new();
    append_tensor(&prepared, input, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, RgbImage};

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
            exif_orientation: Default::default(),
            resize_library: Default::default(),
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
        // torchvision: 300x100 -> Resize(20) = 60x20, CenterCrop(10) starts at (25, 5), i.e.
        // source pixels 125..175 x 25..75.
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
        // Padded to 40x40 (10 black rows above and below), then resized to 8x8: the image
        // covers rows 2..6; the filter blends the edge rows a little with the padding.
        let row = |r: usize| &p.pixels[r * 8..r * 8 + 8];
        for r in [0, 7] {
            assert!(row(r).iter().all(|&v| v == 0), "row {r}: {:?}", row(r));
        }
        for r in [3, 4] {
            assert!(row(r).iter().all(|&v| v == 255), "row {r}: {:?}", row(r));
        }
        assert!(row(2).iter().all(|&v| v > 64 && v < 255), "{:?}", row(2));
    }
}
