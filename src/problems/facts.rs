//! Facts about each image file, gathered as a per-sample job and cached per file stamp: size,
//! content hash, dimensions, colour mode, a perceptual hash, or the decoder's error. Duplicate
//! and odd-image checks work from these.

use image_hasher::{HashAlg, HasherConfig};
use serde::{Deserialize, Serialize};

use super::aligned::{Signature, signature};
use crate::dataset::Dataset;
use crate::jobs::JobControl;
use crate::jobs::per_sample::{SampleWork, run_per_sample};
use crate::stamp_cache::StampCache;

const FACTS_VERSION: u32 = 3;

/// What is known about one image file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageFacts {
    /// File size in bytes.
    pub bytes: u64,
    /// BLAKE3 of the file's bytes (hex, 32 chars).
    pub content_hash: String,
    /// Width in pixels (0 when undecodable).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour mode of the file (`L8`, `La8`, `Rgb8`, `Rgba8`, `Cmyk8`, ...).
    pub color: String,
    /// 256-bit perceptual hash (16x16 DCT + median, i.e. pHash) of the decoded image.
    pub phash: Option<PHash>,
    /// A 32x32 greyscale thumbnail, for lining up near-copy candidates.
    #[serde(default)]
    pub signature: Option<Signature>,
    /// Why the file could not be read or decoded.
    pub error: Option<String>,
}

impl ImageFacts {
    /// Whether the file decoded.
    pub fn readable(&self) -> bool {
        self.error.is_none()
    }
}

/// A 256-bit perceptual hash.
pub type PHash = [u64; 4];

/// Bits that differ between two hashes.
pub fn distance(a: &PHash, b: &PHash) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// The perceptual hash of an image: 16x16 DCT coefficients against their median. Measured on
/// the bundled images, resized and re-encoded copies stay within 10 bits and distinct images
/// are at least 36 bits apart (64-bit hashes left only 2 bits between them on Fashion-MNIST).
pub fn phash(img: &image::DynamicImage) -> PHash {
    let bytes = HasherConfig::with_bytes_type::<[u8; 32]>()
        .hash_size(16, 16)
        .hash_alg(HashAlg::Median)
        .preproc_dct()
        .to_hasher()
        .hash_image(img)
        .into_inner();
    let mut out = [0u64; 4];
    for (k, chunk) in bytes.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        out[k] = u64::from_le_bytes(word);
    }
    out
}

/// A colour type as people say it: `Rgb8` is "RGB", `L8` "greyscale", `La16` "16-bit
/// greyscale with alpha" (unknown names are kept as they are).
pub fn colour_name(color: &str) -> String {
    let (base, bits) = match color.find(|c: char| c.is_ascii_digit()) {
        Some(k) => color.split_at(k),
        None => (color, ""),
    };
    let name = match base {
        "L" => "greyscale",
        "La" => "greyscale with alpha",
        "Rgb" => "RGB",
        "Rgba" => "RGBA",
        "Cmyk" => "CMYK",
        "Bgr" => "BGR",
        "Bgra" => "BGRA",
        _ => return color.to_string(),
    };
    match bits {
        "" | "8" => name.to_string(),
        "32F" => format!("32-bit float {name}"),
        b => format!("{b}-bit {name}"),
    }
}

/// A decoded image's colour type as people say it, from the type itself (the same words as
/// [`colour_name`] gives for the code the facts cache keeps).
pub fn colour_of(color: image::ExtendedColorType) -> String {
    use image::ExtendedColorType as C;
    let name = match color {
        C::A8 => "alpha",
        C::L1 | C::L2 | C::L4 | C::L8 | C::L16 => "greyscale",
        C::La1 | C::La2 | C::La4 | C::La8 | C::La16 => "greyscale with alpha",
        C::Rgb1 | C::Rgb2 | C::Rgb4 | C::Rgb5x1 | C::Rgb8 | C::Rgb16 | C::Rgb32F => "RGB",
        C::Rgba1 | C::Rgba2 | C::Rgba4 | C::Rgba8 | C::Rgba16 | C::Rgba32F => "RGBA",
        C::Bgr8 => "BGR",
        C::Bgra8 => "BGRA",
        C::Cmyk8 | C::Cmyk16 => "CMYK",
        // A colour type newer than this list: its own name.
        other => return format!("{other:?}"),
    };
    let bits = color.bits_per_pixel() / u16::from(color.channel_count().max(1));
    match color {
        C::Rgb32F | C::Rgba32F => format!("32-bit float {name}"),
        _ if bits == 8 => name.to_string(),
        _ => format!("{bits}-bit {name}"),
    }
}

/// Reads, hashes and decodes one file.
pub fn image_facts(path: &std::path::Path) -> ImageFacts {
    let bytes = crate::dataset::image_io::read_image_bytes(path);
    let (size, content_hash) = match &bytes {
        Ok(b) => (b.len() as u64, blake3::hash(b).to_hex()[..32].to_string()),
        Err(_) => (0, String::new()),
    };
    drop(bytes);
    match crate::dataset::image_io::decode_image_with_color(path) {
        Ok((img, color)) => ImageFacts {
            bytes: size,
            content_hash,
            width: img.width(),
            height: img.height(),
            color: format!("{color:?}"),
            phash: Some(phash(&img)),
            signature: Some(signature(&img)),
            error: None,
        },
        Err(e) => ImageFacts {
            bytes: size,
            content_hash,
            width: 0,
            height: 0,
            color: String::new(),
            phash: None,
            signature: None,
            error: Some(e.reason),
        },
    }
}

/// Image facts over a dataset, as a [`SampleWork`].
struct FactsWork<'a> {
    ds: &'a Dataset,
}

impl SampleWork for FactsWork<'_> {
    type Output = ImageFacts;
    type Worker = ();
    type StartError = std::convert::Infallible;

    fn start_worker(&self) -> Result<(), Self::StartError> {
        Ok(())
    }

    fn run(&self, _: &mut (), i: usize) -> ImageFacts {
        image_facts(&self.ds.samples[i].path)
    }

    fn failed(&self, out: &ImageFacts) -> bool {
        out.error.is_some()
    }
}

/// Facts for every sample of `ds`, on one worker per core, reusing the cache in `state_dir` for
/// unchanged files. Cancelled samples are `None`.
pub fn collect_facts(
    ds: &Dataset,
    state_dir: Option<&std::path::Path>,
    control: &JobControl,
) -> Vec<Option<ImageFacts>> {
    let mut cache: Option<StampCache<ImageFacts>> = state_dir.map(|d| {
        StampCache::open(
            d.join("problems").join("facts.json"),
            FACTS_VERSION,
            "image facts",
        )
    });
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let work = FactsWork { ds };
    match run_per_sample(
        &ds.samples,
        &work,
        threads,
        "facts",
        cache.as_mut(),
        control,
    ) {
        Ok(run) => run.outcomes,
        Err(e) => {
            // Only a worker thread that could not start gets here: every sample is missing.
            control.note(format!("image facts not gathered: {e}"));
            vec![None; ds.samples.len()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_colour_reads_as_the_cached_code_does() {
        use image::ExtendedColorType as C;
        for (c, code) in [
            (C::Rgb8, "Rgb8"),
            (C::L16, "L16"),
            (C::La8, "La8"),
            (C::Rgba32F, "Rgba32F"),
            (C::Cmyk8, "Cmyk8"),
            (C::L8, "L8"),
        ] {
            assert_eq!(colour_of(c), colour_name(code), "{code}");
        }
        assert_eq!(colour_of(C::L16), "16-bit greyscale");
    }
}
