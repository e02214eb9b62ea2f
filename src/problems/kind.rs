//! What a finding is: its kind (with its names on the command line, in the window and on the
//! gallery's badges), the sample, a score and the detail.

use crate::dataset::ClassId;

/// One finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Sample index.
    pub sample: usize,
    /// Kind.
    pub kind: FindingKind,
    /// 0..1, higher is more suspicious.
    pub score: f32,
    /// Human-readable detail (the decoder's error, "exact copy of ...", ...).
    pub detail: String,
    /// For label issues: the suggested label.
    pub suggested: Option<ClassId>,
    /// For copies: the sample this one copies (the first of its group).
    pub other: Option<usize>,
}

listed_enum! {
/// What kind of problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// Suspected label error.
    Label,
    /// Text or watermark in the image.
    Text,
    /// Exact or near copy of another sample.
    Duplicate,
    /// The file cannot be read or decoded.
    Unreadable,
    /// Unusual colour mode, size or aspect ratio.
    Odd,
    /// Far from every other image, or from the images of its own label (by embedding).
    Outlier,
    /// The same thing as another image by embedding (shifted, cropped, mirrored, re-encoded).
    NearDuplicate,
}
}

impl FindingKind {
    /// Name on the command line and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Label => "label",
            Self::Text => "text",
            Self::Duplicate => "duplicate",
            Self::Unreadable => "unreadable",
            Self::Odd => "odd",
            Self::Outlier => "outlier",
            Self::NearDuplicate => "near_duplicate",
        }
    }

    /// Its name in the window ("label issues", "odd images").
    pub fn title(self) -> &'static str {
        match self {
            Self::Label => "label issues",
            Self::Text => "text/watermark",
            Self::Duplicate => "duplicates",
            Self::Unreadable => "unreadable",
            Self::Odd => "odd images",
            Self::Outlier => "outliers",
            Self::NearDuplicate => "similar copies",
        }
    }

    /// The gallery badge.
    pub fn badge(self) -> &'static str {
        match self {
            Self::Label => "label?",
            Self::Text => "text",
            Self::Duplicate => "dup",
            Self::Unreadable => "unreadable",
            Self::Odd => "odd",
            Self::Outlier => "outlier",
            Self::NearDuplicate => "similar",
        }
    }

    /// Every name, comma-separated (for messages).
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s.trim())
    }
}
