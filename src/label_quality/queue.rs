//! The review queue: the sources combined per sample, scored, ranked and flagged.

use super::confident::{ConfidentLearning, confident_learning, looks_in_sample};
use super::probe::{ProbeState, out_of_fold};
use super::vote::{Votes, neighbour_votes};
use super::{LabelQualityOptions, Source};
use crate::dataset::ClassId;
use crate::embed::{EmbeddingSet, Neighbourhood};
use crate::eval::PredictionSet;
use crate::jobs::{JobControl, JobError};

/// What one source says about a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceEvidence {
    /// Probability of the given label.
    pub given: f32,
    /// The most probable class and its probability.
    pub top: (ClassId, f32),
}

/// What the neighbours say about a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeighbourEvidence {
    /// The class most neighbours carry and how many do.
    pub majority: (ClassId, u16),
    /// Neighbours carrying the given label.
    pub given: u16,
    /// Neighbours that voted.
    pub total: u16,
}

/// One sample in the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueEntry {
    /// Dataset sample.
    pub sample: usize,
    /// The given (effective) label.
    pub label: ClassId,
    /// The most probable other class.
    pub suggested: ClassId,
    /// Combined probability of the given label: lower is more suspicious.
    pub score: f32,
    /// Position in the queue, from 1.
    pub rank: usize,
    /// Confident learning flags it.
    pub flagged: bool,
    /// The model's view.
    pub model: Option<SourceEvidence>,
    /// The probe's view.
    pub probe: Option<SourceEvidence>,
    /// The neighbours' view.
    pub neighbours: Option<NeighbourEvidence>,
}

impl QueueEntry {
    /// Why, in words: "probe: 0.03 for Coat; 8 of 10 nearest neighbours are Shirt; model: 0.91
    /// Shirt".
    pub fn evidence(&self, class_name: impl Fn(ClassId) -> String) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.probe {
            parts.push(format!(
                "probe: {:.2} for {}",
                p.given,
                class_name(self.label)
            ));
        }
        if let Some(v) = &self.neighbours {
            parts.push(format!(
                "{} of {} nearest neighbours are {}",
                v.majority.1,
                v.total,
                class_name(v.majority.0)
            ));
        }
        if let Some(m) = &self.model {
            parts.push(format!("model: {:.2} {}", m.top.1, class_name(m.top.0)));
        }
        parts.join("; ")
    }
}

/// The ranked queue and what went into it.
#[derive(Clone, Debug, Default)]
pub struct LabelQuality {
    /// Every scored sample, most suspicious first.
    pub queue: Vec<QueueEntry>,
    /// Per dataset sample, its index in `queue`.
    pub by_sample: Vec<Option<u32>>,
    /// The sources that took part.
    pub sources: Vec<Source>,
    /// Confident learning on the combined probabilities.
    pub confident: ConfidentLearning,
    /// The model's probabilities look (or were declared) in sample.
    pub in_sample: bool,
    /// The probe's state, for a warm start after a relabel.
    pub probe: Option<ProbeState>,
    /// What the user should know (sources skipped and why), except the sources skipped for
    /// want of embeddings, which are in `without_embeddings`.
    pub notes: Vec<String>,
    /// Sources asked for but skipped because there were no embeddings (the window says so
    /// elsewhere; the CLI prints them with the notes, see `all_notes`).
    pub without_embeddings: Vec<Source>,
}

impl LabelQuality {
    /// The notes, with a line for each source skipped for want of embeddings.
    pub fn all_notes(&self) -> Vec<String> {
        let skipped = self.without_embeddings.iter().map(|s| match s {
            Source::Probe => "the linear probe needs embeddings; it was skipped".to_string(),
            Source::Neighbours => "the neighbour vote needs embeddings; it was skipped".to_string(),
            Source::Model => "the model's probabilities were not there; skipped".to_string(),
        });
        self.notes.iter().cloned().chain(skipped).collect()
    }

    /// The queue entry of a sample.
    pub fn entry(&self, sample: usize) -> Option<&QueueEntry> {
        let at = self.by_sample.get(sample).copied().flatten()?;
        self.queue.get(at as usize)
    }
}

/// What the label-quality ranking reads.
#[derive(Clone, Copy)]
pub struct LabelInputs<'a> {
    /// Number of classes.
    pub classes: usize,
    /// Effective labels (`None` = excluded or unlabelled).
    pub truth: &'a [Option<ClassId>],
    /// The model's predictions.
    pub preds: Option<&'a PredictionSet>,
    /// Embeddings.
    pub set: Option<&'a EmbeddingSet>,
    /// Neighbours already found (built from `set` when absent).
    pub hood: Option<&'a Neighbourhood>,
}

