//! Keyboard-first review: arrows move the selection in the grid, Home/End, PageUp/PageDown,
//! Enter opens the detail view, Esc closes it, N/P jump to the next/previous misclassified
//! sample, `?` toggles the help overlay.

use egui::{Id, Key};

use super::commands::AppCommand;
use super::session::Session;
use crate::eval::Predicted;

/// Egui memory key where the gallery stores its (columns, visible rows).
pub fn grid_shape_id() -> Id {
    Id::unique("labelscope-grid-shape")
}

/// Keys `1`..`9`, `0`: class 1..10 (and the first reasons of the exclusion prompt).
pub const DIGIT_KEYS: [Key; 10] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
    Key::Num0,
];

/// The shortcut table shown in the help overlay and tooltips.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Arrow keys", "move the selection in the grid"),
    ("Home / End", "first / last sample"),
    ("PageUp / PageDown", "one screen up / down"),
    ("Enter", "open the detail view"),
    ("Esc", "close the detail view or this help"),
    ("N / P", "next / previous misclassified sample"),
    (
        "1 .. 9, 0",
        "relabel to class 1..10 (numbers in the True filter list)",
    ),
    (
        "L",
        "relabel by typing part of a label (any number of classes)",
    ),
    ("X", "exclude (asks the reason once per session)"),
    ("I", "include again"),
    ("T", "add a tag"),
    (
        "Q / Shift+Q",
        "next / previous sample of the review queue (most suspicious labels first)",
    ),
    (
        "A",
        "accept the suggested label (label issues, review queue)",
    ),
    ("W", "exclude as watermark/text"),
    ("D", "exclude as duplicate"),
    (
        "S",
        "show the samples most similar to the marked ones (else the selection)",
    ),
    ("M", "show the map of the embeddings, or the gallery again"),
    ("G", "show the samples as a table, or the gallery again"),
    ("Ctrl+click / Space", "mark or unmark a sample"),
    ("Shift+click", "mark a range"),
    ("Ctrl+A", "mark every sample of the filter"),
    ("Esc", "clear the marks (edits apply to marked samples)"),
    ("Ctrl+Z", "undo"),
    ("Ctrl+Shift+Z / Ctrl+Y", "redo"),
    ("?", "show or hide this help"),
    ("Ctrl+Q", "quit"),
];

/// Turns this frame's key presses into commands.
pub fn handle_keys(
    ctx: &egui::Context,
    session: Option<&Session>,
    detail_open: bool,
    help_open: bool,
    out: &mut Vec<AppCommand>,
) {
    if pressed_with(ctx, Key::Q).is_some_and(|m| m.command) {
        out.push(AppCommand::Quit);
        return;
    }
    if ctx.text_edit_focused() {
        return;
    }
    let pressed = |k: Key| ctx.input(|i| i.key_pressed(k));
    if pressed(Key::Questionmark) || (pressed(Key::Slash) && ctx.input(|i| i.modifiers.shift)) {
        out.push(AppCommand::ToggleHelp);
    }
    // One Esc, one thing: an open dropdown or menu takes it (it closes itself).
    if pressed(Key::Escape) && !egui::Popup::is_any_open(ctx) {
        out.push(if help_open {
            AppCommand::ToggleHelp
        } else if session.is_some_and(|s| !s.view.marked.is_empty()) {
            AppCommand::ClearMarks
        } else {
            AppCommand::CloseDetail
        });
        let _ = detail_open;
    }
    let Some(s) = session else { return };
    // Edit keys first: undo must work when the filter shows nothing (everything excluded).
    edit_keys(ctx, s, out);
    let n = s.view.order.len();
    if n == 0 {
        return;
    }
    let (cols, rows) = ctx
        .data(|d| d.get_temp::<(usize, usize)>(grid_shape_id()))
        .unwrap_or((1, 1));
    let cols = cols.max(1);
    let cur = s.view.cursor;
    let pos = cur.unwrap_or(0);
    let target = if pressed(Key::ArrowRight) {
        Some(if cur.is_some() { pos + 1 } else { 0 })
    } else if pressed(Key::ArrowLeft) {
        Some(pos.saturating_sub(1))
    } else if pressed(Key::ArrowDown) {
        Some(if cur.is_some() { pos + cols } else { 0 })
    } else if pressed(Key::ArrowUp) {
        Some(pos.saturating_sub(cols))
    } else if pressed(Key::Home) {
        Some(0)
    } else if pressed(Key::End) {
        Some(n - 1)
    } else if pressed(Key::PageDown) {
        Some(pos + cols * rows.max(1))
    } else if pressed(Key::PageUp) {
        Some(pos.saturating_sub(cols * rows.max(1)))
    } else if pressed(Key::N) {
        next_wrong(s, pos, cur.is_none(), true)
    } else if pressed(Key::P) {
        next_wrong(s, pos, false, false)
    } else {
        None
    };
    if let Some(t) = target {
        out.push(AppCommand::SelectPosition(t.min(n - 1)));
    }
    if pressed(Key::Enter) {
        out.push(AppCommand::OpenDetail);
    }
}

