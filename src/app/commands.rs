//! What panels ask the app to do. Panels push commands while drawing; the app applies them after
//! the frame is drawn, so no panel mutates the session mid-frame.

use std::path::PathBuf;

use super::sample_query::{Filter, SortKey};

/// A request from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// Open a dataset folder or manifest.
    OpenDataset(PathBuf),
    /// Stop waiting for the dataset being opened.
    CancelOpen,
    /// Use a model (`.onnx` or spec `.json`) and run it.
    OpenModel(PathBuf),
    /// Read embeddings with this model (any ONNX image model) instead of the predicting one's.
    OpenEmbedder(PathBuf),
    /// Load predictions made elsewhere.
    ImportPredictions(PathBuf),
    /// Monitor these device logs against the open dataset and the current predictions.
    OpenLogs(PathBuf),
    /// Cut the device logs again: window length and split.
    MonitorOptions(crate::monitor::MonitorOptions),
    /// Load a prediction file to compare with the main set.
    ImportComparison(PathBuf),
    /// Run this model (`.onnx` or spec `.json`) in the background and compare it.
    AddCompareModel(PathBuf),
    /// Remove compared set `k` (0 = the first added).
    RemoveComparison(usize),
    /// Run (or re-run) the current model.
    Run {
        /// Ignore the cache.
        fresh: bool,
    },
    /// Stop the running job of this kind (what it finished is kept where the job says so).
    Cancel(super::jobs::JobKind),
    /// Ask for a VLM endpoint and model name.
    AskVlm,
    /// Classify every sample with the VLM `model` behind the OpenAI-compatible `endpoint`.
    RunVlm {
        /// Server URL, e.g. `http://127.0.0.1:8080`.
        endpoint: String,
        /// Model name sent to the server.
        model: String,
        /// Score each label as a continuation of the prompt (vLLM) instead of along the answer.
        continuation: bool,
    },
    /// Replace the gallery filter.
    SetFilter(Filter),
    /// Change the gallery sort.
    SetSort(SortKey),
    /// Sort by a table column (again: the other way round).
    SortByColumn(SortKey),
    /// Show this view in the central area.
    ShowView(super::layout::CentralView),
    /// Show this view, or the gallery when it is shown (`G` the table, `M` the map).
    ToggleView(super::layout::CentralView),
    /// Select the sample at this position of the gallery order.
    SelectPosition(usize),
    /// Select this sample (a dataset index), clearing the filter when it hides it.
    ShowSample(usize),
    /// List the samples nearest to the marked ones (else the selection) in the gallery.
    ShowSimilar,
    /// Open the next (or previous) sample of the label-quality review queue among those the
    /// filter shows.
    StepQueue {
        /// Towards less suspicious samples.
        forward: bool,
    },
    /// Make the UMAP map again (after a cancel or a failure).
    RetryMap,
    /// Open the detail view of the selection.
    OpenDetail,
    /// Close the detail view.
    CloseDetail,
    /// Show or hide the keyboard help.
    ToggleHelp,
    /// Mark or unmark the sample at this position (Ctrl-click, Space); it also becomes the
    /// selection.
    ToggleMark(usize),
    /// Mark everything from the selection to this position (Shift-click).
    MarkRange(usize),
    /// Mark every sample of the current filter.
    MarkAll,
    /// Clear the marks.
    ClearMarks,
    /// Relabel the edit targets (marked samples, else the selection) to this class.
    Relabel(crate::dataset::ClassId),
    /// Open the quick-pick list of labels, typed by name.
    AskRelabel,
    /// Exclude the edit targets: ask for the reason (or use the remembered one).
    AskExclude,
    /// Exclude the edit targets with this reason (remembered for the session).
    Exclude(String),
    /// Exclude the edit targets with this reason without remembering it (`W`, `D`).
    ExcludeAs(String),
    /// Relabel the selected sample to its suggested label (label issues, `A`).
    AcceptSuggestion,
    /// Include the edit targets again.
    Include,
    /// Open the tag prompt.
    AskTag,
    /// Tag the edit targets.
    AddTag(String),
    /// Remove a tag from the edit targets.
    RemoveTag(String),
    /// Tag these samples (one journaled edit), whatever is marked or selected.
    TagSamples {
        /// Dataset indices.
        samples: Vec<usize>,
        /// The tag.
        tag: String,
    },
    /// Apply the edit waiting for confirmation.
    ConfirmEdit,
    /// Close the open prompt without doing anything.
    ClosePrompt,
    /// Label the image files window `.0` of the device logs names outside the dataset.
    LabelLogged(usize),
    /// Fit a temperature to the main predictions (Metrics > Calibrate).
    Calibrate,
    /// Compare the current model with every image lowered to each of these longest sides.
    CompareResolutions(Vec<u32>),
    /// Show the calibrated predictions (`true`) or the model's own.
    UseCalibration(bool),
    /// Write the calibrated copy of the model's spec here.
    SaveCalibratedSpec(PathBuf),
    /// Open the export dialog.
    OpenExport,
    /// Open the "Train a head" dialog.
    OpenTrain,
    /// Open it with the export dialog's split.
    OpenTrainFromExport,
    /// Close it (when nothing runs).
    CloseTrain,
    /// Start training.
    StartTrain,
    /// Write the trained head as a model.
    WriteHead,
    /// Close the export dialog.
    CloseExport,
    /// Start the export with the dialog's options.
    StartExport,
    /// Undo the last edit.
    Undo,
    /// Open the dataset for editing again (after a read-only open); `take_over` removes a lock
    /// from another machine first.
    RetryEditing {
        /// Remove the other machine's lock first.
        take_over: bool,
    },
    /// Redo the last undone edit.
    Redo,
    /// Show the folder holding this file in the system's file manager.
    OpenFolder(PathBuf),
    /// Close the window.
    Quit,
    /// Ask for a path typed in (no file dialog on this system, or File > Open a path…).
    AskPath {
        /// What the path is for.
        what: PathFor,
        /// Because no dialog could be shown.
        no_dialog: bool,
    },
    /// Close the typed-path prompt.
    ClosePathPrompt,
    /// Show or hide View > Log.
    ToggleLog,
    /// Open the images a selection CSV (`labelscope select`) lists as the labelling batch.
    OpenSelection(PathBuf),
    /// Open the samples tagged `to-label` as the labelling batch.
    LabelTagged,
    /// Open the marked samples as the labelling batch.
    LabelMarked,
    /// Decide the batch's shown image.
    BatchDecide(super::session::Decision),
    /// Show another image of the batch (this many on; negative: back).
    BatchStep(isize),
    /// Take back the batch's latest decision.
    BatchUndo,
    /// Close the batch and open the dataset again, with the images it added.
    FinishBatch,
}

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
    /// Device logs to monitor against the open dataset.
    DeviceLogs,
    /// A selection CSV to label (`labelscope select --out`).
    Selection,
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
            Self::DeviceLogs => "Open device logs",
            Self::Selection => "Label a selection",
        }
    }

    pub(super) fn filter(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Self::Manifest => Some(("Dataset file", &["csv", "parquet", "arrow"])),
            Self::Model | Self::CompareModel | Self::Embedder => {
                Some(("ONNX model or spec", &["onnx", "json"]))
            }
            Self::Predictions | Self::ComparePredictions => {
                Some(("Predictions", &["csv", "parquet", "jsonl", "ndjson"]))
            }
            Self::DeviceLogs => Some(("Device logs", &["jsonl", "ndjson", "csv", "parquet"])),
            Self::Selection => Some(("Selection", &["csv", "parquet"])),
            Self::Dataset | Self::PredictionParts => None,
        }
    }

    pub(super) fn folder(self) -> bool {
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
            Self::DeviceLogs => AppCommand::OpenLogs(path),
            Self::Selection => AppCommand::OpenSelection(path),
        }
    }
}
