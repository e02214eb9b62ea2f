//! Applying the labelling batch's commands: opening a batch (a selection file, the tagged or the
//! marked samples), deciding, moving, undoing, and finishing it.

use super::LabelscopeApp;
use super::commands::AppCommand;
use super::layout::CentralView;
use crate::dataset::OpenOptions;

impl LabelscopeApp {
    /// Applies one of the labelling batch's commands.
    pub(super) fn apply_batch(&mut self, cmd: AppCommand) {
        let marked = cmd == AppCommand::LabelMarked;
        match cmd {
            AppCommand::OpenSelection(p) => {
                if let Some(s) = &mut self.session {
                    s.open_selection(&p, self.backend);
                    if s.batch.is_some() {
                        self.central = CentralView::Label;
                    }
                }
            }
            AppCommand::LabelLogged(k) => {
                if let Some(s) = &mut self.session {
                    s.open_logged_batch(k, self.backend);
                    if s.batch.is_some() {
                        self.central = CentralView::Label;
                    }
                }
            }
            AppCommand::LabelTagged | AppCommand::LabelMarked => {
                if let Some(s) = &mut self.session {
                    if marked {
                        s.open_marked_batch(self.backend);
                    } else {
                        s.open_tagged_batch(self.backend);
                    }
                    if s.batch.is_some() {
                        self.central = CentralView::Label;
                    }
                }
            }
            AppCommand::BatchDecide(d) => {
                if let Some(s) = &mut self.session {
                    s.batch_decide(d);
                }
            }
            AppCommand::BatchStep(delta) => {
                if let Some(s) = &mut self.session {
                    s.batch_step(delta);
                }
            }
            AppCommand::BatchUndo => {
                if let Some(s) = &mut self.session {
                    s.batch_undo();
                }
            }
            AppCommand::FinishBatch => self.finish_batch(),
            _ => {}
        }
    }

    /// Closes the labelling batch; when it added images, opens the dataset again (they join it
    /// there) with the same model, whose cached predictions come back at once.
    fn finish_batch(&mut self) {
        let Some(s) = &mut self.session else { return };
        let Some(batch) = s.batch.take() else { return };
        self.central = CentralView::Gallery;
        if batch.added == 0 {
            return;
        }
        let (source, model) = (s.ws.dataset.source.clone(), s.model());
        self.open_dataset(source, &OpenOptions::default());
        if let Some(o) = &mut self.opening {
            let n = batch.added;
            o.then_model = model;
            o.then_notice = Some(format!(
                "{n} {} from the batch {} samples of the dataset now (by reference: nothing was copied)",
                if n == 1 { "image" } else { "images" },
                if n == 1 { "is" } else { "are" }
            ));
        }
    }
}
