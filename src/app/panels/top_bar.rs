//! The top bar: open dataset/model/predictions (native dialogs, recent datasets), what is open,
//! the backend, and the running job's progress with a Cancel button.

use std::path::PathBuf;

use super::super::commands::AppCommand;
use super::super::file_pick::{PathFor, choose};
use super::super::jobs::JobKind;
use super::super::session::Session;
use super::job_progress::job_progress_ui;
use crate::jobs::Progress;

/// Draws the top bar.
pub fn top_bar_ui(
    ui: &mut egui::Ui,
    session: Option<&Session>,
    recent: &[PathBuf],
    open_error: Option<&str>,
    out: &mut Vec<AppCommand>,
) {
    egui::Panel::top("top_bar").show(ui, |ui| {
        // One line that never wraps: long names are cut short with the whole text on hover.
        ui.horizontal(|ui| {
            ui.menu_button("File", |ui| file_menu_ui(ui, recent, out));
            if let Some(s) = session {
                ui.menu_button("Edit", |ui| edit_menu_ui(ui, s, out));
                ui.menu_button("View", |ui| {
                    let errors = s
                        .messages.log
                        .entries
                        .iter()
                        .filter(|e| e.level == crate::app::session::parts::log::Level::Error)
                        .count();
                    if ui
                        .button(format!(
                            "Log ({} warnings, {errors} errors)…",
                            s.messages.log.entries.len() - errors
                        ))
                        .on_hover_text("Every warning and error of this session, with the file and the reason")
                        .clicked()
                    {
                        out.push(AppCommand::ToggleLog);
                    }
                });
            }
            if ui
                .button("?")
                .on_hover_text("Keyboard shortcuts (?)")
                .clicked()
            {
                out.push(AppCommand::ToggleHelp);
            }
            ui.separator();
            match session {
                Some(s) => session_status_ui(ui, s, out),
                None => {
                    ui.label("No dataset open.");
                }
            }
        });
        if let Some(e) = open_error {
            ui.colored_label(ui.visuals().error_fg_color, format!("Could not open: {e}"));
        }
        if let Some(s) = session {
            if let Some(r) = s.curation.read_only() {
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().warn_fg_color, &r.banner);
                    if ui
                        .button("Try again")
                        .on_hover_text("Open for editing once the other window is closed")
                        .clicked()
                    {
                        out.push(AppCommand::RetryEditing { take_over: false });
                    }
                    if r.other_host
                        && ui
                            .button("Take over")
                            .on_hover_text("The lock is from another machine and cannot be checked from here: take it only if that window is closed")
                            .clicked()
                    {
                        out.push(AppCommand::RetryEditing { take_over: true });
                    }
                });
            }
            if let Some(e) = &s.messages.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            if let Some(h) = &s.predictions.backend_hint {
                ui.weak(h);
            }
            for note in s.messages.notes.iter().take(3) {
                ui.weak(format!("Note: {note}"));
            }
        }
    });
}

