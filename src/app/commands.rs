//! What panels ask the app to do. Panels push commands while drawing; the app applies them after
//! the frame is drawn, so no panel mutates the session mid-frame.

use std::path::PathBuf;

use super::gallery_view::{Filter, SortKey};

/// A request from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum AppCommand {
    /// Open a dataset folder or manifest.
    OpenDataset(PathBuf),
    /// Use a model (`.onnx` or spec `.json`) and run it.
    OpenModel(PathBuf),
    /// Load predictions made elsewhere.
    ImportPredictions(PathBuf),
    /// Run (or re-run) the current model.
    Run {
        /// Ignore the cache.
        fresh: bool,
    },
    /// Cancel the running job.
    Cancel,
    /// Replace the gallery filter.
    SetFilter(Filter),
    /// Change the gallery sort.
    SetSort(SortKey),
    /// Select the sample at this position of the gallery order.
    SelectPosition(usize),
    /// Open the detail view of the selection.
    OpenDetail,
    /// Close the detail view.
    CloseDetail,
    /// Show or hide the keyboard help.
    ToggleHelp,
    /// Relabel the selection to this class.
    Relabel(crate::dataset::ClassId),
    /// Exclude the selection: ask for the reason (or use the remembered one).
    AskExclude,
    /// Exclude the selection with this reason (remembered for the session).
    Exclude(String),
    /// Close the exclusion-reason prompt.
    CancelPrompt,
    /// Include the selection again.
    Include,
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
}
