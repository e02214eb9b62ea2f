//! Finding and reading a model: an `.onnx` file with its sidecar spec, a spec `.json` naming its
//! `.onnx`, or a bare `.onnx` whose input shape and metadata are read from the file itself.

use std::path::{Path, PathBuf};

use tract_onnx::pb;

use crate::bounded_read::{InputKind, read_input, read_input_text};
use tract_onnx::prelude::Framework;

use super::embedding_value::{EmbeddingValue, NoEmbeddingValue, locate_embedding};
use super::spec::{
    ColorOrder, InputSpec, LabelsSpec, ModelSpec, OutputKind, OutputSpec, TensorLayout,
};

/// Errors loading a model; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read.
    #[error("cannot read ({source}): {path}")]
    Io {
        /// The I/O error.
        source: std::io::Error,
        /// The file.
        path: PathBuf,
    },
    /// The spec JSON is malformed.
    #[error("invalid model spec ({reason}): {path}")]
    BadSpec {
        /// What is wrong.
        reason: String,
        /// The spec file.
        path: PathBuf,
    },
    /// A file is not a regular file or is too large to be what it should be.
    #[error(transparent)]
    Input(#[from] crate::bounded_read::InputError),
    /// The ONNX file could not be parsed or run.
    #[error("invalid ONNX model ({reason}): {path}")]
    BadOnnx {
        /// What is wrong.
        reason: String,
        /// The ONNX file.
        path: PathBuf,
    },
}

/// A model ready to hand to a backend.
#[derive(Clone, Debug)]
pub struct LoadedModel {
    /// The spec (read from a file, or inferred).
    pub spec: ModelSpec,
    /// The ONNX file.
    pub onnx_path: PathBuf,
    /// The spec file, when there was one.
    pub spec_path: Option<PathBuf>,
    /// The model's class names, in output order.
    pub model_labels: Vec<String>,
    /// What was assumed because the model did not say (empty with a spec).
    pub notes: Vec<String>,
    /// BLAKE3 of the ONNX file's bytes, hex.
    pub model_hash: String,
    /// The value holding the embedding, or why none was found (predictions work either way).
    pub embedding: Result<EmbeddingValue, NoEmbeddingValue>,
    /// The ONNX input's height and width are not fixed (named or absent dimensions), so the
    /// model runs at any input size (see [`LoadedModel::at_input_side`]).
    pub dynamic_input: bool,
}

impl LoadedModel {
    /// This model fed `side` pixels along the longer of its input's sides (the other scaled to
    /// keep the ratio, and a shorter-side resize before a centre crop scaled alike), when its
    /// ONNX input is dynamic; `None` for a fixed input. Named `<name> @ <side> px input`.
    pub fn at_input_side(&self, side: u32) -> Option<LoadedModel> {
        if !self.dynamic_input || side == 0 {
            return None;
        }
        let input = &self.spec.input;
        let longer = input.height.max(input.width);
        let scale = |v: u32| {
            ((u64::from(v) * u64::from(side) + u64::from(longer) / 2) / u64::from(longer)).max(1)
                as u32
        };
        let mut m = self.clone();
        m.spec.input.height = scale(input.height);
        m.spec.input.width = scale(input.width);
        m.spec.input.resize_shorter_to = input.resize_shorter_to.map(scale);
        m.spec.name = format!("{} @ {side} px input", self.spec.name);
        Some(m)
    }
}

/// The files a model is made of, found from the spec alone (the ONNX file is not read).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFiles {
    /// The ONNX file.
    pub onnx: PathBuf,
    /// The spec file, when there is one.
    pub spec: Option<PathBuf>,
    /// The labels file the spec names, when it names one.
    pub labels: Option<PathBuf>,
}

/// The files of the model at `path` (an `.onnx` with an optional sidecar spec, or a spec
/// `.json`), and the spec when there is one.
pub fn model_files(path: &Path) -> Result<(ModelFiles, Option<ModelSpec>), ModelError> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let spec_path = if is_json {
        Some(path.to_path_buf())
    } else {
        Some(path.with_extension("json")).filter(|p| p.is_file())
    };
    let spec = spec_path.as_deref().map(read_spec).transpose()?;
    let dir = spec_path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let onnx = match (is_json, spec.as_ref().and_then(|s| s.model.as_ref())) {
        (true, Some(m)) => dir.join(m),
        (true, None) => path.with_extension("onnx"),
        (false, _) => path.to_path_buf(),
    };
    let labels = match spec.as_ref().map(|s| &s.labels) {
        Some(LabelsSpec::File(f)) => Some(dir.join(f)),
        _ => None,
    };
    Ok((
        ModelFiles {
            onnx,
            spec: spec_path,
            labels,
        },
        spec,
    ))
}

