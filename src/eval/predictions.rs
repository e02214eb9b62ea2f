//! A set of predictions over a dataset, from the in-app model or imported from a file.

use crate::dataset::ClassId;
use crate::model::{PredictReport, SampleOutcome};

/// What the model answered for one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Predicted {
    /// One of the dataset's classes.
    Class(ClassId),
    /// A class outside the dataset's label set.
    Other,
    /// An answer that could not be read as any label (e.g. free text from a VLM).
    Unparsed,
}

impl Predicted {
    /// The label as text: the class name, `other` or `unparsed`.
    pub fn name(self, classes: &[String]) -> String {
        match self {
            Self::Class(c) => classes
                .get(c.index())
                .cloned()
                .unwrap_or_else(|| format!("class {}", c.0)),
            Self::Other => "other".into(),
            Self::Unparsed => "unparsed".into(),
        }
    }
}

/// One sample's prediction.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The predicted label.
    pub predicted: Predicted,
    /// Probability of the predicted label, when known.
    pub confidence: Option<f32>,
    /// Probabilities over dataset classes (then `other`), when known.
    pub probs: Option<Vec<f32>>,
    /// The model's raw answer for off-label predictions (imported sets).
    pub raw: Option<String>,
    /// Inference latency in milliseconds, when measured.
    pub latency_ms: Option<f32>,
    /// The model's own most probable classes before mapping (name, probability), best first,
    /// when known: what the model saw when it answers `other`.
    pub model_top: Vec<(String, f32)>,
}

/// Per-sample state in a prediction set.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A prediction exists.
    Predicted(Prediction),
    /// The sample failed (decode or inference); the message names the file.
    Failed(String),
    /// No prediction (cancelled run, or absent from an imported file).
    Missing,
}

/// Predictions for every sample of a dataset, in dataset order.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictionSet {
    /// Display name (model name or file name).
    pub name: String,
    /// Where the predictions came from (backend description or file path).
    pub source: String,
    /// Per sample, in dataset order.
    pub entries: Vec<Entry>,
    /// Wall-clock seconds of the run that produced them, when known.
    pub elapsed_secs: Option<f64>,
    /// Samples answered from the cache.
    pub num_cached: usize,
    /// Samples the model ran on in the run that produced the set.
    pub num_inferred: usize,
}

impl Entry {
    /// A model run's outcome for one sample as an entry (the one conversion, used for whole
    /// reports and for results streaming into the window).
    pub fn from_outcome(o: &SampleOutcome, num_classes: usize, model_labels: &[String]) -> Self {
        match o {
            SampleOutcome::Failed(e) | SampleOutcome::WrongModel(e) => Self::Failed(e.clone()),
            SampleOutcome::Predicted(p) => {
                Self::Predicted(from_sample(p, num_classes, model_labels))
            }
        }
    }
}

impl PredictionSet {
    /// A set of `n` samples with nothing predicted yet (filled in as results stream in).
    pub fn empty(name: &str, source: &str, n: usize) -> Self {
        Self {
            name: name.to_string(),
            source: source.to_string(),
            entries: vec![Entry::Missing; n],
            elapsed_secs: None,
            num_cached: 0,
            num_inferred: 0,
        }
    }

    /// Builds a set from a prediction run over a dataset with `num_classes` classes.
    pub fn from_report(
        name: &str,
        report: &PredictReport,
        num_classes: usize,
        model_labels: &[String],
    ) -> Self {
        let entries = report
            .outcomes
            .iter()
            .map(|o| {
                o.as_ref().map_or(Entry::Missing, |o| {
                    Entry::from_outcome(o, num_classes, model_labels)
                })
            })
            .collect();
        Self {
            name: name.to_string(),
            source: report.backend.clone(),
            entries,
            elapsed_secs: (report.num_inferred > 0).then_some(report.elapsed_secs),
            num_cached: report.num_cached,
            num_inferred: report.num_inferred,
        }
    }

    /// Whether any prediction is [`Predicted::Other`].
    pub fn has(&self, what: Predicted) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e, Entry::Predicted(p) if p.predicted == what))
    }

    /// The prediction of sample `i`, if any.
    pub fn prediction(&self, i: usize) -> Option<&Prediction> {
        match self.entries.get(i) {
            Some(Entry::Predicted(p)) => Some(p),
            _ => None,
        }
    }
}

/// The prediction of a model run: the dataset label with the largest (mapped, summed)
/// probability, unless a single model class that maps to no dataset label is more probable
/// than every dataset label (then `other`, with that class's probability as confidence). The
/// `other` column still holds all unmapped mass, so the probabilities sum to 1.
pub fn from_sample(
    p: &crate::model::SamplePrediction,
    num_classes: usize,
    model_labels: &[String],
) -> Prediction {
    let mut best = 0;
    for (i, v) in p.probs.iter().take(num_classes).enumerate() {
        if *v > p.probs[best] {
            best = i;
        }
    }
    let best_p = p.probs.get(best).copied().unwrap_or(0.0);
    let (predicted, confidence) = if num_classes == 0 || p.other_top > best_p {
        (Predicted::Other, p.other_top)
    } else {
        (Predicted::Class(ClassId(best as u32)), best_p)
    };
    Prediction {
        predicted,
        confidence: Some(confidence),
        probs: Some(p.probs.clone()),
        raw: None,
        latency_ms: Some(p.latency_ms),
        model_top: p
            .top_model
            .iter()
            .map(|&(k, v)| {
                let name = model_labels
                    .get(k as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("class {k}"));
                (name, v)
            })
            .collect(),
    }
}

/// A prediction from mapped probabilities (`num_classes` dataset classes, then maybe `other`)
/// when nothing finer is known (imported sets): the argmax, ties broken by the lower index.
pub fn from_probs(probs: &[f32], num_classes: usize, latency_ms: Option<f32>) -> Prediction {
    let mut best = 0;
    for (i, p) in probs.iter().enumerate() {
        if *p > probs[best] {
            best = i;
        }
    }
    let predicted = if best < num_classes {
        Predicted::Class(ClassId(best as u32))
    } else {
        Predicted::Other
    };
    Prediction {
        predicted,
        confidence: probs.get(best).copied(),
        probs: Some(probs.to_vec()),
        raw: None,
        latency_ms,
        model_top: Vec::new(),
    }
}
