//! Choosing a file or folder: the native dialog when the system has one, else (no
//! xdg-desktop-portal, a bare X server) a typed path, with a word on why.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::commands::AppCommand;
pub use super::commands::PathFor;

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
