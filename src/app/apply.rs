//! Applying the commands panels push: opening, running, filtering, selecting, marking, editing
//! (with the bulk-edit confirmation), exporting.

use super::commands::AppCommand;
use super::jobs::JobKind;
use super::layout::CentralView;
use super::{LabelscopeApp, Prompt, export_dialog, train_dialog};
use crate::dataset::OpenOptions;

impl LabelscopeApp {
    /// Applies one command.
    pub fn apply(&mut self, cmd: AppCommand) {
        let cmd_is_redo = cmd == AppCommand::Redo;
        if let Some(o) = &mut self.opening
            && super::opening::waits_for_dataset(&cmd)
        {
            o.then.push(cmd);
            return;
        }
        match cmd {
            AppCommand::OpenDataset(p) => self.open_dataset(p, &OpenOptions::default()),
            AppCommand::CancelOpen => self.opening = None,
            AppCommand::OpenModel(p) => {
                if let Some(s) = &mut self.session {
                    match s.set_model(&p) {
                        Ok(()) => s.start_prediction(self.backend, true),
                        Err(e) => s.messages.error = Some(e),
                    }
                } else if self.open_error.is_none() {
                    // Keep the reason the dataset did not open (e.g. no known layout).
                    self.open_error = Some("open a dataset before choosing a model".into());
                }
            }
            AppCommand::OpenEmbedder(p) => {
                if let Some(s) = &mut self.session {
                    s.start_embedder(&p, self.backend);
                }
            }
            AppCommand::ImportPredictions(p) => {
                if let Some(s) = &mut self.session
                    && let Err(e) = s.import(&p)
                {
                    s.messages.error = Some(e);
                }
            }
            AppCommand::MonitorOptions(o) => {
                if let Some(s) = &mut self.session {
                    s.set_monitor_options(o, self.backend);
                }
            }
            AppCommand::OpenLogs(p) => {
                if let Some(s) = &mut self.session {
                    s.start_monitor(vec![p], self.backend);
                    self.central = CentralView::Monitor;
                }
            }
            AppCommand::ImportComparison(p) => {
                if let Some(s) = &mut self.session
                    && let Err(e) = s.import_comparison(&p)
                {
                    s.messages.error = Some(e);
                }
            }
            AppCommand::AddCompareModel(p) => {
                if let Some(s) = &mut self.session {
                    s.add_compare_model(&p, self.backend);
                }
            }
            AppCommand::RemoveComparison(k) => {
                if let Some(s) = &mut self.session {
                    s.remove_comparison(k);
                }
            }
            AppCommand::Run { fresh } => {
                if let Some(s) = &mut self.session {
                    s.start_prediction(self.backend, !fresh);
                }
            }
            AppCommand::Cancel(kind) => {
                if let Some(s) = &self.session {
                    s.jobs.cancel(kind);
                }
            }
            AppCommand::SetFilter(f) => {
                if let Some(s) = &mut self.session {
                    // The selected sample stays selected while the filter shows it (Clear
                    // filter keeps it); when it leaves, the first sample is selected.
                    s.set_filter(f);
                }
            }
            AppCommand::SetSort(k) => {
                if let Some(s) = &mut self.session {
                    s.set_sort(k);
                }
            }
            AppCommand::SortByColumn(k) => {
                if let Some(s) = &mut self.session {
                    s.sort_by_column(k);
                }
            }
            AppCommand::ShowView(v) => self.central = v,
            AppCommand::ToggleView(v) => {
                self.central = if self.central == v {
                    CentralView::Gallery
                } else {
                    v
                };
            }
            AppCommand::SelectPosition(pos) => {
                if let Some(s) = &mut self.session
                    && pos < s.view.order.len()
                {
                    s.view.cursor = Some(pos);
                }
            }
            AppCommand::ShowSample(i) => {
                if let Some(s) = &mut self.session {
                    s.show_sample(i);
                }
            }
            AppCommand::RetryMap => {
                if let Some(s) = &mut self.session {
                    s.retry_map();
                }
            }
            AppCommand::ShowSimilar => {
                if let Some(s) = &mut self.session {
                    s.show_similar();
                }
            }
            AppCommand::StepQueue { forward } => {
                if let Some(s) = &mut self.session {
                    match s.queue_step(forward) {
                        Some(pos) => {
                            s.view.cursor = Some(pos);
                            self.detail_open = true;
                        }
                        None => s.messages.error = Some(s.queue_end_message(forward)),
                    }
                }
            }
            AppCommand::OpenDetail => {
                self.detail_open = self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.view.cursor.is_some())
            }
            AppCommand::CloseDetail => self.detail_open = false,
            AppCommand::ToggleHelp => self.help_open = !self.help_open,
            AppCommand::ToggleMark(pos) => {
                if let Some(s) = &mut self.session {
                    s.view.toggle_mark(pos);
                    s.view.cursor = (pos < s.view.order.len()).then_some(pos).or(s.view.cursor);
                }
            }
            AppCommand::MarkRange(pos) => {
                if let Some(s) = &mut self.session {
                    s.view.mark_range(pos);
                    s.view.cursor = (pos < s.view.order.len()).then_some(pos).or(s.view.cursor);
                }
            }
            AppCommand::MarkAll => {
                if let Some(s) = &mut self.session {
                    s.view.mark_all();
                }
            }
            AppCommand::ClearMarks => {
                if let Some(s) = &mut self.session {
                    s.view.marked.clear();
                }
            }
            AppCommand::Relabel(c) => {
                if let Some(s) = &self.session {
                    let label = s.ws.dataset.class_name(c).to_string();
                    self.request_edit(crate::curation::Action::Relabel { label: Some(label) });
                }
            }
            AppCommand::AskRelabel => self.ask(Prompt::Relabel(String::new())),
            AppCommand::AskExclude => self.ask(Prompt::Exclude),
            AppCommand::AskTag => self.ask(Prompt::Tag(String::new())),
            AppCommand::Exclude(reason) => {
                if let Some(s) = &mut self.session {
                    s.curation.exclude_reason = Some(reason.clone());
                }
                self.request_edit(crate::curation::Action::Exclude { reason });
            }
            AppCommand::Include => self.request_edit(crate::curation::Action::Include),
            AppCommand::ExcludeAs(reason) => {
                self.request_edit(crate::curation::Action::Exclude { reason })
            }
            AppCommand::AcceptSuggestion => {
                if let Some(s) = &mut self.session
                    && let Some(i) = s.view.selected()
                {
                    match s.suggestion_of(i) {
                        Some(c) => {
                            let label = s.ws.dataset.class_name(c).to_string();
                            s.view.marked.clear();
                            s.edit_targets_now(
                                crate::curation::Action::Relabel { label: Some(label) },
                                true,
                            );
                        }
                        None => {
                            s.messages.error = Some("no suggested label for this sample".into())
                        }
                    }
                }
            }
            AppCommand::AddTag(tag) => {
                let tag = tag.trim().to_string();
                if !tag.is_empty() {
                    self.request_edit(crate::curation::Action::AddTag { tag });
                }
            }
            AppCommand::TagSamples { samples, tag } => {
                if let Some(s) = &mut self.session {
                    s.tag_samples(&samples, &tag);
                }
            }
            AppCommand::RemoveTag(tag) => {
                self.request_edit(crate::curation::Action::RemoveTag { tag })
            }
            AppCommand::ConfirmEdit => {
                if let Some(Prompt::Confirm(action, _)) = self.prompt.take()
                    && let Some(s) = &mut self.session
                {
                    s.edit_targets_now(action, true);
                }
            }
            AppCommand::ClosePrompt => self.prompt = None,
            AppCommand::AskVlm => {
                let (endpoint, model) = self
                    .prefs
                    .vlm
                    .clone()
                    .unwrap_or_else(|| ("http://127.0.0.1:8080".into(), String::new()));
                if self.session.is_some() {
                    self.prompt = Some(Prompt::Vlm {
                        endpoint,
                        model,
                        continuation: false,
                    });
                }
            }
            AppCommand::RunVlm {
                endpoint,
                model,
                continuation,
            } => {
                self.prompt = None;
                if let Some(s) = &mut self.session {
                    let mut cfg = crate::vlm::VlmConfig::new(endpoint.trim(), model.trim());
                    if continuation {
                        cfg.scoring = crate::vlm::VlmScoring::Continuation;
                    }
                    s.start_vlm(cfg);
                    self.prefs.vlm = Some((endpoint, model));
                }
            }
            AppCommand::OpenExport => {
                if let Some(s) = &self.session
                    && self.export.is_none()
                {
                    self.export = Some(export_dialog::ExportDialog::new(s));
                }
            }
            AppCommand::OpenTrain | AppCommand::OpenTrainFromExport => {
                if let Some(s) = &self.session
                    && self.train.is_none()
                {
                    let from_export = matches!(cmd, AppCommand::OpenTrainFromExport);
                    let export = self.export.as_ref().filter(|_| from_export);
                    let split = export.map(|d| crate::export::SplitConfig {
                        val: d.val,
                        test: d.test,
                        seed: d.seed,
                    });
                    let keep = export.is_some_and(|d| d.keep_splits);
                    self.train = Some(train_dialog::TrainDialog::new(s, split.as_ref(), keep));
                    if from_export {
                        self.export = None;
                    }
                }
            }
            AppCommand::CloseTrain => {
                if !self.is_running(JobKind::Train) {
                    self.train = None;
                }
            }
            AppCommand::StartTrain => {
                if let (Some(d), Some(s)) = (&mut self.train, &mut self.session) {
                    d.start(s, self.backend);
                }
            }
            AppCommand::WriteHead => {
                if let (Some(d), Some(s)) = (&mut self.train, &self.session) {
                    d.write(s);
                }
            }
            AppCommand::CloseExport => {
                if !self.is_running(JobKind::Export) {
                    self.export = None;
                }
            }
            AppCommand::StartExport => {
                if let (Some(d), Some(s)) = (&mut self.export, &mut self.session) {
                    d.start(s);
                }
            }
            AppCommand::Undo | AppCommand::Redo => {
                if let Some(s) = &mut self.session {
                    s.undo_redo(cmd_is_redo);
                }
            }
            AppCommand::OpenFolder(p) => {
                if let Err(e) = open_folder(&p)
                    && let Some(s) = &mut self.session
                {
                    s.messages.error = Some(e);
                }
            }
            AppCommand::Quit => self.quit_requested = true,
            AppCommand::AskPath { what, no_dialog } => {
                self.path_prompt = Some(super::file_pick::PathPrompt {
                    what,
                    text: String::new(),
                    no_dialog,
                });
            }
            AppCommand::ClosePathPrompt => self.path_prompt = None,
            AppCommand::CompareResolutions(sides) => {
                if let Some(s) = &mut self.session {
                    s.compare_resolutions(sides, self.backend);
                }
            }
            AppCommand::Calibrate => {
                if let Some(s) = &mut self.session {
                    s.start_calibration();
                }
            }
            AppCommand::UseCalibration(on) => {
                if let Some(s) = &mut self.session {
                    s.use_calibration(on);
                }
            }
            AppCommand::SaveCalibratedSpec(p) => {
                if let Some(s) = &mut self.session {
                    s.save_calibrated_spec(&p);
                }
            }
            AppCommand::ToggleLog => self.log_open = !self.log_open,
            AppCommand::OpenSelection(_)
            | AppCommand::LabelLogged(_)
            | AppCommand::LabelTagged
            | AppCommand::LabelMarked
            | AppCommand::BatchDecide(_)
            | AppCommand::BatchStep(_)
            | AppCommand::BatchUndo
            | AppCommand::FinishBatch => self.apply_batch(cmd),
            AppCommand::RetryEditing { take_over } => {
                if let Some(s) = &mut self.session {
                    if take_over {
                        s.take_over_lock();
                    } else {
                        s.open_curation();
                    }
                }
            }
        }
    }

    /// Whether the open dataset has a job of `kind` running.
    pub fn is_running(&self, kind: JobKind) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.jobs.is_running(kind))
    }

    /// Opens `prompt` when there is something to edit.
    fn ask(&mut self, prompt: Prompt) {
        let has_targets = self
            .session
            .as_ref()
            .is_some_and(|s| s.view.edit_target_count() > 0);
        self.prompt = has_targets.then_some(prompt);
    }

    /// Applies `action` to the edit targets, asking first when it touches many samples.
    fn request_edit(&mut self, action: crate::curation::Action) {
        self.prompt = None;
        let Some(s) = &mut self.session else { return };
        let n = s.view.edit_target_count();
        if n > super::session::CONFIRM_ABOVE {
            self.prompt = Some(Prompt::Confirm(action, n));
        } else {
            let advance = !matches!(
                action,
                crate::curation::Action::AddTag { .. } | crate::curation::Action::RemoveTag { .. }
            );
            s.edit_targets_now(action, advance);
        }
    }

    pub(super) fn drain_commands(&mut self) {
        let commands = std::mem::take(&mut self.commands);
        if commands.is_empty() {
            return;
        }
        for cmd in commands {
            self.apply(cmd);
        }
        // What a command opened or changed shows at once, not at the next mouse move.
        if let Some(wake) = &self.wake {
            wake();
        }
    }
}

/// Shows the folder holding `file` (for an image inside a Parquet/Arrow file, the folder of
/// that file) in the system's file manager (nothing is written).
fn open_folder(file: &std::path::Path) -> Result<(), String> {
    let file = crate::dataset::embedded::storage_file(file);
    let dir = file.parent().unwrap_or(file);
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(dir)
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot open {} with {opener}: {e}", dir.display()))
}
