//! The decoded image as the 8-bit `L` or `RGB` pixels a Python pipeline starts from: Pillow's
//! `convert` (alpha dropped, palettes looked up, its grey weights, its reading of 16-bit PNGs),
//! or OpenCV's `cvtColor` grey weights for the `opencv` flavour.

use image::DynamicImage;

use super::{cv_resize, pil_resize};

/// The source pixels of `img` for a model: grey (`L`) or RGB, converted as the named library
/// does (16-bit PNGs are read as Pillow reads them in both cases).
pub fn source_pixels(img: &DynamicImage, grey: bool, opencv: bool) -> pil_resize::Pixels {
    let clipped = pillow_16bit(img);
    let img = clipped.as_ref().unwrap_or(img);
    if opencv {
        pixels_with(img, grey, cv_resize::grey)
    } else {
        pillow_pixels(img, grey)
    }
}

/// The image as 8-bit `L` or `RGB` pixels, converted the way Pillow's `convert("L")` /
/// `convert("RGB")` does: alpha dropped (not composited), palette looked up, grey from RGB with
/// Pillow's weights `(19595 R + 38470 G + 7471 B + 0x8000) >> 16` (ITU-R 601-2).
pub fn pillow_pixels(img: &DynamicImage, grey: bool) -> pil_resize::Pixels {
    pixels_with(img, grey, |r, g, b| {
        ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
    })
}

/// A 16-bit image as Pillow reads it: grey PNGs open as mode `I;16`, whose conversions clip
/// every value above 255 to 255 (they do not scale); 16-bit RGB(A) PNGs open as 8-bit `RGB(A)`
/// keeping each sample's high byte. `None` for 8-bit images.
fn pillow_16bit(img: &DynamicImage) -> Option<DynamicImage> {
    let clip = |v: u16| v.min(255) as u8;
    let high = |v: u16| (v >> 8) as u8;
    let (w, h) = (img.width(), img.height());
    match img {
        DynamicImage::ImageLuma16(b) => {
            image::GrayImage::from_raw(w, h, b.as_raw().iter().map(|&v| clip(v)).collect())
                .map(DynamicImage::ImageLuma8)
        }
        DynamicImage::ImageLumaA16(b) => image::GrayImage::from_raw(
            w,
            h,
            b.as_raw().chunks_exact(2).map(|p| clip(p[0])).collect(),
        )
        .map(DynamicImage::ImageLuma8),
        DynamicImage::ImageRgb16(b) => {
            image::RgbImage::from_raw(w, h, b.as_raw().iter().map(|&v| high(v)).collect())
                .map(DynamicImage::ImageRgb8)
        }
        DynamicImage::ImageRgba16(b) => image::RgbImage::from_raw(
            w,
            h,
            b.as_raw()
                .chunks_exact(4)
                .flat_map(|p| [high(p[0]), high(p[1]), high(p[2])])
                .collect(),
        )
        .map(DynamicImage::ImageRgb8),
        _ => None,
    }
}

/// The image as 8-bit `L` (grey from RGB by `to_grey`) or `RGB` pixels, alpha dropped.
fn pixels_with(
    img: &DynamicImage,
    grey: bool,
    to_grey: impl Fn(u8, u8, u8) -> u8,
) -> pil_resize::Pixels {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let (channels, data) = match (img, grey) {
        (DynamicImage::ImageLuma8(b), true) => (1, b.as_raw().clone()),
        (_, true) if !img.color().has_color() => (1, img.to_luma8().into_raw()),
        (_, true) => {
            let rgb = match img {
                DynamicImage::ImageRgb8(b) => std::borrow::Cow::Borrowed(b),
                _ => std::borrow::Cow::Owned(img.to_rgb8()),
            };
            let data = rgb
                .as_raw()
                .chunks_exact(3)
                .map(|p| to_grey(p[0], p[1], p[2]))
                .collect();
            (1, data)
        }
        (DynamicImage::ImageRgb8(b), false) => (3, b.as_raw().clone()),
        (_, false) => (3, img.to_rgb8().into_raw()),
    };
    pil_resize::Pixels {
        width,
        height,
        channels,
        data,
    }
}
