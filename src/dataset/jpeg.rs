//! JPEG decoding as Pillow does it: libjpeg-turbo's decoder (through the `mozjpeg` crate, which
//! builds the same decoder from its bundled C source) with libjpeg's defaults, the ones Pillow
//! keeps: the accurate integer IDCT (`JDCT_ISLOW`) and "fancy" (triangular) chroma upsampling.
//!
//! The pure-Rust decoder behind the `image` crate rounds its IDCT and upsampling differently, by
//! one or two levels on some pixels; on 300 JPEGs that moved 18 top-1 predictions of the bundled
//! EfficientNet-Lite0 away from what the user's Pillow pipeline says. This decoder is bit-exact
//! with Pillow 13 (libjpeg-turbo 3) on every JPEG of the reference fixtures.
//!
//! Modes follow Pillow's `JpegImagePlugin`: one component is `L`, three are `RGB`, four are
//! `CMYK` read with Adobe's inverted polarity (`CMYK;I`, which Pillow assumes for every CMYK
//! JPEG) and turned into RGB by Pillow's own `cmyk2rgb`.

use image::{DynamicImage, GrayImage, RgbImage};

/// A decoded JPEG and the colour type its file stores.
pub struct JpegPixels {
    /// `L8` for greyscale, `Rgb8` otherwise (CMYK converted as Pillow's `convert("RGB")`).
    pub image: DynamicImage,
    /// The stored colour type (`Cmyk8` for CMYK and YCCK files).
    pub color: image::ExtendedColorType,
    /// The EXIF orientation tag (1-8) of its APP1 `Exif` segment, when there is one.
    pub exif_orientation: Option<u8>,
}

/// Why a JPEG could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JpegError {
    /// The file ends before its image data does.
    #[error("image file is truncated (no end-of-image marker after the image data)")]
    Truncated,
    /// More pixels than allowed, from the header.
    #[error("image too large ({width}x{height} pixels, limit {limit})")]
    TooLarge {
        /// Width.
        width: usize,
        /// Height.
        height: usize,
        /// The limit in pixels.
        limit: u64,
    },
    /// libjpeg's own message.
    #[error("{0}")]
    Libjpeg(String),
    /// Fewer pixels came back than the header promised.
    #[error("libjpeg returned fewer pixels than the header promised")]
    ShortData,
}

/// Decodes `data` (a whole JPEG file). `max_pixels` is checked from the header, before any
/// pixel memory is allocated. Errors are libjpeg's own message.
pub fn decode_jpeg(data: &[u8], max_pixels: u64) -> Result<JpegPixels, JpegError> {
    decode_jpeg_reduced(data, max_pixels, None)
}

/// Like [`decode_jpeg`], but with `min_longer_side` the IDCT itself scales the image down by
/// 1/2, 1/4 or 1/8 as far as its longer side stays at least that long: a preview of a
/// 2000x1500 photo decodes at 250x188 in a fifth of the time. Not Pillow's pixels (Pillow's
/// `draft` mode would be); for previews only.
pub fn decode_jpeg_reduced(
    data: &[u8],
    max_pixels: u64,
    min_longer_side: Option<u32>,
) -> Result<JpegPixels, JpegError> {
    // libjpeg reports fatal errors through a callback that the `mozjpeg` crate turns into an
    // unwind; it is caught here so a broken file is an error value, never a crash.
    let result = std::panic::catch_unwind(|| decode_unwinding(data, max_pixels, min_longer_side));
    match result {
        Ok(r) => r,
        Err(payload) => Err(JpegError::Libjpeg(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "libjpeg could not decode the file".into()),
        )),
    }
}

/// The smallest `n` of `n/8` (1, 2, 4 or 8) that keeps the longer of `w`x`h` at least
/// `min_side` long (libjpeg rounds scaled sizes up).
fn scale_numerator(w: usize, h: usize, min_side: u32) -> u8 {
    let longer = w.max(h);
    [1u8, 2, 4]
        .into_iter()
        .find(|&n| (longer * usize::from(n)).div_ceil(8) >= min_side as usize)
        .unwrap_or(8)
}

/// Whether the file ends before its image does: no end-of-image marker (`FF D9`) after the
/// last start-of-scan (`FF DA`). libjpeg pads such a file with grey and only warns; Pillow
/// refuses it ("image file is truncated"), and so does labelscope. (`FF D9` cannot occur inside
/// entropy-coded data, where `FF` is always followed by `00` or a restart marker.)
fn truncated(data: &[u8]) -> bool {
    // From the end, whichever comes first; a whole file stops at its EOI, a few bytes in.
    let last = data
        .windows(2)
        .rev()
        .find(|w| w[0] == 0xFF && (w[1] == 0xD9 || w[1] == 0xDA));
    matches!(last, Some([_, 0xDA]))
}