fn file_menu_ui(ui: &mut egui::Ui, recent: &[PathBuf], out: &mut Vec<AppCommand>) {
    let hints: [(PathFor, Option<&str>); 10] = [
        (PathFor::Dataset, None),
        (
            PathFor::Manifest,
            Some(
                "A CSV/Parquet manifest of image paths and labels, or a Hugging Face Parquet/Arrow file with the images inside (a folder of shards opens with Open dataset folder)",
            ),
        ),
        (PathFor::Model, None),
        (PathFor::Predictions, None),
        (
            PathFor::PredictionParts,
            Some("The part-I-of-N files written by `predict --shard I/N`, read as one set"),
        ),
        (
            PathFor::CompareModel,
            Some(
                "Run another model (an int8 or fine-tuned version, a bigger one) in the background: its metrics, latency, size and memory beside the current ones, and whether the difference is significant",
            ),
        ),
        (PathFor::ComparePredictions, None),
        (
            PathFor::Embedder,
            Some(
                "Any ONNX image model (e.g. the bundled EfficientNet-Lite0) gives the embeddings for find similar, the map and the embedding checks: for predictions from a VLM or a file, or another view of the data",
            ),
        ),
        (
            PathFor::DeviceLogs,
            Some(
                "Inference logs of the deployed model (timestamp, pred, confidence, ...): each day's class mix, confidence, accuracy without labels and latency against this dataset and the current predictions",
            ),
        ),
        (
            PathFor::Selection,
            Some(
                "The CSV `labelscope select` wrote: its images one at a time, with the model's top 3 and the nearest labelled samples; each label adds the image to this dataset by reference (nothing is copied)",
            ),
        ),
    ];
    for (what, hint) in hints {
        let button = ui.button(format!("{}…", what.title()));
        let button = match hint {
            Some(h) => button.on_hover_text(h),
            None => button,
        };
        if button.clicked() {
            choose(what, out);
        }
    }
    if ui
        .button("Open a path…")
        .on_hover_text("Type or paste the path of a dataset folder or manifest")
        .clicked()
    {
        out.push(AppCommand::AskPath {
            what: PathFor::Dataset,
            no_dialog: false,
        });
    }
    if ui
        .button("Classify with a VLM endpoint…")
        .on_hover_text(
            "An OpenAI-compatible server (llama-server, vLLM, Ollama) answering with a label",
        )
        .clicked()
    {
        out.push(AppCommand::AskVlm);
    }
    if ui
        .button("Label the samples tagged to-label")
        .on_hover_text("The samples Monitor > To label (or T) tagged, one at a time")
        .clicked()
    {
        out.push(AppCommand::LabelTagged);
    }
    ui.separator();
    if ui.button("Export cleaned splits…").clicked() {
        out.push(AppCommand::OpenExport);
    }
    if ui
        .button("Train a head…")
        .on_hover_text("A new classifier head on the model's embeddings with the cleaned labels: what cleaning bought, and a deployable ONNX model")
        .clicked()
    {
        out.push(AppCommand::OpenTrain);
    }
    if !recent.is_empty() {
        ui.separator();
        ui.label("Recent datasets");
        for p in recent {
            if ui.button(p.display().to_string()).clicked() {
                out.push(AppCommand::OpenDataset(p.clone()));
            }
        }
    }
    ui.separator();
    if ui
        .add(egui::Button::new("Quit").shortcut_text("Ctrl+Q"))
        .clicked()
    {
        out.push(AppCommand::Quit);
    }
}

/// A label cut short to at most `share` of the bar's remaining width, whole on hover.
fn elided(ui: &mut egui::Ui, share: f32, text: String, hover: String) {
    let max = (ui.available_width() * share).max(80.0);
    ui.scope(|ui| {
        ui.set_max_width(max);
        ui.add(egui::Label::new(&text).truncate())
            .on_hover_text(format!("{text}\n{hover}"));
    });
}

