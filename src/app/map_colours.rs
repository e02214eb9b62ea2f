//! What the map's points are coloured by, and the legend: the true label, the prediction,
//! correct/wrong, the problem kind or the edit state. Plain data, computed when the labels,
//! predictions or the choice change, never per frame.

use egui::Color32;

use super::sample_query::label_of;
use super::session::Session;
use crate::eval::Predicted;
use crate::problems::FindingKind;

listed_enum! {
/// What colours the points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColourBy {
    /// The (edited) label.
    #[default]
    TrueLabel,
    /// The model's answer.
    Predicted,
    /// Whether the answer is the label.
    Correctness,
    /// The first problem found.
    Problem,
    /// Relabelled, excluded, tagged or untouched.
    Edits,
}
}

impl ColourBy {
    /// Its name in the window.
    pub fn label(self) -> &'static str {
        match self {
            Self::TrueLabel => "Label",
            Self::Predicted => "Prediction",
            Self::Correctness => "Correct / wrong",
            Self::Problem => "Problem",
            Self::Edits => "Edits",
        }
    }
}

/// Twenty distinct colours (matplotlib's tab20 order: strong, then light).
const PALETTE: [(u8, u8, u8); 20] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (174, 199, 232),
    (255, 187, 120),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (196, 156, 148),
    (247, 182, 210),
    (199, 199, 199),
    (219, 219, 141),
    (158, 218, 229),
];

fn palette(k: usize) -> Color32 {
    let (r, g, b) = PALETTE[k % PALETTE.len()];
    Color32::from_rgb(r, g, b)
}

const GREY: Color32 = Color32::from_rgb(110, 110, 110);
const GREEN: Color32 = Color32::from_rgb(60, 170, 90);
const RED: Color32 = Color32::from_rgb(220, 70, 60);

/// Each point's legend entry and the legend (name, colour, how many points).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Colouring {
    /// Per sample, its legend entry.
    pub entry: Vec<u16>,
    /// The legend.
    pub legend: Vec<(String, Color32, usize)>,
}

/// Colours the samples of `s` by `by`.
pub fn colouring(s: &Session, by: ColourBy) -> Colouring {
    let n = s.ws.dataset.samples.len();
    let classes = &s.ws.dataset.classes;
    let mut legend: Vec<(String, Color32)> = Vec::new();
    let entry_of: Box<dyn Fn(usize) -> usize> = match by {
        ColourBy::TrueLabel => {
            legend.extend(
                classes
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (c.clone(), palette(k))),
            );
            Box::new(|i| label_of(&s.ws.dataset, s.curation.truth(), i).index())
        }
        ColourBy::Predicted => {
            legend.extend(
                classes
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (c.clone(), palette(k))),
            );
            let (other, none) = (classes.len(), classes.len() + 1);
            legend.push(("other / unparsed".into(), Color32::WHITE));
            legend.push(("no prediction".into(), GREY));
            Box::new(
                move |i| match s.predictions.set.as_ref().and_then(|p| p.prediction(i)) {
                    Some(p) => match p.predicted {
                        Predicted::Class(c) => c.index(),
                        _ => other,
                    },
                    None => none,
                },
            )
        }
        ColourBy::Correctness => {
            legend.push(("correct".into(), GREEN));
            legend.push(("wrong".into(), RED));
            legend.push(("no prediction".into(), GREY));
            Box::new(
                |i| match s.predictions.set.as_ref().and_then(|p| p.prediction(i)) {
                    Some(p)
                        if p.predicted
                            == Predicted::Class(label_of(&s.ws.dataset, s.curation.truth(), i)) =>
                    {
                        0
                    }
                    Some(_) => 1,
                    None => 2,
                },
            )
        }
        ColourBy::Problem => {
            legend.extend(
                FindingKind::ALL
                    .iter()
                    .enumerate()
                    .map(|(k, kind)| (kind.title().to_string(), palette(k + 1))),
            );
            legend.push(("no problem".into(), GREY));
            let none = FindingKind::COUNT;
            Box::new(move |i| {
                s.problems
                    .index
                    .kinds_of(i)
                    .next()
                    .and_then(|k| FindingKind::ALL.iter().position(|&x| x == k))
                    .unwrap_or(none)
            })
        }
        ColourBy::Edits => {
            legend.push(("relabelled".into(), palette(1)));
            legend.push(("excluded".into(), RED));
            legend.push(("tagged".into(), palette(4)));
            legend.push(("not edited".into(), GREY));
            let edits = s.curation.state();
            Box::new(move |i| {
                let smp = &s.ws.dataset.samples[i];
                match edits.get(&smp.id.0) {
                    Some(e) if e.excluded.is_some() => 1,
                    Some(_) if label_of(&s.ws.dataset, s.curation.truth(), i) != smp.label => 0,
                    Some(e) if !e.tags.is_empty() => 2,
                    _ => 3,
                }
            })
        }
    };
    let mut counts = vec![0usize; legend.len()];
    let entry: Vec<u16> = (0..n)
        .map(|i| {
            let e = entry_of(i).min(legend.len().saturating_sub(1));
            counts[e] += 1;
            e as u16
        })
        .collect();
    Colouring {
        entry,
        legend: legend
            .into_iter()
            .zip(counts)
            .map(|((name, colour), count)| (name, colour, count))
            .collect(),
    }
}