fn decode_unwinding(
    data: &[u8],
    max_pixels: u64,
    min_longer_side: Option<u32>,
) -> Result<JpegPixels, JpegError> {
    if truncated(data) {
        return Err(JpegError::Truncated);
    }
    let mut d = mozjpeg::Decompress::with_markers(&[mozjpeg::Marker::APP(1)])
        .from_mem(data)
        .map_err(|e| JpegError::Libjpeg(e.to_string()))?;
    let exif_orientation = d
        .markers()
        .find_map(|m| m.data.strip_prefix(b"Exif\0\0"))
        .and_then(image::metadata::Orientation::from_exif_chunk)
        .map(exif_code);
    let (w, h) = d.size();
    if w as u64 * h as u64 > max_pixels {
        return Err(JpegError::TooLarge {
            width: w,
            height: h,
            limit: max_pixels,
        });
    }
    if let Some(min_side) = min_longer_side {
        let n = scale_numerator(w, h, min_side);
        if n < 8 {
            d.scale(n);
        }
    }
    let (w32, h32);
    let too_short = || JpegError::ShortData;
    let (image, color) = match d.image().map_err(|e| JpegError::Libjpeg(e.to_string()))? {
        mozjpeg::decompress::Format::Gray(mut s) => {
            (w32, h32) = (s.width() as u32, s.height() as u32);
            let px: Vec<u8> = s
                .read_scanlines()
                .map_err(|e| JpegError::Libjpeg(e.to_string()))?;
            s.finish().map_err(|e| JpegError::Libjpeg(e.to_string()))?;
            let img = GrayImage::from_raw(w32, h32, px).ok_or_else(too_short)?;
            (DynamicImage::ImageLuma8(img), image::ExtendedColorType::L8)
        }
        mozjpeg::decompress::Format::RGB(mut s) => {
            (w32, h32) = (s.width() as u32, s.height() as u32);
            let px: Vec<[u8; 3]> = s
                .read_scanlines()
                .map_err(|e| JpegError::Libjpeg(e.to_string()))?;
            s.finish().map_err(|e| JpegError::Libjpeg(e.to_string()))?;
            let img = RgbImage::from_raw(w32, h32, px.concat()).ok_or_else(too_short)?;
            (DynamicImage::ImageRgb8(img), image::ExtendedColorType::Rgb8)
        }
        mozjpeg::decompress::Format::CMYK(mut s) => {
            (w32, h32) = (s.width() as u32, s.height() as u32);
            let px: Vec<[u8; 4]> = s
                .read_scanlines()
                .map_err(|e| JpegError::Libjpeg(e.to_string()))?;
            s.finish().map_err(|e| JpegError::Libjpeg(e.to_string()))?;
            let rgb: Vec<u8> = px.iter().flat_map(|&p| inverted_cmyk_to_rgb(p)).collect();
            let img = RgbImage::from_raw(w32, h32, rgb).ok_or_else(too_short)?;
            (
                DynamicImage::ImageRgb8(img),
                image::ExtendedColorType::Cmyk8,
            )
        }
    };
    Ok(JpegPixels {
        image,
        color,
        exif_orientation,
    })
}

/// One stored (Adobe, inverted) CMYK pixel as Pillow's `CMYK;I` unpacker and `cmyk2rgb`
/// give it: `nk = 255 - K`, each channel `nk - C * nk / 255` with Pillow's rounding division.
pub fn inverted_cmyk_to_rgb(stored: [u8; 4]) -> [u8; 3] {
    let [c, m, y, k] = stored.map(|v| 255 - i32::from(v));
    let nk = 255 - k;
    let channel = |v: i32| {
        let t = v * nk + 128;
        let muldiv = ((t >> 8) + t) >> 8;
        (nk - muldiv).clamp(0, 255) as u8
    };
    [channel(c), channel(m), channel(y)]
}

/// The EXIF orientation tag value (1-8) of `o`.
pub fn exif_code(o: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation as O;
    match o {
        O::NoTransforms => 1,
        O::FlipHorizontal => 2,
        O::Rotate180 => 3,
        O::FlipVertical => 4,
        O::Rotate90FlipH => 5,
        O::Rotate90 => 6,
        O::Rotate270FlipH => 7,
        O::Rotate270 => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmyk_conversion_matches_pillow_corner_values() {
        // Stored 255 everywhere = C=M=Y=K=0 after inversion: white.
        assert_eq!(inverted_cmyk_to_rgb([255, 255, 255, 255]), [255, 255, 255]);
        // Full black ink: K=255.
        assert_eq!(inverted_cmyk_to_rgb([255, 255, 255, 0]), [0, 0, 0]);
        // Full cyan, no black: R=0, G=B=255.
        assert_eq!(inverted_cmyk_to_rgb([0, 255, 255, 255]), [0, 255, 255]);
    }

    #[test]
    fn reduction_keeps_the_longer_side_at_least_the_preview_size() {
        assert_eq!(scale_numerator(2000, 1500, 160), 1); // 250x188
        assert_eq!(scale_numerator(500, 375, 160), 4); // 250x188
        assert_eq!(scale_numerator(1280, 200, 160), 1); // 160x25
        assert_eq!(scale_numerator(1279, 200, 160), 1); // 159.9 rounds up to 160
        assert_eq!(scale_numerator(1270, 200, 160), 2);
        assert_eq!(scale_numerator(100, 80, 160), 8); // never enlarged, never reduced
    }

    #[test]
    fn a_truncated_file_is_an_error_as_in_pillow() {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut whole = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut whole, 90)
            .encode_image(&img)
            .unwrap();
        assert!(decode_jpeg(&whole, 1_000_000).is_ok());
        let cut = &whole[..whole.len() * 2 / 3];
        let err = decode_jpeg(cut, 1_000_000).err().unwrap();
        assert_eq!(err, JpegError::Truncated, "{err}");
        // Trailing bytes after the end-of-image marker are fine (Pillow reads such files).
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"trailing junk");
        assert!(decode_jpeg(&trailing, 1_000_000).is_ok());
    }

    #[test]
    fn garbage_is_an_error_not_a_crash() {
        let mut data = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        data.extend_from_slice(b"JFIF\0garbage garbage garbage");
        assert!(decode_jpeg(&data, 1_000_000).is_err());
        assert!(decode_jpeg(b"not a jpeg", 1_000_000).is_err());
    }
}