fn session_status_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    let ds = &s.ws.dataset;
    elided(
        ui,
        0.3,
        format!(
            "{} · {} samples · {} classes",
            ds.source.display(),
            ds.samples.len(),
            ds.classes.len()
        ),
        format!(
            "Layout {:?}; {} scan problems",
            ds.layout,
            ds.report.issues.len()
        ),
    );
    if !ds.report.is_empty() {
        let text = ds
            .report
            .issues
            .iter()
            .take(30)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("{} scan problems", ds.report.issues.len()),
        )
        .on_hover_text(text);
    }
    ui.separator();
    match &s.predictions.model {
        Some(m) => elided(
            ui,
            0.35,
            format!("Model: {}", m.spec.name),
            m.onnx_path.display().to_string(),
        ),
        None => match &s.predictions.vlm {
            Some(v) => {
                ui.label(format!("VLM: {}", v.model)).on_hover_text(v.url());
            }
            None => {
                ui.label("No model");
            }
        },
    }
    if let Some(b) = &s.predictions.backend {
        let short = b.split(" from ").next().unwrap_or(b);
        elided(ui, 0.4, format!("Backend: {short}"), b.clone());
    }
    let name = s
        .embeddings
        .embedder
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let text =
        |_: &_, p: &Progress| format!("Embeddings from {name}: {}/{}", p.num_done, p.num_total);
    let hover = "Stop the embedding model; the embeddings from before are kept";
    job_progress_ui(ui, &s.jobs, JobKind::Embedder, 220.0, hover, text, out);
    let text = |_: &_, p: &Progress| {
        let eta = p
            .eta_secs()
            .map_or(String::from("…"), |e| format!("{e:.0}s"));
        format!(
            "{}/{} · {:.0} img/s · ETA {eta}",
            p.num_done,
            p.num_total,
            p.items_per_sec()
        )
    };
    let hover = "Stop the run; finished results are kept";
    match job_progress_ui(ui, &s.jobs, JobKind::Predict, 260.0, hover, text, out) {
        true => {}
        false if s.predictions.model.is_some() => {
            if ui
                .button("Re-run")
                .on_hover_text("Run the model again, ignoring the cache")
                .clicked()
            {
                out.push(AppCommand::Run { fresh: true });
            }
            if let Some(p) = &s.predictions.set
                && let Some(secs) = p.elapsed_secs
            {
                let text = format!(
                    "{} cached, {} run in {secs:.1}s",
                    p.num_cached, p.num_inferred
                );
                ui.add(egui::Label::new(egui::RichText::new(&text).weak()).truncate())
                    .on_hover_text(text);
            }
        }
        false => {}
    }
}

/// The Edit menu: undo and redo saying what they undo, marks, and the edits of the selection.
fn edit_menu_ui(ui: &mut egui::Ui, s: &Session, out: &mut Vec<AppCommand>) {
    let state = s.curation.curator().map(|c| c.state());
    let undo = state.and_then(|c| c.next_undo()).map(|e| e.describe());
    let redo = state.and_then(|c| c.next_redo()).map(|e| e.describe());
    let item = |ui: &mut egui::Ui, enabled: bool, text: String, key: &str| {
        ui.add_enabled(enabled, egui::Button::new(text).shortcut_text(key))
            .clicked()
    };
    if item(
        ui,
        undo.is_some(),
        undo.as_ref().map_or("Undo".into(), |d| format!("Undo {d}")),
        "Ctrl+Z",
    ) {
        out.push(AppCommand::Undo);
    }
    if item(
        ui,
        redo.is_some(),
        redo.as_ref().map_or("Redo".into(), |d| format!("Redo {d}")),
        "Ctrl+Y",
    ) {
        out.push(AppCommand::Redo);
    }
    ui.separator();
    if item(
        ui,
        !s.view.order.is_empty(),
        "Mark all in the filter".into(),
        "Ctrl+A",
    ) {
        out.push(AppCommand::MarkAll);
    }
    if item(ui, !s.view.marked.is_empty(), "Clear marks".into(), "Esc") {
        out.push(AppCommand::ClearMarks);
    }
    ui.separator();
    let targets = s.view.edit_target_count() > 0 && s.curation.curator().is_some();
    if item(ui, targets, "Relabel…".into(), "L") {
        out.push(AppCommand::AskRelabel);
    }
    if item(ui, targets, "Exclude…".into(), "X") {
        out.push(AppCommand::AskExclude);
    }
    if item(ui, targets, "Include again".into(), "I") {
        out.push(AppCommand::Include);
    }
    if item(ui, targets, "Tag…".into(), "T") {
        out.push(AppCommand::AskTag);
    }
    ui.separator();
    if item(
        ui,
        !s.view.marked.is_empty() && s.curation.curator().is_some(),
        format!("Label the {} marked one at a time", s.view.marked.len()),
        "",
    ) {
        out.push(AppCommand::LabelMarked);
    }
}
