//! The model spec: how to feed an ONNX classifier and how to read its output.
//!
//! A spec is a JSON file (the sidecar `<model>.json`, or any `.json` naming its `model`).
//! Without one, [`crate::model::load_model`] reads the ONNX file's input shape and metadata and
//! falls back to [`InputSpec::default_for`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Tensor memory layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TensorLayout {
    /// Batch, channels, height, width.
    #[serde(rename = "NCHW")]
    Nchw,
    /// Batch, height, width, channels.
    #[serde(rename = "NHWC")]
    Nhwc,
}

/// Channel order fed to the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColorOrder {
    /// Red, green, blue.
    #[serde(rename = "RGB")]
    Rgb,
    /// Blue, green, red.
    #[serde(rename = "BGR")]
    Bgr,
    /// One luminance channel.
    #[serde(rename = "L")]
    L,
}

impl ColorOrder {
    /// Number of channels.
    pub fn channels(self) -> usize {
        if self == Self::L { 1 } else { 3 }
    }
}

/// How an image is brought to the model's input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    /// Resize to exactly width x height, ignoring aspect ratio.
    Stretch,
    /// Scale the shorter side to `resize_shorter_to` (default: the larger input side), then
    /// crop the centre.
    ShorterSideCenterCrop,
    /// Scale to fit inside width x height keeping aspect ratio; pad with black, centred.
    Letterbox,
}

/// Resampling filter used when resizing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    /// Antialiased bilinear (triangle filter), like PIL's `BILINEAR`. The default.
    #[default]
    Bilinear,
    /// Antialiased bicubic (Catmull-Rom), like PIL's `BICUBIC`.
    Bicubic,
    /// Area average: PIL's `BOX`; with `resize_library: opencv`, `cv2.INTER_AREA`
    /// (also accepted as `"area"`).
    #[serde(alias = "area")]
    Box,
    /// Nearest neighbour.
    Nearest,
}

/// What the output tensor holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Unnormalised scores: softmax is applied.
    Logits,
    /// Probabilities: used as they are.
    Probabilities,
}

/// Model input description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Input tensor name (the first input if absent).
    #[serde(default)]
    pub name: Option<String>,
    /// Memory layout.
    pub layout: TensorLayout,
    /// Channel order.
    pub color: ColorOrder,
    /// Input height in pixels.
    pub height: u32,
    /// Input width in pixels.
    pub width: u32,
    /// Resize mode.
    pub resize: ResizeMode,
    /// Shorter-side target for [`ResizeMode::ShorterSideCenterCrop`].
    #[serde(default)]
    pub resize_shorter_to: Option<u32>,
    /// Resampling filter (default bilinear).
    #[serde(default)]
    pub interpolation: Interpolation,
    /// Per-channel mean subtracted from pixels in 0..255 (one value applies to all channels).
    pub mean: Vec<f32>,
    /// Per-channel divisor applied after the mean.
    pub std: Vec<f32>,
    /// Whether the EXIF orientation tag is applied first (default: ignored, as Pillow's
    /// `Image.open` ignores it).
    #[serde(default, skip_serializing_if = "ExifOrientation::is_default")]
    pub exif_orientation: ExifOrientation,
    /// Whose resize (and grey conversion) to reproduce: Pillow's (default) or OpenCV's.
    #[serde(default, skip_serializing_if = "ResizeLibrary::is_default")]
    pub resize_library: ResizeLibrary,
}

/// The library whose resampling preprocessing reproduces bit for bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeLibrary {
    /// Pillow's `Image.resize` (antialiased) and `convert("L")`, as torchvision on PIL images.
    #[default]
    Pil,
    /// OpenCV's `cv2.resize(..., interpolation=cv2.INTER_LINEAR)` (no antialiasing) and
    /// `cv2.cvtColor(..., cv2.COLOR_RGB2GRAY)`, as Albumentations and Ultralytics.
    Opencv,
}

impl ResizeLibrary {
    fn is_default(&self) -> bool {
        *self == Self::Pil
    }
}

