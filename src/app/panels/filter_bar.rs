//! The gallery's filter bar: what to show and in which order, thumbnail size, the marks.

use egui::Color32;

use super::super::commands::AppCommand;
use super::super::jobs::JobKind;
use super::super::sample_query::{Correctness, EditFilter, ExcludedView, Filter, SortKey};
use super::super::session::Session;
use crate::dataset::ClassId;
use crate::eval::Predicted;
use crate::problems::FindingKind;

/// Draws the filter bar: label, prediction, correctness, exclusion, problem and edit filters,
/// confidence range, sort, thumbnail size (the gallery's) and the marks.
pub fn filter_bar_ui(
    ui: &mut egui::Ui,
    s: &Session,
    thumb_size: Option<&mut f32>,
    out: &mut Vec<AppCommand>,
) {
    let mut f = s.view.filter.clone();
    ui.horizontal_wrapped(|ui| {
        let class_text = |c: Option<ClassId>| {
            c.map_or("All".to_string(), |c| s.ws.dataset.class_name(c).to_string())
        };
        fit(ui, "True", Control::Combo);
        {
            let l_true = ui.label("True");
            egui::ComboBox::from_id_salt("filter_true")
                .selected_text(class_text(f.true_class))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.true_class, None, "All");
                    for (k, c) in s.ws.dataset.classes.iter().enumerate() {
                        ui.selectable_value(
                            &mut f.true_class,
                            Some(ClassId(k as u32)),
                            format!("{} {c}", (k + 1) % 10),
                        );
                    }
                })
                .response
                .labelled_by(l_true.id);
        }
        let pred_text = f
            .predicted
            .map_or("All".to_string(), |p| p.name(&s.ws.dataset.classes));
        fit(ui, "Predicted", Control::Combo);
        {
            let l_pred = ui.label("Predicted");
            egui::ComboBox::from_id_salt("filter_pred")
                .selected_text(pred_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.predicted, None, "All");
                    for (k, c) in s.ws.dataset.classes.iter().enumerate() {
                        ui.selectable_value(
                            &mut f.predicted,
                            Some(Predicted::Class(ClassId(k as u32))),
                            c,
                        );
                    }
                    ui.selectable_value(&mut f.predicted, Some(Predicted::Other), "other");
                    ui.selectable_value(&mut f.predicted, Some(Predicted::Unparsed), "unparsed");
                })
                .response
                .labelled_by(l_pred.id);
        }
        fit(ui, "Show", Control::Combo);
        {
            let l_show = ui.label("Show");
            egui::ComboBox::from_id_salt("filter_correct")
                .selected_text(f.correctness.label())
                .show_ui(ui, |ui| {
                    for c in Correctness::ALL {
                        ui.selectable_value(&mut f.correctness, c, c.label());
                    }
                })
                .response
                .labelled_by(l_show.id);
        }
        fit(ui, "Excluded", Control::Combo);
        {
            let l_excl = ui.label("Excluded");
            egui::ComboBox::from_id_salt("filter_excluded")
                .selected_text(excluded_text(f.excluded))
                .show_ui(ui, |ui| {
                    for v in [ExcludedView::Hide, ExcludedView::Only, ExcludedView::All] {
                        ui.selectable_value(&mut f.excluded, v, excluded_text(v));
                    }
                })
                .response
                .labelled_by(l_excl.id);
        }
        // Samples per kind, counted as the Excluded filter shows them.
        let counts = s
            .problems
            .index
            .sample_counts(|i| s.curation.truth().get(i).is_some_and(Option::is_none));
        let excluded_view = f.excluded;
        let problem_text = |k: Option<FindingKind>| match k {
            None => "All".to_string(),
            Some(k) => {
                let (kept, out) = counts[k as usize];
                match excluded_view {
                    ExcludedView::Hide if out > 0 => {
                        format!("{} ({kept}, +{out} excluded)", k.title())
                    }
                    ExcludedView::Hide => format!("{} ({kept})", k.title()),
                    ExcludedView::Only => format!("{} ({out})", k.title()),
                    ExcludedView::All => format!("{} ({})", k.title(), kept + out),
                }
            }
        };
        fit(ui, "Problems", Control::Combo);
        {
            let l_problems = ui.label("Problems");
            egui::ComboBox::from_id_salt("filter_problems")
                .selected_text(problem_text(f.problem))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.problem, None, "All");
                    for k in FindingKind::ALL {
                        ui.selectable_value(&mut f.problem, Some(k), problem_text(Some(k)));
                    }
                })
                .response
                .labelled_by(l_problems.id)
                .on_hover_text(problems_hover(s));
        }
        if s.jobs.is_running(JobKind::Scan) {
            // The bar and its Cancel stay together on one row.
            if ui.available_size_before_wrap().x < 250.0 {
                ui.end_row();
            }
            let hover = "Stop the image checks; they run again when the dataset is opened";
            let text = super::job_progress::default_text;
            super::job_progress::job_progress_ui(ui, &s.jobs, JobKind::Scan, 170.0, hover, text, out);
        }
        if let Some(similar) = &f.similar {
            let anchor = match similar.anchors.as_slice() {
                [one] => s.ws.dataset.samples[*one].id.0.clone(),
                many => format!("{} marked samples", many.len()),
            };
            if ui
                .button(format!("Similar to {anchor} ×"))
                .on_hover_text(format!(
                    "The {} nearest samples by embedding, nearest first; the other filters apply to them. Click to show everything again.",
                    similar.limit
                ))
                .clicked()
            {
                f.similar = None;
            }
        }
        if let Some(region) = &f.region
            && ui
                .button(format!("{} ({}) ×", region.what, region.samples.len()))
                .on_hover_text("Only these samples (a Shift+drag on the map, a day of the device logs). Click to show everything again.")
                .clicked()
        {
            f.region = None;
        }
        if !s.compare.sets.is_empty() {
            ui.checkbox(&mut f.disagree, "Models disagree").on_hover_text(
                "Only samples on which a compared model or file answers differently from the main predictions",
            );
        }
        fit(ui, "Edits", Control::Combo);
        {
            let l_edits = ui.label("Edits");
            egui::ComboBox::from_id_salt("filter_edits")
                .selected_text(f.edits.label())
                .show_ui(ui, |ui| {
                    let (tags, reasons) = s.curation.tags_and_reasons();
                    let fixed = [
                        EditFilter::Any,
                        EditFilter::Edited,
                        EditFilter::Relabeled,
                        EditFilter::Unedited,
                    ];
                    let tags = tags.into_iter().map(EditFilter::Tag);
                    let reasons = reasons.into_iter().map(EditFilter::Reason);
                    for v in fixed.into_iter().chain(tags).chain(reasons) {
                        let text = v.label();
                        ui.selectable_value(&mut f.edits, v, text);
                    }
                })
                .response
                .labelled_by(l_edits.id);
        }
        fit(ui, "Confidence from", Control::Range);
        {
            let from = ui.label("Confidence from");
            ui.add(
                egui::DragValue::new(&mut f.confidence.0)
                    .range(0.0..=1.0)
                    .speed(0.01)
                    .fixed_decimals(2),
            )
            .labelled_by(from.id);
            let to = ui.label("to");
            ui.add(
                egui::DragValue::new(&mut f.confidence.1)
                    .range(0.0..=1.0)
                    .speed(0.01)
                    .fixed_decimals(2),
            )
            .labelled_by(to.id);
        }
        let mut sort = s.view.sort;
        // One width whichever sort is chosen, so the bar keeps its rows (and the gallery its
        // place) when the sort changes.
        const SIMILAR: &str = "By similarity (nearest first)";
        let sort_width = combo_width_for(
            ui,
            SortKey::ALL.iter().map(|k| k.label()).chain([SIMILAR]),
        );
        fit(ui, "Sort", Control::Sized(sort_width));
        if f.similar.is_some() {
            // "Show similar" sets the order: the box says so instead of a sort it ignores.
            let l_sort = ui.label("Sort");
            ui.add_enabled_ui(false, |ui| {
                egui::ComboBox::from_id_salt("sort")
                    .width(sort_width)
                    .selected_text(SIMILAR)
                    .show_ui(ui, |_| {})
                    .response
                    .labelled_by(l_sort.id)
            })
            .response
            .on_disabled_hover_text("Similar sets the order: nearest first, the distance on each image. Close \"Similar to…\" to sort again.");
        } else {
            let l_sort = ui.label("Sort");
            egui::ComboBox::from_id_salt("sort")
                .width(sort_width)
                .selected_text(sort.label())
                .show_ui(ui, |ui| {
                    for k in SortKey::ALL {
                        ui.selectable_value(&mut sort, k, k.label());
                    }
                })
                .response
                .labelled_by(l_sort.id);
        }
        if sort != s.view.sort {
            out.push(AppCommand::SetSort(sort));
        }
        if let Some(thumb_size) = thumb_size {
            fit(ui, "Size", Control::Slider);
            let l_size = ui.label("Size");
            ui.add(egui::Slider::new(thumb_size, 64.0..=256.0).show_value(false))
                .labelled_by(l_size.id);
        }
    });
    // A row of its own that never wraps: the count, Clear filter (always there, greyed when
    // nothing is filtered) and the marks; the ranking's progress comes and goes last.
    ui.horizontal(|ui| {
        ui.strong(format!(
            "{} of {} samples",
            s.view.order.len(),
            s.ws.dataset.samples.len()
        ));
        if s.view.is_ordering() {
            // A million samples sort on a thread of their own; the last order stays shown.
            ui.add(egui::Spinner::new());
            ui.weak("sorting…");
        }
        if ui
            .add_enabled(!f.is_empty(), egui::Button::new("Clear filter"))
            .on_hover_text("Show every sample again (the selection stays)")
            .clicked()
        {
            f = Filter::default();
        }
        if !s.view.marked.is_empty() {
            if ui.button("Clear marks").on_hover_text("Esc").clicked() {
                out.push(AppCommand::ClearMarks);
            }
            ui.colored_label(
                Color32::from_rgb(40, 120, 230),
                format!("{} marked: edits apply to them", s.view.marked.len()),
            );
        } else if ui
            .button("Mark all")
            .on_hover_text("Mark every sample of the filter (Ctrl+A); then edit them at once")
            .clicked()
        {
            out.push(AppCommand::MarkAll);
        }
        // Last in the row, so that it appearing and going moves nothing.
        super::review_queue::progress_ui(ui, s, out);
    });
    if f != s.view.filter {
        out.push(AppCommand::SetFilter(f));
    }
}

