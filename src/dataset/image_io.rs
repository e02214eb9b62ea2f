//! Decoding image files with limits: a decompression bomb is refused before allocation, and
//! every failure names the file.

use std::borrow::Cow;
use std::path::Path;

use image::DynamicImage;

/// Largest image (in pixels) we decode: 100 megapixels.
pub const MAX_PIXELS: u64 = 100_000_000;

pub use super::decode_error::DecodeError;
use super::decode_error::Unreadable;

/// Reads and decodes an image file, refusing images over [`MAX_PIXELS`] before decoding.
pub fn decode_image(path: &Path) -> Result<DynamicImage, DecodeError> {
    decode_image_with_color(path).map(|(img, _)| img)
}

/// Like [`decode_image`], also returning the file's own colour type (e.g. CMYK for a CMYK JPEG,
/// which decodes to RGB).
pub fn decode_image_with_color(
    path: &Path,
) -> Result<(DynamicImage, image::ExtendedColorType), DecodeError> {
    decode_full(path).map(|d| (d.image, d.color))
}

/// A decoded image with what its file says about it.
#[derive(Debug)]
pub struct Decoded {
    /// The pixels as stored (no orientation applied).
    pub image: DynamicImage,
    /// The file's own colour type.
    pub color: image::ExtendedColorType,
    /// The EXIF orientation tag (1-8), when the file has one.
    pub exif_orientation: Option<u8>,
}

/// Decodes `path` for a model: with `apply_orientation`, rotated/flipped as its EXIF
/// orientation says (Pillow's `ImageOps.exif_transpose`); returns the tag either way.
pub fn decode_for_model(
    path: &Path,
    apply_orientation: bool,
) -> Result<(DynamicImage, Option<u8>), DecodeError> {
    let mut d = decode_full(path)?;
    if apply_orientation
        && let Some(o) = d
            .exif_orientation
            .and_then(image::metadata::Orientation::from_exif)
    {
        d.image.apply_orientation(o);
    }
    Ok((d.image, d.exif_orientation))
}

/// Decodes `path` with its colour type and EXIF orientation tag.
pub fn decode_full(path: &Path) -> Result<Decoded, DecodeError> {
    decode_reduced(path, None)
}

/// Decodes `path` for a preview at least `min_longer_side` pixels on its longer side: a JPEG
/// is scaled down by its IDCT (1/2, 1/4, 1/8) as far as that allows, any other format is
/// decoded in full.
pub fn decode_preview(path: &Path, min_longer_side: u32) -> Result<DynamicImage, DecodeError> {
    decode_reduced(path, Some(min_longer_side)).map(|d| d.image)
}

fn decode_reduced(path: &Path, min_longer_side: Option<u32>) -> Result<Decoded, DecodeError> {
    let decoded = match open_source(path) {
        Ok(Source::Row(data)) => row_reader(&data).and_then(|reader| {
            decode_with(
                reader,
                || Ok(Cow::Borrowed(data.as_slice())),
                min_longer_side,
            )
        }),
        Ok(Source::File(reader)) => {
            let read_all = || {
                std::fs::read(path)
                    .map(Cow::Owned)
                    .map_err(Unreadable::ReadFile)
            };
            decode_with(reader, read_all, min_longer_side)
        }
        Err(reason) => Err(reason),
    };
    decoded.map_err(|reason| reason.at(path))
}

/// Decodes an image from its bytes already in memory (as read from `path`, which errors name).
pub fn decode_bytes(data: &[u8], path: &Path) -> Result<Decoded, DecodeError> {
    row_reader(data)
        .and_then(|reader| decode_with(reader, || Ok(Cow::Borrowed(data)), None))
        .map_err(|reason| reason.at(path))
}

/// Where an image's bytes are: a table row's (read into memory), or a regular file.
enum Source {
    Row(Vec<u8>),
    File(image::ImageReader<std::io::BufReader<std::fs::File>>),
}

/// The image at `path`: a table row's bytes, or a reader on the file once it is known to be a
/// regular, non-empty file. The error is the reason, without the path.
fn open_source(path: &Path) -> Result<Source, Unreadable> {
    if let Some(bytes) = super::embedded::read_image_bytes(path) {
        let data = bytes.map_err(|e| Unreadable::Row(e.reason))?;
        if data.is_empty() {
            return Err(Unreadable::EmptyRow);
        }
        return Ok(Source::Row(data));
    }
    let meta = std::fs::metadata(path).map_err(Unreadable::ReadFile)?;
    if let Some(kind) = not_a_file(&meta) {
        return Err(Unreadable::NotAFile(kind));
    }
    if meta.len() == 0 {
        return Err(Unreadable::EmptyFile);
    }
    image::ImageReader::open(path)
        .map_err(Unreadable::Open)?
        .with_guessed_format()
        .map_err(Unreadable::Format)
        .map(Source::File)
}

