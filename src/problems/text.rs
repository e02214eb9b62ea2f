//! Text and watermark contamination: the bundled PP-OCR text detector (DBNet) run over each
//! image, cached per file; its output becomes lines of text in `text_boxes`. An image is
//! flagged when the detector is sure of a line-shaped region (see `text_boxes`).

use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::dataset::image_io::decode_image;
use crate::jobs::JobControl;
use crate::jobs::per_sample::{SampleWork, run_per_sample};
use crate::model::LoadedModel;
use crate::model::WorkerError;
use crate::model::backend::Backend;
use crate::model::preprocess::preprocess;
use crate::model::spec::{
    ColorOrder, InputSpec, Interpolation, LabelsSpec, ModelSpec, OutputKind, OutputSpec,
    ResizeMode, TensorLayout,
};
use crate::model::{BackendError, ResolvedBackend};
use crate::stamp_cache::StampCache;

/// The PP-OCRv6 tiny text detector, embedded so the binary works anywhere (Apache-2.0,
/// see `assets/models/README.md`).
pub const TEXT_MODEL_BYTES: &[u8] =
    include_bytes!("../../assets/models/ppocrv6_tiny_text_det.onnx");

/// The boxes, lines and their settings, re-exported where the detector lives.
pub use super::text_boxes::{LINE_SCORE, TextBox, TextOptions, TextResult, db_boxes, to_image};

/// How much larger than the images the detector input is: small text (a 14 px corner
/// watermark on a 320x240 photo) is found at 2.3x (736 px) and missed at 1.5x (480 px); on the
/// sample's 112 px images 2.3x finds 28 of the 30 injected texts against 26, flagging nothing
/// else either way.
const INPUT_SCALE: f32 = 2.3;

/// The detector input side for `opts` on `ds`: as set, or 2.3x the first readable image's
/// longer side rounded up to a multiple of 32, between 128 and 736.
pub fn input_size(ds: &Dataset, opts: &TextOptions) -> u32 {
    let size = opts.input_size.unwrap_or_else(|| {
        let side = ds
            .samples
            .iter()
            .take(50)
            .find_map(|s| image::image_dimensions(&s.path).ok())
            .map_or(736, |(w, h)| w.max(h));
        (side as f32 * INPUT_SCALE) as u32
    });
    (size.div_ceil(32) * 32).clamp(128, 736)
}

/// Why the bundled detector could not be written where the backends load it from.
#[derive(Debug, thiserror::Error)]
pub enum TextModelError {
    /// The models folder could not be created.
    #[error("cannot create {path}: {source}")]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

crate::jobs::fails_jobs!(TextModelError);

/// The detector as a model the inference backends can run (input `x`, BGR, `(x - 127.5) /
/// 127.5`, letterboxed to a `size` square), with the ONNX file written once to `dir`.
pub fn text_model(dir: &Path, size: u32) -> Result<LoadedModel, TextModelError> {
    let hash = blake3::hash(TEXT_MODEL_BYTES).to_hex().to_string();
    std::fs::create_dir_all(dir).map_err(|source| TextModelError::CreateFolder {
        path: dir.to_path_buf(),
        source,
    })?;
    // The file is checked against the bundled bytes every time: a damaged copy is rewritten,
    // never used; a path that cannot be written (a folder sits there) gives way to the next
    // name.
    let mut first_error = None;
    let mut found = None;
    for n in 0..4 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let path: PathBuf = dir.join(format!(
            "ppocrv6_tiny_text_det-{}{suffix}.onnx",
            &hash[..12]
        ));
        let intact = path.is_file() && std::fs::read(&path).is_ok_and(|b| b == TEXT_MODEL_BYTES);
        if intact {
            found = Some(path);
            break;
        }
        match crate::state::write_atomic(&path, TEXT_MODEL_BYTES) {
            Ok(()) => {
                found = Some(path);
                break;
            }
            Err(source) => {
                first_error.get_or_insert(TextModelError::Write { path, source });
            }
        }
    }
    let Some(path) = found else {
        return Err(first_error.unwrap_or_else(|| TextModelError::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::other("no file name could be written"),
        }));
    };
    let size = size.div_ceil(32).max(1) * 32;
    Ok(LoadedModel {
        spec: ModelSpec {
            name: "PP-OCRv6 tiny text detector".into(),
            model: None,
            input: InputSpec {
                name: Some("x".into()),
                layout: TensorLayout::Nchw,
                color: ColorOrder::Bgr,
                height: size,
                width: size,
                resize: ResizeMode::Letterbox,
                resize_shorter_to: None,
                interpolation: Interpolation::Bilinear,
                mean: vec![127.5],
                std: vec![127.5],
                exif_orientation: Default::default(),
                resize_library: Default::default(),
            },
            output: OutputSpec {
                name: None,
                kind: OutputKind::Probabilities,
                temperature: None,
            },
            labels: LabelsSpec::List(vec!["text".into()]),
            label_map: None,
            embedding: None,
        },
        onnx_path: path,
        spec_path: None,
        model_labels: vec!["text".into()],
        notes: Vec::new(),
        model_hash: hash,
        embedding: Err(crate::model::embedding_value::NoEmbeddingValue::Off(
            "the text detector has no embedding",
        )),
        dynamic_input: true,
    })
}

