//! Applying what background jobs hand back: the one drain of the registry each frame and the
//! one match on what finished, each kind to where its result belongs.

use super::LabelscopeApp;
use super::jobs::{Done, Finished};

impl LabelscopeApp {
    /// Collects every job that finished since the last frame and applies it.
    pub(super) fn finish_jobs(&mut self, ctx: &egui::Context) {
        let Some(s) = &mut self.session else { return };
        for done in s.finished_jobs() {
            self.finish(ctx, done);
        }
    }

    /// Applies one finished job.
    fn finish(&mut self, ctx: &egui::Context, done: Done) {
        let Some(s) = &mut self.session else { return };
        s.messages.notes.extend(done.notes);
        match done.result {
            Finished::Predict(r) => s.finish_prediction(r),
            Finished::Scan(r) => s.finish_scan(r),
            Finished::Analysis(r) => s.finish_analysis(r),
            Finished::Embedder(r) => s.finish_embedder(r, done.cancelled),
            Finished::Map(set, r) => s.finish_map(set, r),
            Finished::Compare(r) => s.finish_comparison(r, done.cancelled),
            Finished::Train(r) => {
                if let Some(d) = &mut self.train {
                    d.finish(r);
                }
            }
            Finished::Export(r) => {
                if let Some(d) = &mut self.export {
                    d.finish(r);
                }
            }
            Finished::Detail(i, r) => self.detail.finish(ctx, i, r),
            Finished::Monitor(r) => s.finish_monitor(r),
            Finished::Hints(paths, r) => s.finish_hints(paths, r),
            Finished::BatchImage(path, r) => self.batch_view.finish(ctx, &path, r),
            Finished::Calibrate(r) => s.finish_calibration(r),
        }
        if let Some(s) = &mut self.session {
            s.refresh();
            s.messages.collect();
        }
    }
}