/// The kind of control beside a label, for its width.
#[derive(Clone, Copy)]
enum Control {
    Combo,
    Range,
    Slider,
    /// A control of this width.
    Sized(f32),
}

/// The width of `text` laid out on one line in `style`.
fn text_width(ui: &egui::Ui, text: &str, style: egui::TextStyle) -> f32 {
    egui::WidgetText::from(text)
        .into_galley(ui, Some(egui::TextWrapMode::Extend), f32::INFINITY, style)
        .size()
        .x
}

/// The width of a combo box that shows any of `texts` without growing past it.
fn combo_width_for<'a>(ui: &egui::Ui, texts: impl IntoIterator<Item = &'a str>) -> f32 {
    let widest = texts
        .into_iter()
        .map(|t| text_width(ui, t, egui::TextStyle::Button))
        .fold(0.0, f32::max);
    let s = ui.spacing();
    (widest + s.icon_width + s.item_spacing.x + 2.0 * s.button_padding.x).ceil() + 2.0
}

/// Starts a new row of the wrapped bar unless `label` and its control fit on this one, so a
/// label never ends a row while its control starts the next.
fn fit(ui: &mut egui::Ui, label: &str, control: Control) {
    let text = text_width(ui, label, egui::TextStyle::Body);
    let spacing = ui.spacing();
    let control = match control {
        Control::Combo => spacing.combo_width + spacing.icon_width + 2.0 * spacing.button_padding.x,
        // "0.00 to 1.00": two drag values and a word.
        Control::Range => 2.0 * (spacing.interact_size.x + 2.0 * spacing.button_padding.x) + 40.0,
        Control::Slider => spacing.slider_width,
        Control::Sized(width) => width,
    };
    if ui.available_size_before_wrap().x < text + control + 2.0 * spacing.item_spacing.x {
        ui.end_row();
    }
}

fn problems_hover(s: &Session) -> String {
    let mut text = match s.jobs.control(JobKind::Scan) {
        Some(control) => {
            let p = control.progress();
            format!(
                "Checking images: {} {}/{}",
                control.stage(),
                p.num_done,
                p.num_total
            )
        }
        None => "Image checks done.".to_string(),
    };
    for n in &s.problems.label_notes {
        text.push_str(&format!("\nNote: {n}"));
    }
    text.push_str(
        "\nKeys: A accepts a suggested label, W excludes as watermark/text, D as duplicate.",
    );
    text
}

fn excluded_text(v: ExcludedView) -> &'static str {
    match v {
        ExcludedView::Hide => "Hidden",
        ExcludedView::Only => "Only excluded",
        ExcludedView::All => "Shown",
    }
}
