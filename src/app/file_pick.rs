//! Choosing a file or folder: the native dialog when the system has one, else (no
//! xdg-desktop-portal, a bare X server) a typed path, with a word on why.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::commands::AppCommand;

/// What a chosen path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathFor {
    /// A dataset folder.
    Dataset,
    /// A dataset file: a CSV/Parquet manifest, or a Hugging Face Parquet/Arrow file.
    Manifest,
    /// The model to run.
    Model,
    /// A predictions file.
    Predictions,
    /// A folder of prediction parts.
    PredictionParts,
    /// A model to run and compare.
    CompareModel,
    /// A predictions file to compare.
    ComparePredictions,
    /// A model to read embeddings with.
    Embedder,
}

impl PathFor {
    /// The dialog's title and the prompt's heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::Dataset => "Open dataset folder",
            Self::Manifest => "Open dataset file (manifest, Parquet, Arrow)",
            Self::Model => "Open model",
            Self::Predictions => "Import predictions",
            Self::PredictionParts => "Import a folder of prediction parts",
            Self::CompareModel => "Add a model to compare",
            Self::ComparePredictions => "Import predictions to compare",
            Self::Embedder => "Embeddings from model",
        }
    }

    fn filter(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Self::Manifest => Some(("Dataset file", &["csv", "parquet", "arrow"])),
            Self::Model | Self::CompareModel | Self::Embedder => {
                Some(("ONNX model or spec", &["onnx", "json"]))
            }
            Self::Predictions | Self::ComparePredictions => {
                Some(("Predictions", &["csv", "parquet", "jsonl", "ndjson"]))
            }
            Self::Dataset | Self::PredictionParts => None,
        }
    }

    fn folder(self) -> bool {
        matches!(self, Self::Dataset | Self::PredictionParts)
    }

    /// What to do with the chosen path.
    pub fn command(self, path: PathBuf) -> AppCommand {
        match self {
            Self::Dataset | Self::Manifest => AppCommand::OpenDataset(path),
            Self::Model => AppCommand::OpenModel(path),
            Self::Predictions | Self::PredictionParts => AppCommand::ImportPredictions(path),
            Self::CompareModel => AppCommand::AddCompareModel(path),
            Self::ComparePredictions => AppCommand::ImportComparison(path),
            Self::Embedder => AppCommand::OpenEmbedder(path),
        }
    }
}

/// What the dialog gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Picked {
    /// A path.
    Path(PathBuf),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could be shown (it came back empty at once).
    Unavailable,
}

/// A dialog that comes back empty within this time was never shown: nobody cancels that fast.
const TOO_FAST: Duration = Duration::from_millis(300);

/// Tells a dialog's empty answer after `elapsed` apart: cancelled or never shown.
pub fn classify(answer: Option<PathBuf>, elapsed: Duration) -> Picked {
    match answer {
        Some(p) => Picked::Path(p),
        None if elapsed < TOO_FAST => Picked::Unavailable,
        None => Picked::Cancelled,
    }
}

/// Shows the native dialog for `what` (a folder dialog for a folder).
pub fn pick(what: PathFor) -> Picked {
    let mut dialog = rfd::FileDialog::new().set_title(what.title());
    if let Some((name, ext)) = what.filter() {
        dialog = dialog.add_filter(name, ext);
    }
    let started = Instant::now();
    let answer = if what.folder() {
        dialog.pick_folder()
    } else {
        dialog.pick_file()
    };
    classify(answer, started.elapsed())
}

/// Shows the dialog for `what` and pushes what follows: the command, or the typed-path prompt
/// when there is no dialog.
pub fn choose(what: PathFor, out: &mut Vec<AppCommand>) {
    match pick(what) {
        Picked::Path(p) => out.push(what.command(p)),
        Picked::Cancelled => {}
        Picked::Unavailable => out.push(AppCommand::AskPath {
            what,
            no_dialog: true,
        }),
    }
}

/// The typed-path prompt's state.
#[derive(Clone, Debug, PartialEq)]
pub struct PathPrompt {
    /// What the path is for.
    pub what: PathFor,
    /// The text typed so far.
    pub text: String,
    /// Opened because no dialog could be shown.
    pub no_dialog: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_answer_at_once_means_no_dialog() {
        assert_eq!(
            classify(None, Duration::from_millis(5)),
            Picked::Unavailable
        );
        assert_eq!(classify(None, Duration::from_secs(3)), Picked::Cancelled);
        let p = PathBuf::from("/data/cats");
        assert_eq!(
            classify(Some(p.clone()), Duration::from_millis(1)),
            Picked::Path(p)
        );
    }

    #[test]
    fn each_purpose_leads_to_its_command() {
        let p = PathBuf::from("m.onnx");
        assert_eq!(
            PathFor::CompareModel.command(p.clone()),
            AppCommand::AddCompareModel(p.clone())
        );
        assert_eq!(PathFor::Model.command(p.clone()), AppCommand::OpenModel(p));
    }
}