/// Per-sample text detection outcome (an error names the file).
pub type TextOutcome = Result<TextResult, String>;

/// The text detector over a dataset, as a [`SampleWork`].
struct TextWork<'a> {
    ds: &'a Dataset,
    model: &'a LoadedModel,
    backend: &'a ResolvedBackend,
    opts: &'a TextOptions,
}

impl SampleWork for TextWork<'_> {
    type Output = TextOutcome;
    type Worker = Box<dyn Backend>;
    type StartError = BackendError;

    fn start_worker(&self) -> Result<Box<dyn Backend>, BackendError> {
        self.backend.factory.create()
    }

    fn run(&self, b: &mut Box<dyn Backend>, i: usize) -> TextOutcome {
        let path = &self.ds.samples[i].path;
        let input = &self.model.spec.input;
        let img = decode_image(path).map_err(|e| e.to_string())?;
        let tensor = preprocess(&img, input).map_err(|e| format!("{e}: {}", path.display()))?;
        let rows = b
            .run(&tensor, 1)
            .map_err(|e| format!("{e}: {}", path.display()))?;
        let map = &rows
            .first()
            .ok_or_else(|| format!("no output: {}", path.display()))?
            .logits;
        let size = input.width as usize;
        Ok(to_image(
            db_boxes(map, size, self.opts),
            img.width(),
            img.height(),
            input,
        ))
    }

    fn failed(&self, out: &TextOutcome) -> bool {
        out.is_err()
    }
}

/// Runs the detector over every sample of `ds` on `threads` workers, reusing cached results
/// (in `state_dir`) for unchanged files. Cancelled samples are `None`.
pub fn detect_text(
    ds: &Dataset,
    model: &LoadedModel,
    backend: &ResolvedBackend,
    opts: &TextOptions,
    state_dir: Option<&Path>,
    threads: usize,
    control: &JobControl,
) -> Result<Vec<Option<TextOutcome>>, WorkerError> {
    let key = format!(
        "text-{}-{}-{}-{}-{}.json",
        &model.model_hash[..12],
        model.spec.input.width,
        opts.bin_thresh,
        opts.box_thresh,
        opts.min_side
    );
    let mut cache: Option<StampCache<TextOutcome>> =
        state_dir.map(|d| StampCache::open(d.join("problems").join(key), 1, "text detections"));
    let work = TextWork {
        ds,
        model,
        backend,
        opts,
    };
    let run = run_per_sample(&ds.samples, &work, threads, "text", cache.as_mut(), control)?;
    Ok(run.outcomes)
}