/// Loads a model from an `.onnx` or a spec `.json` path.
pub fn load_model(path: &Path) -> Result<LoadedModel, ModelError> {
    let (files, read) = model_files(path)?;
    let (spec_path, onnx_path, labels_file) = (files.spec, files.onnx, files.labels);
    let bytes = read_input(&onnx_path, InputKind::Model)?;
    let model_hash = blake3::hash(&bytes).to_hex().to_string();
    let (spec, notes) = match read {
        Some(spec) => (spec, Vec::new()),
        None => infer_spec(&onnx_path, &bytes)?,
    };
    spec.input.validate().map_err(|e| ModelError::BadSpec {
        reason: e.to_string(),
        path: spec_path.clone().unwrap_or_else(|| onnx_path.clone()),
    })?;
    if let Some(t) = spec.output.temperature
        && !(t.is_finite() && t > 0.0)
    {
        return Err(ModelError::BadSpec {
            reason: format!("`output.temperature` must be a positive number, got {t}"),
            path: spec_path.unwrap_or(onnx_path),
        });
    }
    let model_labels = match &spec.labels {
        LabelsSpec::List(l) => l.clone(),
        LabelsSpec::File(f) => {
            let file = labels_file.unwrap_or_else(|| PathBuf::from(f));
            let text = read_input_text(&file, InputKind::Labels)?;
            text.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        }
    };
    if model_labels.is_empty() {
        return Err(ModelError::BadSpec {
            reason: "the model has no labels".into(),
            path: spec_path.unwrap_or(onnx_path),
        });
    }
    let shapes = graph_shapes(&bytes, &spec);
    if let Some(n) = shapes.output_size
        && n != model_labels.len()
    {
        return Err(ModelError::BadSpec {
            reason: format!(
                "the model's output `{}` has {n} values but {} labels are given; every prediction would fail",
                spec.output.name.as_deref().unwrap_or("(first)"),
                model_labels.len()
            ),
            path: spec_path.unwrap_or(onnx_path),
        });
    }
    let embedding = embedding_of(&bytes, &spec);
    Ok(LoadedModel {
        spec,
        onnx_path,
        spec_path,
        model_labels,
        notes,
        model_hash,
        embedding,
        dynamic_input: shapes.dynamic_input,
    })
}

fn read_spec(path: &Path) -> Result<ModelSpec, ModelError> {
    let text = read_input_text(path, InputKind::Spec)?;
    serde_json::from_str(&text).map_err(|e| ModelError::BadSpec {
        reason: e.to_string(),
        path: path.to_path_buf(),
    })
}

/// The embedding value of the model in `bytes` (see [`locate_embedding`]).
fn embedding_of(bytes: &[u8], spec: &ModelSpec) -> Result<EmbeddingValue, NoEmbeddingValue> {
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| NoEmbeddingValue::Unreadable(format!("{e:#}")))?;
    let graph = proto.graph.as_ref().ok_or(NoEmbeddingValue::NoGraph)?;
    locate_embedding(
        graph,
        spec.output.name.as_deref(),
        spec.embedding.as_ref().map(|e| e.name.as_str()),
    )
}

/// The static size of the last dimension of the graph output `name` (or the first output).
/// What the graph declares of the spec's input and output.
#[derive(Default)]
struct GraphShapes {
    /// The output's last dimension, when fixed.
    output_size: Option<usize>,
    /// The input is 4-d with neither height nor width fixed.
    dynamic_input: bool,
}

fn graph_shapes(bytes: &[u8], spec: &ModelSpec) -> GraphShapes {
    let Ok(proto) = tract_onnx::onnx().proto_model_for_read(&mut &bytes[..]) else {
        return GraphShapes::default();
    };
    let Some(graph) = proto.graph.as_ref() else {
        return GraphShapes::default();
    };
    let out = match spec.output.name.as_deref() {
        Some(n) => graph.output.iter().find(|o| o.name == n),
        None => graph.output.first(),
    };
    let initializers: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|i| i.name.as_str()).collect();
    let input = match spec.input.name.as_deref() {
        Some(n) => graph.input.iter().find(|i| i.name == n),
        None => graph
            .input
            .iter()
            .find(|i| !initializers.contains(i.name.as_str())),
    };
    let dynamic_input = input.is_some_and(|i| {
        let d = dims(i);
        let (h, w) = match spec.input.layout {
            TensorLayout::Nchw => (2, 3),
            TensorLayout::Nhwc => (1, 2),
        };
        d.len() == 4 && d[h].is_none() && d[w].is_none()
    });
    GraphShapes {
        output_size: out.and_then(|o| dims(o).last().copied().flatten().map(|v| v as usize)),
        dynamic_input,
    }
}

fn dims(info: &pb::ValueInfoProto) -> Vec<Option<i64>> {
    let Some(pb::type_proto::Value::TensorType(t)) =
        info.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Vec::new();
    };
    t.shape
        .iter()
        .flat_map(|s| &s.dim)
        .map(|d| match d.value {
            Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) if v > 0 => Some(v),
            _ => None,
        })
        .collect()
}

