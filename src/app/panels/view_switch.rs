//! The row above the central view: the metrics panel's toggle and the Gallery / Table / Map
//! switch.

use super::super::commands::AppCommand;
use super::super::layout::{MetricsChoice, PanelLayout};

/// The Gallery / Map switch above the central view, and the metrics panel's toggle.
pub fn view_switch_ui(
    ui: &mut egui::Ui,
    (map_open, table_open): (bool, bool),
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
        if ui
            .selectable_label(!map_open && !table_open, "Gallery")
            .clicked()
        {
            if map_open {
                out.push(AppCommand::ToggleMap);
            }
            if table_open {
                out.push(AppCommand::ToggleTable);
            }
        }
        if ui
            .selectable_label(table_open, "Table")
            .on_hover_text("The samples as rows: sort by any column, resize columns (G)")
            .clicked()
            && !table_open
        {
            out.push(AppCommand::ToggleTable);
        }
        if ui
            .selectable_label(map_open, "Map")
            .on_hover_text("Every sample's embedding in 2-D (M)")
            .clicked()
            && !map_open
        {
            out.push(AppCommand::ToggleMap);
        }
    });
}
