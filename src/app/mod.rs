//! The egui window: a thin layer over the core. `LabelscopeApp` owns the session and the
//! thumbnail cache; panels draw plain data and push [`AppCommand`]s that are applied after the
//! frame.

mod apply;
mod apply_batch;
mod background;
pub mod chart_data;
mod commands;
pub mod export_dialog;
pub mod file_pick;
mod finish;
pub mod jobs;
mod keys;
pub mod layout;
pub mod map_colours;
mod opening;
mod panels;
pub mod sample_query;
pub mod session;
mod startup;
mod thumbnails;
pub mod train_dialog;

use std::sync::Arc;
use std::time::Duration;

pub use commands::AppCommand;
pub use jobs::{JobKind, Jobs};
pub use layout::CentralView;
pub use session::{Session, bundled_sample};
use startup::PREFS_KEY;
pub use startup::{Prefs, StartupArgs};

use crate::model::BackendKind;

/// Longest side of a gallery thumbnail in pixels.
pub const THUMB_PX: u32 = 160;
/// Most thumbnail textures kept at once: 1,500 x 160 x 160 x 4 bytes is at most ~150 MB.
pub const THUMB_BUDGET: usize = 1500;

/// A small modal question; its text buffers live here between frames.
#[derive(Clone, Debug, PartialEq)]
pub enum Prompt {
    /// Why exclude?
    Exclude,
    /// Which tag? (text typed so far)
    Tag(String),
    /// Which label? (text typed so far)
    Relabel(String),
    /// Apply this edit to this many samples?
    Confirm(crate::curation::Action, usize),
    /// Classify with a VLM: endpoint URL and model name as typed so far.
    Vlm {
        /// Server URL.
        endpoint: String,
        /// Model name sent to the server.
        model: String,
        /// Score each label as a continuation of the prompt.
        continuation: bool,
    },
}

/// The application.
pub struct LabelscopeApp {
    /// The open dataset, if any.
    pub session: Option<Session>,
    thumbs: Option<thumbnails::Thumbnails>,
    /// Preferences.
    pub prefs: Prefs,
    /// Inline error (opening failed), with the path.
    pub open_error: Option<String>,
    /// Detail view visible.
    pub detail_open: bool,
    /// Help overlay visible.
    pub help_open: bool,
    /// What the central area shows: the gallery, the table or the map.
    pub central: CentralView,
    map_view: panels::map::MapView,
    /// The open prompt (exclusion reason, tag, label quick-pick, bulk-edit confirmation).
    pub prompt: Option<Prompt>,
    /// The export dialog, when open.
    pub export: Option<export_dialog::ExportDialog>,
    /// The "Train a head" dialog, when open.
    pub train: Option<train_dialog::TrainDialog>,
    backend: BackendKind,
    commands: Vec<AppCommand>,
    detail: panels::detail::DetailCache,
    wake: Option<Arc<dyn Fn() + Send + Sync>>,
    /// File > Quit (Ctrl+Q) was chosen: the window closes at the next frame.
    pub quit_requested: bool,
    /// The metrics panel hidden by the user.
    pub metrics_choice: layout::MetricsChoice,
    /// The typed-path prompt, when open.
    pub path_prompt: Option<file_pick::PathPrompt>,
    /// View > Log open.
    pub log_open: bool,
    /// The Label view's shown image.
    batch_view: panels::label_batch::BatchView,
    /// The dataset being opened, if any ([`opening`]).
    opening: Option<opening::Opening>,
}