/// Reads input shape, output size and `labels`/`classes` metadata from the ONNX file and fills
/// in the rest with documented defaults, listing every assumption in the returned notes.
fn infer_spec(path: &Path, bytes: &[u8]) -> Result<(ModelSpec, Vec<String>), ModelError> {
    let bad = |reason: String| ModelError::BadOnnx {
        reason,
        path: path.to_path_buf(),
    };
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| bad(format!("{e:#}")))?;
    let graph = proto.graph.as_ref().ok_or_else(|| bad("no graph".into()))?;
    let initializers: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|i| i.name.as_str()).collect();
    let input = graph
        .input
        .iter()
        .find(|i| !initializers.contains(i.name.as_str()))
        .ok_or_else(|| bad("no input".into()))?;
    let output = graph
        .output
        .first()
        .ok_or_else(|| bad("no output".into()))?;
    let in_dims = dims(input);
    let mut notes = vec![format!(
        "no model spec found next to {}; read the ONNX file and assumed defaults",
        path.display()
    )];
    let (layout, channels, h, w) = match in_dims.as_slice() {
        [_, Some(c @ (1 | 3)), h, w] => (TensorLayout::Nchw, *c, *h, *w),
        [_, h, w, Some(c @ (1 | 3))] => (TensorLayout::Nhwc, *c, *h, *w),
        _ => {
            notes.push(format!(
                "input shape {in_dims:?} not understood; assumed NCHW 3x224x224"
            ));
            (TensorLayout::Nchw, 3, Some(224), Some(224))
        }
    };
    let (h, w) = (h.unwrap_or(224) as u32, w.unwrap_or(224) as u32);
    let color = if channels == 1 {
        ColorOrder::L
    } else {
        ColorOrder::Rgb
    };
    let meta = |key: &str| {
        proto
            .metadata_props
            .iter()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .map(|p| p.value.clone())
    };
    let num_out = dims(output).last().copied().flatten();
    let labels: Vec<String> = match meta("labels").or_else(|| meta("classes")) {
        Some(v) => serde_json::from_str::<Vec<String>>(&v)
            .unwrap_or_else(|_| v.split(',').map(|s| s.trim().to_string()).collect()),
        None => {
            let n = num_out.ok_or_else(|| {
                bad(
                    "cannot tell the number of classes (no `labels` metadata, dynamic output size)"
                        .into(),
                )
            })?;
            notes.push(format!(
                "no `labels` metadata; named the {n} classes class_0..class_{}",
                n - 1
            ));
            (0..n).map(|i| format!("class_{i}")).collect()
        }
    };
    let kind = match meta("output_kind").as_deref() {
        Some("probabilities") => OutputKind::Probabilities,
        _ => {
            notes.push("assumed the output holds logits (softmax applied)".into());
            OutputKind::Logits
        }
    };
    let input_spec = InputSpec {
        name: Some(input.name.clone()),
        ..InputSpec::default_for(layout, color, h, w)
    };
    notes.push(format!(
        "assumed {color:?} input, stretch resize to {w}x{h}, mean {:?}, std {:?}; write {} to change this",
        input_spec.mean,
        input_spec.std,
        path.with_extension("json").display()
    ));
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let spec = ModelSpec {
        name,
        model: None,
        input: input_spec,
        output: OutputSpec {
            name: Some(output.name.clone()),
            kind,
            temperature: None,
        },
        labels: LabelsSpec::List(labels),
        label_map: None,
        embedding: None,
    };
    Ok((spec, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    #[test]
    fn named_height_and_width_make_a_dynamic_input() {
        let fixed = load_model(&repo("assets/models/fashion_cnn.json")).unwrap();
        assert!(!fixed.dynamic_input);
        assert!(fixed.at_input_side(14).is_none());
        let dynamic = load_model(&repo("tests/fixtures/models/dynamic_cnn.json")).unwrap();
        assert!(dynamic.dynamic_input);
        let small = dynamic.at_input_side(14).unwrap();
        assert_eq!((small.spec.input.height, small.spec.input.width), (14, 14));
        assert!(small.spec.name.ends_with("@ 14 px input"));
        assert_eq!(small.model_hash, dynamic.model_hash);
    }

    #[test]
    fn the_lowered_input_keeps_its_ratio_and_crop() {
        let mut m = load_model(&repo("tests/fixtures/models/dynamic_cnn.json")).unwrap();
        m.spec.input.height = 224;
        m.spec.input.width = 160;
        m.spec.input.resize_shorter_to = Some(256);
        let small = m.at_input_side(112).unwrap();
        assert_eq!((small.spec.input.height, small.spec.input.width), (112, 80));
        assert_eq!(small.spec.input.resize_shorter_to, Some(128));
        let tiny = m.at_input_side(1).unwrap();
        assert_eq!((tiny.spec.input.height, tiny.spec.input.width), (1, 1));
    }
}
