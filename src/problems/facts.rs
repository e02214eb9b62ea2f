//! Facts about each image file, gathered as a per-sample job and cached per file stamp: size,
//! content hash, dimensions, colour mode, a perceptual hash, or the decoder's error. Duplicate
//! and odd-image checks work from these.

use image_hasher::{HashAlg, HasherConfig};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::aligned::{Signature, signature};
use super::signature_store::{SignatureSink, Signatures};
use crate::dataset::Dataset;
use crate::embed::matrix::Spill;
use crate::jobs::JobControl;
use crate::jobs::per_sample::{ResultCache, SampleWork, run_per_sample};
use crate::stamp_cache::{CacheError, FileStamp, StampCache};

const FACTS_VERSION: u32 = 3;

/// What the facts cache and its parts hold.
const FACTS_WHAT: &str = "image facts";

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

/// Image facts over a dataset, as a [`SampleWork`]: each signature goes to `sink`, the facts
/// it returns have none.
struct FactsWork<'a> {
    ds: &'a Dataset,
    sink: &'a SignatureSink,
}

impl SampleWork for FactsWork<'_> {
    type Output = ImageFacts;
    type Worker = ();
    type StartError = std::convert::Infallible;

    fn start_worker(&self) -> Result<(), Self::StartError> {
        Ok(())
    }

    fn run(&self, _: &mut (), i: usize) -> ImageFacts {
        let mut facts = image_facts(&self.ds.samples[i].path);
        self.sink.put(i, facts.signature.take());
        facts
    }

    fn failed(&self, out: &ImageFacts) -> bool {
        out.error.is_some()
    }
}

/// The facts cache with the dataset's signatures kept apart, in a [`SignatureSink`]: taken out
/// of each entry as the file is decoded and put back into each entry as it is saved, so the
/// cache holds the facts without their gigabyte of signatures at a million images.
struct FactsCache<'a> {
    cache: StampCache<ImageFacts>,
    /// Dataset sample of each id.
    index: HashMap<&'a str, usize>,
    sink: &'a SignatureSink,
}

impl<'a> FactsCache<'a> {
    /// The cache at `path` with the entries of `parts` (made by `issues --shard`) added: a
    /// part's entry answers like the cache's own while its file keeps its stamp. Notes say
    /// how many came from the parts and which part did not verify.
    fn open(
        path: PathBuf,
        parts: &[PathBuf],
        ds: &'a Dataset,
        sink: &'a SignatureSink,
    ) -> (Self, Vec<String>) {
        let index: HashMap<&str, usize> = ds
            .samples
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.0.as_str(), i))
            .collect();
        // A stale entry's signature put here is put again when its sample is computed; a
        // file that does not verify has every sample computed again.
        let mut keep_apart = |id: &str, facts: &mut ImageFacts| {
            if let Some(&i) = index.get(id) {
                sink.put(i, facts.signature.take());
            }
        };
        let mut cache = StampCache::open_with(path, FACTS_VERSION, FACTS_WHAT, &mut keep_apart);
        let mut notes = Vec::new();
        let mut from_parts = 0;
        for part in parts {
            let part =
                StampCache::open_with(part.clone(), FACTS_VERSION, FACTS_WHAT, &mut keep_apart);
            notes.extend(part.notice().map(str::to_string));
            from_parts += part.len();
            cache.absorb(part);
        }
        if !parts.is_empty() {
            notes.push(format!(
                "{from_parts} images' facts read from {} part{}",
                parts.len(),
                if parts.len() == 1 { "" } else { "s" }
            ));
        }
        (Self { cache, index, sink }, notes)
    }
}

impl ResultCache<ImageFacts> for FactsCache<'_> {
    fn notice(&self) -> Option<&str> {
        self.cache.notice()
    }
    fn lookup(&self, id: &str, stamp: Option<FileStamp>) -> Option<ImageFacts> {
        self.cache.get(id, stamp).cloned()
    }
    fn take(&mut self, id: &str, stamp: Option<FileStamp>) -> Option<ImageFacts> {
        self.cache.take(id, stamp)
    }
    fn store(&mut self, id: String, stamp: FileStamp, value: ImageFacts) {
        self.cache.insert(id, stamp, value);
    }
    fn save(&self) -> Result<(), CacheError> {
        self.cache.save_with(|id, facts| match self.index.get(id) {
            Some(&i) => Cow::Owned(ImageFacts {
                signature: self.sink.get(i),
                ..facts.clone()
            }),
            None => Cow::Borrowed(facts),
        })
    }
}