impl LabelscopeApp {
    /// Creates the app and starts opening `args` (the bundled sample when empty).
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        args: StartupArgs,
    ) -> Self {
        // The background work's shared threads yield to the frames (see `jobs::priority`).
        crate::jobs::priority::lower_the_shared_pool();
        let mut app = Self::blank(ctx, storage, args.backend.unwrap_or(BackendKind::Auto));
        let (dataset, model) = match (&args.dataset, bundled_sample()) {
            (Some(d), _) => (Some(d.clone()), args.model.clone()),
            (None, Some((d, m))) => (Some(d), Some(args.model.clone().unwrap_or(m))),
            (None, None) => (None, args.model.clone()),
        };
        if let Some(d) = dataset {
            app.open_dataset(d, &args.open);
        }
        if let Some(p) = &args.predictions {
            app.apply(AppCommand::ImportPredictions(p.clone()));
        } else if let Some(m) = model {
            app.apply(AppCommand::OpenModel(m));
        }
        if let Some((endpoint, model)) = &args.vlm {
            app.apply(AppCommand::RunVlm {
                endpoint: endpoint.clone(),
                model: model.clone(),
                continuation: false,
            });
        }
        if let Some(c) = &args.compare {
            app.apply(AppCommand::ImportComparison(c.clone()));
        }
        for m in &args.compare_models {
            app.apply(AppCommand::AddCompareModel(m.clone()));
        }
        if let Some(e) = &args.embedder {
            app.apply(AppCommand::OpenEmbedder(e.clone()));
        }
        app
    }

    /// An app with nothing open.
    fn blank(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        backend: BackendKind,
    ) -> Self {
        let prefs: Prefs = storage
            .and_then(|s| eframe::get_value(s, PREFS_KEY))
            .unwrap_or_default();
        let ctx2 = ctx.clone();
        let mut app = Self {
            session: None,
            thumbs: None,
            prefs,
            open_error: None,
            detail_open: false,
            help_open: false,
            central: CentralView::Gallery,
            map_view: Default::default(),
            prompt: None,
            export: None,
            train: None,
            backend,
            commands: Vec::new(),
            detail: Default::default(),
            wake: Some(Arc::new(move || ctx2.request_repaint())),
            quit_requested: false,
            metrics_choice: layout::MetricsChoice::Auto,
            path_prompt: None,
            log_open: false,
            batch_view: Default::default(),
            opening: None,
        };
        if app.prefs.thumb_size < 32.0 {
            app.prefs.thumb_size = 96.0;
        }
        app
    }

    /// Creates the app around an existing session (tests, embedding).
    pub fn with_session(ctx: &egui::Context, session: Session) -> Self {
        let mut app = Self::blank(ctx, None, BackendKind::Auto);
        app.install_session(session);
        app
    }

    /// Draws maps of more than `points` points as a density image (the default is 150,000;
    /// tests and benchmarks lower it).
    pub fn draw_map_as_density_from(&mut self, points: usize) {
        self.map_view.dense_from = points;
    }

    /// Thumbnail textures currently held (at most [`THUMB_BUDGET`] after each frame).
    pub fn thumbnail_textures(&self) -> usize {
        self.thumbs
            .as_ref()
            .map_or(0, thumbnails::Thumbnails::texture_count)
    }

    fn install_session(&mut self, mut session: Session) {
        let wake = self.wake.clone().unwrap_or_else(|| Arc::new(|| {}));
        session.jobs = Jobs::new(wake);
        self.session = Some(session);
        self.open_error = None;
        self.detail_open = false;
        let wake = self.wake.clone().unwrap_or_else(|| Arc::new(|| {}));
        self.thumbs = Some(thumbnails::Thumbnails::new(2, THUMB_PX, THUMB_BUDGET, wake));
    }
}

