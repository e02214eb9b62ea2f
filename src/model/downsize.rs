//! Lowering an image's resolution before the model's own preprocessing: what a camera or
//! capture setting of a lower resolution gives (`evaluate --resolutions`). The longest side
//! becomes the asked size with the aspect ratio kept, by Pillow's `Image.resize` with the
//! bilinear filter (bit for bit, [`super::pil_resize`]); an image no larger stays as it is.

use image::DynamicImage;

use super::pil_resize;
use super::pixels::pillow_pixels;
use super::spec::Interpolation;

/// The size `(w, h)` scaled so the longer side is `max_side` (each side rounded, at least 1),
/// or `None` when the image is no larger.
pub fn downsized_size(w: u32, h: u32, max_side: u32) -> Option<(u32, u32)> {
    let long = w.max(h);
    if long <= max_side || max_side == 0 {
        return None;
    }
    let scale =
        |v: u32| ((f64::from(v) * f64::from(max_side) / f64::from(long)).round() as u32).max(1);
    Some((scale(w), scale(h)))
}

/// `img` with its longest side at most `max_side`: grey images stay grey (`L`), the others
/// become `RGB` (alpha dropped, as the model's preprocessing drops it).
pub fn downsize(img: &DynamicImage, max_side: u32) -> Option<DynamicImage> {
    let (w, h) = downsized_size(img.width(), img.height(), max_side)?;
    let grey = matches!(
        img,
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA8(_)
    );
    let src = pillow_pixels(img, grey);
    let out = pil_resize::resize(&src, w as usize, h as usize, Interpolation::Bilinear);
    if grey {
        image::GrayImage::from_raw(w, h, out.data).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, out.data).map(DynamicImage::ImageRgb8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_side_becomes_the_asked_size_and_small_images_stay() {
        assert_eq!(downsized_size(500, 375, 128), Some((128, 96)));
        assert_eq!(downsized_size(375, 500, 64), Some((48, 64)));
        assert_eq!(downsized_size(28, 28, 64), None);
        assert_eq!(downsized_size(1000, 3, 10), Some((10, 1)));
        let img = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(40, 20, image::Luma([7])));
        let small = downsize(&img, 10).unwrap();
        assert_eq!((small.width(), small.height()), (10, 5));
        assert!(matches!(small, DynamicImage::ImageLuma8(_)));
        assert!(downsize(&img, 40).is_none());
    }
}