fn top(p: &[f32]) -> (ClassId, f32) {
    p.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .map_or((ClassId(0), 0.0), |(c, &v)| (ClassId(c as u32), v))
}

/// The model's probabilities per sample, normalised, for labelled samples.
fn model_rows(inp: &LabelInputs) -> Vec<Option<Vec<f32>>> {
    let k = inp.classes;
    (0..inp.truth.len())
        .map(|i| {
            inp.truth[i]?;
            let p = inp.preds?.prediction(i)?.probs.as_ref()?;
            let mut v: Vec<f32> = p.iter().take(k).copied().collect();
            let s: f32 = v.iter().sum();
            if v.len() < k || s <= 0.0 || !s.is_finite() {
                return None;
            }
            v.iter_mut().for_each(|x| *x /= s);
            Some(v)
        })
        .collect()
}

/// Ranks every labelled sample by the quality of its label. `warm` is the previous run's probe
/// (used when it matches). Cancelled through `control`.
pub fn label_quality(
    inp: &LabelInputs,
    opts: &LabelQualityOptions,
    warm: Option<&ProbeState>,
    control: &JobControl,
) -> Result<LabelQuality, JobError> {
    let (n, k) = (inp.truth.len(), inp.classes);
    let wants = |s| opts.sources.contains(&s);
    let mut out = LabelQuality::default();
    let model = model_rows(inp);
    let model_triples: Vec<(usize, ClassId, Vec<f32>)> = (0..n)
        .filter_map(|i| Some((i, inp.truth[i]?, model[i].clone()?)))
        .collect();
    out.in_sample = opts
        .model_in_sample
        .unwrap_or_else(|| looks_in_sample(&model_triples));
    // Probe.
    let mut probe: Vec<Option<Vec<f32>>> = vec![None; n];
    if wants(Source::Probe) {
        match inp.set {
            Some(set) => {
                let members: Vec<usize> = set
                    .samples
                    .iter()
                    .map(|&s| s as usize)
                    .filter(|&s| inp.truth.get(s).copied().flatten().is_some())
                    .collect();
                let y: Vec<u32> = members
                    .iter()
                    .filter_map(|&s| inp.truth[s].map(|c| c.0))
                    .collect();
                let classes_seen = {
                    let mut c = y.clone();
                    c.sort_unstable();
                    c.dedup();
                    c.len()
                };
                if members.len() < 2 * opts.probe.folds.max(2) || classes_seen < 2 {
                    out.notes.push(format!("the linear probe needs at least {} labelled samples with embeddings in 2 classes; it was skipped", 2 * opts.probe.folds.max(2)));
                } else {
                    let fitted = out_of_fold(set, &members, &y, k, &opts.probe, warm, control)?;
                    if fitted.unconverged > 0 {
                        out.notes.push(format!("the linear probe did not fully converge in {} of {} folds ({} iterations each)", fitted.unconverged, opts.probe.folds, opts.probe.max_iter));
                    }
                    for (r, &s) in members.iter().enumerate() {
                        probe[s] = Some(fitted.probs.row(r).to_vec());
                    }
                    out.probe = Some(fitted.state);
                    out.sources.push(Source::Probe);
                }
            }
            None => out.without_embeddings.push(Source::Probe),
        }
    }
    // Neighbours.
    let mut votes: Vec<Option<Votes>> = vec![None; n];
    if wants(Source::Neighbours) {
        let built;
        let hood = match (inp.hood, inp.set) {
            (Some(h), _) => Some(h),
            (None, Some(set)) => {
                control.begin_stage("nearest neighbours", 1);
                built = Neighbourhood::build(set, inp.truth, opts.k);
                Some(&built)
            }
            (None, None) => None,
        };
        match hood {
            Some(h) if !h.neighbours.is_empty() => {
                for (r, v) in neighbour_votes(h, inp.truth, k).into_iter().enumerate() {
                    if v.total > 0 {
                        votes[h.active.samples[r] as usize] = Some(v);
                    }
                }
                out.sources.push(Source::Neighbours);
            }
            _ => out.without_embeddings.push(Source::Neighbours),
        }
    }
    if control.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    // The model, when its probabilities are out of sample or nothing else is there.
    let has_model = !model_triples.is_empty();
    let use_model = wants(Source::Model) && has_model && (!out.in_sample || out.sources.is_empty());
    if use_model {
        out.sources.insert(0, Source::Model);
    }
    if out.in_sample && has_model {
        out.notes.push(if use_model {
            "the model's probabilities look in-sample (nearly every sample right and confident): if it was trained on these images, this ranking is unreliable; embeddings (a linear probe and the neighbour vote) give out-of-sample evidence".into()
        } else {
            "the model's probabilities look in-sample, so the ranking uses only the out-of-sample evidence (linear probe, neighbour vote)".into()
        });
    }
    combine(inp, opts, &model, use_model, &probe, &votes, &mut out);
    Ok(out)
}