impl eframe::App for LabelscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.quit_requested {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.finish_open(ctx);
        if let Some(s) = &mut self.session {
            s.poll(Duration::from_millis(5));
        }
        // What finished is applied before anything new starts (a finished scan's signatures
        // start the embedding analysis in the same frame).
        self.finish_jobs(ctx);
        if let Some(s) = &mut self.session {
            if self.central == CentralView::Map {
                s.ensure_maps();
            }
            s.refresh_embedding_checks();
            if self.central == CentralView::Label {
                self.batch_view.load_shown(s);
            }
            if self.detail_open
                && let Some(i) = s.view.selected()
            {
                self.detail.load(s, i);
            }
            if s.jobs.any_running() {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
        }
        if let Some(t) = &mut self.thumbs {
            t.begin_frame(ctx);
        }
        for file in ctx.input(|i| i.raw.dropped_files.clone()) {
            let path = file.path().to_path_buf();
            if !path.as_os_str().is_empty() {
                let is_model = path.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("onnx") || e.eq_ignore_ascii_case("json")
                });
                self.commands.push(if is_model {
                    AppCommand::OpenModel(path)
                } else {
                    AppCommand::OpenDataset(path)
                });
            }
        }
        let session_for_keys =
            if self.prompt.is_some() || self.export.is_some() || self.train.is_some() {
                None
            } else {
                self.session.as_ref()
            };
        if self.central == CentralView::Label && session_for_keys.is_some_and(|s| s.batch.is_some())
        {
            if let Some(s) = session_for_keys {
                panels::label_batch::label_keys(ctx, s, &mut self.commands);
            }
        } else {
            keys::handle_keys(
                ctx,
                session_for_keys,
                self.detail_open,
                self.help_open,
                &mut self.commands,
            );
        }
        self.drain_commands();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        panels::top_bar::top_bar_ui(
            ui,
            self.session.as_ref(),
            &self.prefs.recent,
            self.open_error.as_deref(),
            &mut self.commands,
        );
        if let Some(session) = &self.session {
            let layout = layout::PanelLayout::of(
                ui.available_width(),
                self.detail_open,
                self.metrics_choice,
            );
            if layout.metrics {
                panels::metrics::metrics_panel_ui(
                    ui,
                    session,
                    layout.metrics_max,
                    &mut self.commands,
                );
            }
            if self.detail_open
                && let Some(thumbs) = &mut self.thumbs
            {
                panels::detail::detail_panel_ui(
                    ui,
                    session,
                    &mut self.detail,
                    thumbs,
                    (layout.detail_default, layout.detail_max),
                    &mut self.commands,
                );
            }
            egui::CentralPanel::default().show(ui, |ui| {
                panels::view_switch::view_switch_ui(
                    ui,
                    self.central,
                    session.monitor.is_some() || session.jobs.is_running(JobKind::Monitor),
                    session.batch.is_some(),
                    &layout,
                    &mut self.metrics_choice,
                    &mut self.commands,
                );
                if let Some(thumbs) = &mut self.thumbs {
                    match self.central {
                        CentralView::Map => panels::map::map_ui(
                            ui,
                            session,
                            &mut self.map_view,
                            thumbs,
                            &mut self.commands,
                        ),
                        CentralView::Table => {
                            panels::filter_bar::filter_bar_ui(
                                ui,
                                session,
                                None,
                                &mut self.commands,
                            );
                            ui.separator();
                            panels::sample_table::sample_table_ui(ui, session, &mut self.commands);
                        }
                        CentralView::Monitor => {
                            panels::monitor::monitor_ui(ui, session, &mut self.commands)
                        }
                        CentralView::Label => panels::label_batch::label_batch_ui(
                            ui,
                            session,
                            &mut self.batch_view,
                            thumbs,
                            &mut self.commands,
                        ),
                        CentralView::Gallery => panels::gallery::gallery_ui(
                            ui,
                            session,
                            thumbs,
                            &mut self.prefs.thumb_size,
                            &mut self.commands,
                        ),
                    }
                }
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| match &self.opening {
                Some(o) => {
                    panels::opening::opening_ui(ui, &o.path, o.elapsed(), &mut self.commands)
                }
                None => {
                    ui.heading("Open a dataset folder, a manifest or Hugging Face Parquet files to begin (File > Open dataset folder…, or drop a folder here).");
                }
            });
        }
        if let (Some(o), Some(_)) = (&self.opening, &self.session) {
            panels::opening::opening_window(ui.ctx(), &o.path, o.elapsed(), &mut self.commands);
        }
        if let Some(s) = &self.session {
            panels::toast::toast_ui(ui.ctx(), s);
        }
        if self.help_open {
            panels::help::help_ui(ui.ctx(), &mut self.commands);
        }
        if let (true, Some(s)) = (self.log_open, &self.session) {
            panels::log::log_ui(ui.ctx(), &s.messages.log, &mut self.commands);
        }
        if let Some(p) = &mut self.path_prompt {
            panels::path_prompt::path_prompt_ui(ui.ctx(), p, &mut self.commands);
        }
        if let (Some(d), Some(s)) = (&mut self.export, &self.session) {
            panels::export::export_ui(ui.ctx(), d, s, &mut self.commands);
        }
        if let (Some(d), Some(s)) = (&mut self.train, &self.session) {
            panels::train::train_ui(ui.ctx(), d, s, &mut self.commands);
        }
        if let (Some(prompt), Some(s)) = (&mut self.prompt, &self.session) {
            panels::prompts::prompt_ui(ui.ctx(), prompt, s, &mut self.commands);
        }
        self.drain_commands();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }
}

/// Opens the window and runs until it is closed.
pub fn run_gui(args: StartupArgs) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 900.0])
            .with_title("labelscope")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "labelscope",
        options,
        Box::new(move |cc| Ok(Box::new(LabelscopeApp::new(&cc.egui_ctx, cc.storage, args)))),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}