/// What preprocessing does with an image's EXIF orientation tag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExifOrientation {
    /// Ignore it: the pixels as stored (Pillow's `Image.open`).
    #[default]
    Ignore,
    /// Rotate/flip as the tag says first (Pillow's `ImageOps.exif_transpose`).
    Apply,
}

impl ExifOrientation {
    fn is_default(&self) -> bool {
        *self == Self::Ignore
    }
}

impl InputSpec {
    /// Documented defaults for a model without a spec: RGB, stretch to the model's input size,
    /// torchvision's ImageNet normalisation (mean 123.675/116.28/103.53, std 58.395/57.12/57.375).
    pub fn default_for(layout: TensorLayout, color: ColorOrder, height: u32, width: u32) -> Self {
        let (mean, std) = if color == ColorOrder::L {
            (vec![127.5], vec![127.5])
        } else {
            (vec![123.675, 116.28, 103.53], vec![58.395, 57.12, 57.375])
        };
        Self {
            name: None,
            layout,
            color,
            height,
            width,
            resize: ResizeMode::Stretch,
            resize_shorter_to: None,
            interpolation: Interpolation::Bilinear,
            mean,
            std,
            exif_orientation: ExifOrientation::Ignore,
            resize_library: ResizeLibrary::Pil,
        }
    }

    /// Shape of one image's tensor without the batch axis, in the model's layout.
    pub fn image_shape(&self) -> [usize; 3] {
        let (h, w, c) = (
            self.height as usize,
            self.width as usize,
            self.color.channels(),
        );
        match self.layout {
            TensorLayout::Nchw => [c, h, w],
            TensorLayout::Nhwc => [h, w, c],
        }
    }

    /// Mean and std for channel `c` (a single value applies to every channel).
    pub fn norm(&self, c: usize) -> (f32, f32) {
        let pick = |v: &[f32], default: f32| v.get(c).or(v.first()).copied().unwrap_or(default);
        (pick(&self.mean, 0.0), pick(&self.std, 1.0))
    }

    /// Checks sizes and normalisation values.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.height == 0 || self.width == 0 || self.height > 8192 || self.width > 8192 {
            return Err(SpecError::InputSize {
                width: self.width,
                height: self.height,
            });
        }
        let channels = self.color.channels();
        for (what, v) in [("mean", &self.mean), ("std", &self.std)] {
            if !(v.len() == 1 || v.len() == channels) {
                return Err(SpecError::Normalisation {
                    what,
                    channels,
                    got: v.len(),
                });
            }
        }
        if self.std.iter().any(|s| *s == 0.0 || !s.is_finite()) {
            return Err(SpecError::ZeroStd);
        }
        if self.resize_library == ResizeLibrary::Opencv
            && !matches!(
                self.interpolation,
                Interpolation::Bilinear | Interpolation::Box
            )
        {
            return Err(SpecError::OpencvInterpolation);
        }
        Ok(())
    }
}

/// What is wrong with a model spec's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The input size is zero or over 8192.
    #[error("input size {width}x{height} is out of range")]
    InputSize {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// `mean` or `std` has neither 1 nor one value per channel.
    #[error(
        "`{what}` needs {}, got {got}",
        if *channels == 1 { "1 value (the input has one channel)".to_string() } else { format!("1 value or {channels} (one per channel)") }
    )]
    Normalisation {
        /// `mean` or `std`.
        what: &'static str,
        /// Channels of the input.
        channels: usize,
        /// Values given.
        got: usize,
    },
    /// A `std` value is zero or not finite.
    #[error("`std` values must be non-zero")]
    ZeroStd,
    /// OpenCV resizing with an interpolation it does not reproduce.
    #[error(
        "`resize_library: opencv` reproduces cv2.INTER_LINEAR (`interpolation: bilinear`) and cv2.INTER_AREA (`area`) only"
    )]
    OpencvInterpolation,
    /// A `label_map` entry that is not an index or `a-b` range.
    #[error("bad class index or range `{0}`")]
    BadRange(String),
    /// A `label_map` range whose start is past its end.
    #[error("empty range `{0}`")]
    EmptyRange(String),
}

