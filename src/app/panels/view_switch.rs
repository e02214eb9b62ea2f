//! The row above the central view: the metrics panel's toggle and the Gallery / Table / Map
//! switch.

use super::super::commands::AppCommand;
use super::super::layout::{CentralView, MetricsChoice, PanelLayout};

/// The Gallery / Table / Map switch above the central view, and the metrics panel's toggle.
pub fn view_switch_ui(
    ui: &mut egui::Ui,
    central: CentralView,
    has_monitor: bool,
    has_batch: bool,
    layout: &PanelLayout,
    metrics_choice: &mut MetricsChoice,
    out: &mut Vec<AppCommand>,
) {
    ui.horizontal(|ui| {
        if ui
            .selectable_label(layout.metrics, "Metrics")
            .on_hover_text(if layout.metrics_squeezed {
                "Hidden while the detail view is open in a narrow window: click to show it beside a narrower detail view"
            } else {
                "Show or hide the metrics panel"
            })
            .clicked()
        {
            *metrics_choice = if layout.metrics {
                MetricsChoice::Hidden
            } else {
                MetricsChoice::Shown
            };
        }
        ui.separator();
        let monitor = (
            CentralView::Monitor,
            "Monitor",
            "Device logs against this dataset, day by day (File > Open device logs…)",
        );
        let views = [
            (CentralView::Gallery, "Gallery", "The thumbnails"),
            (
                CentralView::Table,
                "Table",
                "The samples as rows: sort by any column, resize columns (G)",
            ),
            (
                CentralView::Map,
                "Map",
                "Every sample's embedding in 2-D (M)",
            ),
        ];
        let label = (
            CentralView::Label,
            "Label",
            "The labelling batch, one image at a time (number keys label, N negative, S skip)",
        );
        for (view, name, hover) in views
            .into_iter()
            .chain(has_monitor.then_some(monitor))
            .chain(has_batch.then_some(label))
        {
            if ui
                .selectable_label(central == view, name)
                .on_hover_text(hover)
                .clicked()
                && central != view
            {
                out.push(AppCommand::ShowView(view));
            }
        }
    });
}