/// Weights of the model, the probe and the neighbour vote in the pool when the model's
/// probabilities take part: the model is the primary evidence, the others refine it.
pub const WEIGHTS_WITH_MODEL: [f32; 3] = [1.0, 0.25, 0.25];
/// ... and when they do not (in sample, or none): the probe leads, the vote refines it.
pub const WEIGHTS_WITHOUT_MODEL: [f32; 3] = [0.0, 1.0, 0.5];

/// Logarithmic opinion pool: `p(c) ~ prod_s p_s(c)^w_s`, normalised (probabilities are floored
/// at 1e-7 so that one source's zero does not veto a class).
fn log_pool(parts: &[(f32, &[f32])], k: usize) -> Vec<f32> {
    let mut log = vec![0f64; k];
    for (w, p) in parts {
        for (l, &v) in log.iter_mut().zip(p.iter()) {
            *l += f64::from(*w) * f64::from(v.max(1e-7)).ln();
        }
    }
    let max = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = log.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.iter().map(|e| (e / sum) as f32).collect()
}

/// The pooled probabilities per sample, scores, flags and the ranked queue.
fn combine(
    inp: &LabelInputs,
    opts: &LabelQualityOptions,
    model: &[Option<Vec<f32>>],
    use_model: bool,
    probe: &[Option<Vec<f32>>],
    votes: &[Option<Votes>],
    out: &mut LabelQuality,
) {
    let (n, k) = (inp.truth.len(), inp.classes);
    let mut rows: Vec<(usize, ClassId, Vec<f32>)> = Vec::new();
    let mut entries: Vec<QueueEntry> = Vec::new();
    for i in 0..n {
        let Some(y) = inp.truth[i] else { continue };
        let m = model[i].as_deref().filter(|_| use_model);
        let v = votes[i].as_ref().map(|v| v.probabilities(opts.alpha));
        let w = if use_model {
            WEIGHTS_WITH_MODEL
        } else {
            WEIGHTS_WITHOUT_MODEL
        };
        let parts: Vec<(f32, &[f32])> = [
            m.map(|p| (w[0], p)),
            probe[i].as_deref().map(|p| (w[1], p)),
            v.as_deref().map(|p| (w[2], p)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() || y.index() >= k {
            continue;
        }
        let p = match parts.as_slice() {
            [(_, only)] => only.to_vec(),
            _ => log_pool(&parts, k),
        };
        let evidence = |q: &[f32]| SourceEvidence {
            given: q[y.index()],
            top: top(q),
        };
        let suggested = (0..k)
            .filter(|&c| c != y.index())
            .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
            .map_or(y, |c| ClassId(c as u32));
        entries.push(QueueEntry {
            sample: i,
            label: y,
            suggested,
            score: p[y.index()],
            rank: 0,
            flagged: false,
            model: model[i].as_deref().map(evidence),
            probe: probe[i].as_deref().map(evidence),
            neighbours: votes[i].as_ref().map(|v| NeighbourEvidence {
                majority: v.majority(),
                given: v.counts.get(y.index()).copied().unwrap_or(0),
                total: v.total,
            }),
        });
        rows.push((i, y, p));
    }
    out.confident = confident_learning(&rows, k);
    let flagged: std::collections::HashSet<usize> =
        out.confident.issues.iter().map(|x| x.sample).collect();
    entries.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.sample.cmp(&b.sample)));
    out.by_sample = vec![None; n];
    for (at, e) in entries.iter_mut().enumerate() {
        e.rank = at + 1;
        e.flagged = flagged.contains(&e.sample);
        out.by_sample[e.sample] = Some(at as u32);
    }
    out.queue = entries;
}
