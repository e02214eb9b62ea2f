//! Curation: relabel, exclude (with a reason), include, tags; undo/redo; and the crash-safe
//! journal that makes every edit durable before it is shown as done.
//!
//! Edits are keyed by sample id and store labels by name, so they survive class reordering.
//! Source images and the user's manifest are never modified: the journal lives in the dataset's
//! state folder.

pub mod added;
mod curator;
mod edit;
mod error;
mod history;
pub mod identity;
mod joined;
mod journal;
mod lock;

pub use added::{NEGATIVE_REASON, Negative, NegativeSource, added_id, negatives};
pub use curator::{
    Curator, EditError, effective_label, effective_labels, is_relabeled, journal_files, read_edits,
    stale_edits,
};
pub use edit::{Action, Edit, SampleEdits, short_id};
pub use history::CurationState;
pub use joined::{join_added, open_dataset};
pub use journal::{CurationError, JOURNAL_FILE, Journal, JournalFiles, LOCK_FILE};
pub use lock::hostname;
