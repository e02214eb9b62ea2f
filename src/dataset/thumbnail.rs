//! Small previews (gallery thumbnails, images sent to a VLM endpoint): one decode, then a SIMD
//! resize in the decoded pixel format, and only the small result is expanded to RGBA.
//!
//! JPEGs are decoded already reduced: libjpeg-turbo's IDCT scales by 1/2, 1/4 or 1/8 as far as
//! the longer side stays at least the preview size, so a 2000x1500 photo is decoded at 250x188
//! (see docs/performance.md). The pure-Rust decoder that offered it (`jpeg-decoder`) was
//! measured first and was no faster than a full decode.

use std::path::Path;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

use super::image_io::{DecodeError, decode_preview};

/// The size that fits `w`x`h` into `max_side` on its longer side (never enlarged).
pub fn fit(w: u32, h: u32, max_side: u32) -> (u32, u32) {
    let k = f64::from(max_side) / f64::from(w.max(h).max(1));
    if k >= 1.0 {
        return (w, h);
    }
    (
        ((f64::from(w) * k).round() as u32).max(1),
        ((f64::from(h) * k).round() as u32).max(1),
    )
}

/// `path` scaled so its longer side is at most `max_side` (never enlarged), as RGBA.
pub fn thumbnail(path: &Path, max_side: u32) -> Result<RgbaImage, DecodeError> {
    let img = decode_preview(path, max_side)?;
    let (tw, th) = fit(img.width(), img.height(), max_side);
    if (tw, th) == (img.width(), img.height()) {
        return Ok(img.into_rgba8());
    }
    let resize_err = |e: fast_image_resize::ResizeError| DecodeError {
        reason: format!("resize failed ({e})"),
        path: path.to_path_buf(),
    };
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    let mut resizer = Resizer::new();
    let small = match &img {
        DynamicImage::ImageRgb8(src) => {
            let mut dst = RgbImage::new(tw, th);
            resizer
                .resize(src, &mut dst, &options)
                .map_err(resize_err)?;
            DynamicImage::ImageRgb8(dst)
        }
        DynamicImage::ImageLuma8(src) => {
            let mut dst = GrayImage::new(tw, th);
            resizer
                .resize(src, &mut dst, &options)
                .map_err(resize_err)?;
            DynamicImage::ImageLuma8(dst)
        }
        other => {
            let src = other.to_rgba8();
            let mut dst = RgbaImage::new(tw, th);
            resizer
                .resize(&src, &mut dst, &options)
                .map_err(resize_err)?;
            DynamicImage::ImageRgba8(dst)
        }
    };
    Ok(small.into_rgba8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnail_fits_the_longer_side_keeps_the_picture_and_never_enlarges() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.jpg");
        RgbImage::from_fn(1000, 500, |x, _| {
            image::Rgb(if x < 500 {
                [250, 10, 10]
            } else {
                [10, 10, 250]
            })
        })
        .save(&big)
        .unwrap();
        let t = thumbnail(&big, 160).unwrap();
        assert_eq!(t.dimensions(), (160, 80));
        let (left, right) = (t.get_pixel(20, 40), t.get_pixel(140, 40));
        assert!(left[0] > 200 && left[2] < 50, "{left:?}");
        assert!(right[2] > 200 && right[0] < 50, "{right:?}");
        assert_eq!(left[3], 255);
        let small = dir.path().join("small.png");
        GrayImage::new(100, 60).save(&small).unwrap();
        assert_eq!(thumbnail(&small, 160).unwrap().dimensions(), (100, 60));
        let gray = dir.path().join("gray.png");
        GrayImage::from_pixel(640, 320, image::Luma([77]))
            .save(&gray)
            .unwrap();
        let g = thumbnail(&gray, 160).unwrap();
        assert_eq!(g.dimensions(), (160, 80));
        assert_eq!(g.get_pixel(80, 40).0, [77, 77, 77, 255]);
    }

    #[test]
    fn corrupt_file_reports_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.jpg");
        std::fs::write(&p, [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J']).unwrap();
        let e = thumbnail(&p, 160).unwrap_err().to_string();
        assert!(e.contains("bad.jpg"), "{e}");
    }
}