/// A reader on a table row's bytes, its format guessed from them.
fn row_reader(data: &[u8]) -> Result<image::ImageReader<std::io::Cursor<&[u8]>>, Unreadable> {
    image::ImageReader::new(std::io::Cursor::new(data))
        .with_guessed_format()
        .map_err(Unreadable::Format)
}

/// Decodes what `reader` reads; a JPEG is decoded from all its bytes (`read_all`).
fn decode_with<'a, R: std::io::BufRead + std::io::Seek>(
    mut reader: image::ImageReader<R>,
    read_all: impl FnOnce() -> Result<Cow<'a, [u8]>, Unreadable>,
    min_longer_side: Option<u32>,
) -> Result<Decoded, Unreadable> {
    if reader.format() == Some(image::ImageFormat::Jpeg) {
        // JPEGs go through libjpeg-turbo's decoder so the pixels are Pillow's (see `jpeg`).
        let data = read_all()?;
        let j = super::jpeg::decode_jpeg_reduced(&data, MAX_PIXELS, min_longer_side)
            .map_err(|e| Unreadable::Jpeg(e.to_string()))?;
        return Ok(Decoded {
            image: j.image,
            color: j.color,
            exif_orientation: j.exif_orientation,
        });
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(Unreadable::Header)?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Unreadable::TooLarge {
            w,
            h,
            limit: MAX_PIXELS,
        });
    }
    let color = image::ImageDecoder::original_color_type(&decoder);
    // An unreadable EXIF block is no reason to refuse the pixels.
    let exif_orientation = image::ImageDecoder::exif_metadata(&mut decoder)
        .ok()
        .flatten()
        .and_then(|chunk| image::metadata::Orientation::from_exif_chunk(&chunk))
        .map(super::jpeg::exif_code);
    let image = DynamicImage::from_decoder(decoder).map_err(Unreadable::Decode)?;
    Ok(Decoded {
        image,
        color,
        exif_orientation,
    })
}

/// The bytes of the image at `path`: a file's content, or the row of a Hugging Face table.
pub fn read_image_bytes(path: &Path) -> Result<Vec<u8>, DecodeError> {
    match super::embedded::read_image_bytes(path) {
        Some(bytes) => bytes,
        None => std::fs::read(path).map_err(|e| DecodeError {
            reason: format!("cannot read file ({e})"),
            path: path.to_path_buf(),
        }),
    }
}

pub use crate::bounded_read::not_a_file;

/// Checks that `path` is a regular file whose content is an image of a format the decoder
/// reads (its header parses), without decoding the pixels. The error says why not.
pub fn check_image_file(path: &Path) -> Result<(), DecodeError> {
    let checked = match open_source(path) {
        Ok(Source::Row(data)) => row_reader(&data).and_then(check_header),
        Ok(Source::File(reader)) => check_header(reader),
        Err(reason) => Err(reason),
    };
    checked.map_err(|reason| reason.at(path))
}

/// Whether `reader`'s content is an image format the decoder reads, with a header that parses
/// and no more than [`MAX_PIXELS`] pixels.
fn check_header<R: std::io::BufRead + std::io::Seek>(
    reader: image::ImageReader<R>,
) -> Result<(), Unreadable> {
    if reader.format().is_none() {
        return Err(Unreadable::NotAnImage);
    }
    let (w, h) = reader.into_dimensions().map_err(Unreadable::BadHeader)?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(Unreadable::Bomb {
            w,
            h,
            pixels,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_empty_files_fail_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.png");
        std::fs::write(&empty, b"").unwrap();
        let junk = dir.path().join("junk.jpg");
        std::fs::write(&junk, b"this is not a jpeg").unwrap();
        for p in [&empty, &junk] {
            let e = decode_image(p).unwrap_err().to_string();
            assert!(e.contains(&p.display().to_string()), "{e}");
        }
        assert!(decode_image(&empty).unwrap_err().reason.contains("empty"));
    }

    #[test]
    fn decodes_a_real_png() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        image::RgbImage::from_pixel(5, 3, image::Rgb([1, 2, 3]))
            .save(&p)
            .unwrap();
        let img = decode_image(&p).unwrap();
        assert_eq!((img.width(), img.height()), (5, 3));
    }
}