/// Model output description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    /// Output tensor name (the first output if absent).
    #[serde(default)]
    pub name: Option<String>,
    /// Logits or probabilities.
    pub kind: OutputKind,
    /// Divides every label's log-probability before renormalising (temperature scaling, see
    /// [`crate::model::temperature`]); written by `labelscope calibrate`. Absent means 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

/// The model's class names: inline, or a path (relative to the spec) to a one-per-line file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LabelsSpec {
    /// Names inline.
    List(Vec<String>),
    /// A file with one name per line.
    File(String),
}

/// One entry of a label map: a model class index or an inclusive `"a-b"` range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IndexOrRange {
    /// One class index.
    Index(usize),
    /// An inclusive range like `"151-268"` (or a single index as text).
    Range(String),
}

impl IndexOrRange {
    /// The indices this entry covers.
    pub fn indices(&self) -> Result<std::ops::RangeInclusive<usize>, SpecError> {
        match self {
            Self::Index(i) => Ok(*i..=*i),
            Self::Range(s) => {
                let parse = |t: &str| {
                    t.trim()
                        .parse::<usize>()
                        .map_err(|_| SpecError::BadRange(s.clone()))
                };
                match s.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (parse(a)?, parse(b)?);
                        if a > b {
                            return Err(SpecError::EmptyRange(s.clone()));
                        }
                        Ok(a..=b)
                    }
                    None => parse(s).map(|i| i..=i),
                }
            }
        }
    }
}

/// A model spec file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Display name.
    pub name: String,
    /// The ONNX file, relative to the spec (defaults to the spec's stem + `.onnx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Input description.
    pub input: InputSpec,
    /// Output description.
    pub output: OutputSpec,
    /// Model class names.
    pub labels: LabelsSpec,
    /// Dataset label -> model class indices whose probabilities are summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_map: Option<BTreeMap<String, Vec<IndexOrRange>>>,
    /// The value holding the image's embedding (the classifier layer's input); found in the
    /// graph when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<EmbeddingSpec>,
}

/// Where a model's embedding is read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingSpec {
    /// The ONNX value's name (a node output, e.g. the pooled features).
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_format() {
        let text = r#"{
            "name": "catdog", "model": "m.onnx",
            "input": {"name": "input", "layout": "NCHW", "color": "RGB", "height": 224, "width": 224,
                      "resize": "shorter_side_center_crop", "resize_shorter_to": 256,
                      "mean": [127, 127, 127], "std": [128]},
            "output": {"name": "logits", "kind": "logits"},
            "labels": "imagenet_labels.txt",
            "label_map": {"cat": ["281-285"], "dog": ["151-268", 999]}
        }"#;
        let spec: ModelSpec = serde_json::from_str(text).unwrap();
        assert_eq!(spec.input.layout, TensorLayout::Nchw);
        assert_eq!(spec.input.resize, ResizeMode::ShorterSideCenterCrop);
        assert_eq!(spec.labels, LabelsSpec::File("imagenet_labels.txt".into()));
        let map = spec.label_map.unwrap();
        assert_eq!(map["cat"][0].indices().unwrap(), 281..=285);
        assert_eq!(map["dog"][1].indices().unwrap(), 999..=999);
        assert_eq!(spec.input.norm(2), (127.0, 128.0));
        assert!(spec.input.validate().is_ok());
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(IndexOrRange::Range("9-3".into()).indices().is_err());
        assert!(IndexOrRange::Range("x".into()).indices().is_err());
        let mut input = InputSpec::default_for(TensorLayout::Nhwc, ColorOrder::Rgb, 4, 4);
        input.std = vec![1.0, 0.0, 1.0];
        assert!(input.validate().is_err());
        input.std = vec![1.0, 1.0];
        assert!(input.validate().unwrap_err().to_string().contains("std"));
    }
}