/// The modifiers held when `key` was pressed this frame, read from the key event itself: a
/// quick Ctrl+Z tap whose Ctrl is already released by the end of the frame still counts.
/// The modifiers `key` was pressed with this frame (as the key event carries them), if it was.
pub(crate) fn pressed_with(ctx: &egui::Context, key: Key) -> Option<egui::Modifiers> {
    ctx.input(|i| {
        i.events.iter().find_map(|e| match e {
            egui::Event::Key {
                key: k,
                pressed: true,
                modifiers,
                ..
            } if *k == key => Some(*modifiers),
            _ => None,
        })
    })
}

fn edit_keys(ctx: &egui::Context, s: &Session, out: &mut Vec<AppCommand>) {
    let with_command = |k: Key| pressed_with(ctx, k).filter(|m| m.command);
    if let Some(m) = with_command(Key::Z) {
        out.push(if m.shift {
            AppCommand::Redo
        } else {
            AppCommand::Undo
        });
        return;
    }
    if with_command(Key::Y).is_some() {
        out.push(AppCommand::Redo);
        return;
    }
    if with_command(Key::A).is_some() {
        out.push(AppCommand::MarkAll);
        return;
    }
    // Plain keys: pressed without Ctrl/Cmd (Ctrl+A must not also accept a suggestion).
    let pressed = |k: Key| pressed_with(ctx, k).is_some_and(|m| !m.command);
    if pressed(Key::Space)
        && let Some(pos) = s.view.cursor
    {
        out.push(AppCommand::ToggleMark(pos));
    }
    if pressed(Key::L) {
        out.push(AppCommand::AskRelabel);
    }
    if pressed(Key::T) {
        out.push(AppCommand::AskTag);
    }
    if pressed(Key::S) {
        out.push(AppCommand::ShowSimilar);
    }
    if pressed(Key::M) {
        out.push(AppCommand::ToggleView(crate::app::layout::CentralView::Map));
    }
    if pressed(Key::G) {
        out.push(AppCommand::ToggleView(
            crate::app::layout::CentralView::Table,
        ));
    }
    if let Some(m) = pressed_with(ctx, Key::Q).filter(|m| !m.command) {
        out.push(AppCommand::StepQueue { forward: !m.shift });
    }
    if pressed(Key::A) {
        out.push(AppCommand::AcceptSuggestion);
    }
    if pressed(Key::W) {
        out.push(AppCommand::ExcludeAs("watermark/text".into()));
    }
    if pressed(Key::D) {
        out.push(AppCommand::ExcludeAs("duplicate".into()));
    }
    for (k, key) in DIGIT_KEYS.iter().enumerate() {
        if k < s.ws.dataset.classes.len() && pressed(*key) {
            out.push(AppCommand::Relabel(crate::dataset::ClassId(k as u32)));
        }
    }
    if pressed(Key::X) {
        out.push(match &s.curation.exclude_reason {
            Some(r) => AppCommand::Exclude(r.clone()),
            None => AppCommand::AskExclude,
        });
    }
    if pressed(Key::I) {
        out.push(AppCommand::Include);
    }
}

/// Position of the next (or previous) misclassified sample in the gallery order.
pub fn next_wrong(s: &Session, from: usize, inclusive: bool, forward: bool) -> Option<usize> {
    let wrong = |pos: usize| {
        let i = s.view.order[pos];
        s.predictions
            .set
            .as_ref()
            .and_then(|p| p.prediction(i))
            .is_some_and(|p| {
                p.predicted
                    != Predicted::Class(super::sample_query::label_of(
                        &s.ws.dataset,
                        s.curation.truth(),
                        i,
                    ))
            })
    };
    if forward {
        let start = if inclusive { from } else { from + 1 };
        (start..s.view.order.len()).find(|&p| wrong(p))
    } else {
        (0..from).rev().find(|&p| wrong(p))
    }
}