/// What [`collect_facts`] gathered.
pub struct GatheredFacts {
    /// Per sample, without its signature; `None` where cancelled.
    pub facts: Vec<Option<ImageFacts>>,
    /// Every sample's signature: on disk in the state folder past a size.
    pub signatures: Signatures,
    /// Why the signatures stayed in memory when they were meant for disk; what came from the
    /// parts, and which part did not verify.
    pub notes: Vec<String>,
}

/// Facts for every sample of `ds`, on one worker per core, reusing the cache in `state_dir`
/// (and the facts of `parts`, made by `issues --shard`) for unchanged files. The signatures
/// are kept apart as they are read (out of core past a size, in `state_dir`), never all in
/// memory with the facts.
pub fn collect_facts(
    ds: &Dataset,
    state_dir: Option<&Path>,
    parts: &[PathBuf],
    control: &JobControl,
) -> GatheredFacts {
    gather(ds, state_dir, parts, Spill::DEFAULT_PAST_BYTES, control)
}

/// The extension of the parts `issues --shard` writes (`part-I-of-N.facts`).
pub const FACTS_PART_EXT: &str = "facts";

/// Gathers the facts of `ds` (one shard's samples) as [`collect_facts`] does and writes them,
/// with their signatures, to `part` for `issues --image-facts` to read (a checked cache file,
/// written under a temporary name and renamed). Returns how many samples it holds.
pub fn write_facts_part(
    ds: &Dataset,
    state_dir: Option<&Path>,
    part: &Path,
    control: &JobControl,
) -> Result<usize, CacheError> {
    // Stamped before the images are read: a file that changes meanwhile keeps an older stamp
    // in the part, and is read again by the run over the parts.
    let stamps: Vec<Option<FileStamp>> = ds
        .samples
        .par_iter()
        .map(|s| FileStamp::of(&s.path))
        .collect();
    let gathered = collect_facts(ds, state_dir, &[], control);
    for note in &gathered.notes {
        control.note(note.clone());
    }
    let mut out = StampCache::fresh(part.to_path_buf(), FACTS_VERSION, FACTS_WHAT);
    let mut index = HashMap::new();
    for (i, ((s, facts), stamp)) in ds
        .samples
        .iter()
        .zip(gathered.facts)
        .zip(stamps)
        .enumerate()
    {
        if let (Some(facts), Some(stamp)) = (facts, stamp) {
            index.insert(s.id.0.as_str(), i);
            out.insert(s.id.0.clone(), stamp, facts);
        }
    }
    out.save_with(|id, facts| match index.get(id) {
        Some(&i) => Cow::Owned(ImageFacts {
            signature: gathered.signatures.get(i).map(Cow::into_owned),
            ..facts.clone()
        }),
        None => Cow::Borrowed(facts),
    })?;
    Ok(out.len())
}

/// [`collect_facts`] with the signatures on disk past `past_bytes`.
fn gather(
    ds: &Dataset,
    state_dir: Option<&Path>,
    parts: &[PathBuf],
    past_bytes: usize,
    control: &JobControl,
) -> GatheredFacts {
    let spill = state_dir.map(|d| Spill {
        dir: d.join("problems"),
        past_bytes,
    });
    let sink = SignatureSink::new(ds.samples.len(), spill.as_ref());
    let mut notes = Vec::new();
    let mut cache = state_dir.map(|d| {
        let (cache, part_notes) =
            FactsCache::open(d.join("problems").join("facts.json"), parts, ds, &sink);
        notes.extend(part_notes);
        cache
    });
    if state_dir.is_none() && !parts.is_empty() {
        notes.push("the image facts' parts were not read: the dataset has no state folder".into());
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let work = FactsWork { ds, sink: &sink };
    let facts = match run_per_sample(
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
    };
    drop(cache);
    let (signatures, note) = sink.finish();
    notes.extend(note);
    GatheredFacts {
        facts,
        signatures,
        notes,
    }
}

#[cfg(test)]
#[path = "facts_tests.rs"]
mod tests;
