//! The metrics panel's charts with axes, ticks and values on hover: the confidence histogram
//! (correct vs wrong; a click on a bar filters the gallery to that confidence range) and the
//! reliability diagram (accuracy per confidence bin against the diagonal).

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, pos2, vec2};

use super::super::commands::AppCommand;
use super::super::sample_query::Filter;
use crate::eval::ReliabilityBin;

const GREEN: Color32 = Color32::from_rgb(60, 160, 90);
const RED: Color32 = Color32::from_rgb(210, 70, 60);
const BLUE: Color32 = Color32::from_rgb(70, 120, 200);

/// A tick step of about a fifth of `max`: 1, 2 or 5 times a power of ten.
pub fn tick_step(max: f32) -> f32 {
    if max <= 0.0 {
        return 1.0;
    }
    let rough = max / 5.0;
    let pow = 10f32.powf(rough.log10().floor());
    let unit = rough / pow;
    let nice = if unit <= 1.0 {
        1.0
    } else if unit <= 2.0 {
        2.0
    } else if unit <= 5.0 {
        5.0
    } else {
        10.0
    };
    (nice * pow).max(1e-6)
}

/// The plot area of a chart `height` high, with room for the axes' labels; the frame and the
/// axes (x from 0 to 1 in fifths, y from 0 to `y_max` in nice steps) drawn, titled.
fn axes(
    ui: &mut egui::Ui,
    height: f32,
    y_max: f32,
    (x_title, y_title): (&str, &str),
    y_text: impl Fn(f32) -> String,
) -> (Rect, egui::Response) {
    let (outer, resp) = ui.allocate_exact_size(
        vec2(ui.available_width().min(400.0), height),
        Sense::click(),
    );
    let plot = Rect::from_min_max(
        pos2(outer.left() + 34.0, outer.top() + 14.0),
        pos2(outer.right() - 8.0, outer.bottom() - 28.0),
    );
    let painter = ui.painter();
    let weak = ui.visuals().weak_text_color();
    let grid = ui.visuals().faint_bg_color;
    painter.rect_filled(plot, 2.0, ui.visuals().extreme_bg_color);
    let font = FontId::proportional(9.5);
    let step = tick_step(y_max);
    let mut y = 0.0;
    while y <= y_max * 1.0001 {
        let py = plot.bottom() - plot.height() * y / y_max.max(1e-6);
        painter.line_segment(
            [pos2(plot.left(), py), pos2(plot.right(), py)],
            Stroke::new(1.0, grid),
        );
        painter.text(
            pos2(plot.left() - 4.0, py),
            Align2::RIGHT_CENTER,
            y_text(y),
            font.clone(),
            weak,
        );
        y += step;
    }
    for k in 0..=5 {
        let x = k as f32 / 5.0;
        let px = plot.left() + plot.width() * x;
        painter.line_segment(
            [pos2(px, plot.bottom()), pos2(px, plot.bottom() + 3.0)],
            Stroke::new(1.0, weak),
        );
        painter.text(
            pos2(px, plot.bottom() + 4.0),
            Align2::CENTER_TOP,
            format!("{x:.1}"),
            font.clone(),
            weak,
        );
    }
    painter.text(
        pos2(plot.center().x, outer.bottom()),
        Align2::CENTER_BOTTOM,
        x_title,
        font.clone(),
        weak,
    );
    painter.text(outer.left_top(), Align2::LEFT_TOP, y_title, font, weak);
    (plot, resp)
}

/// The bin of `n` equal bins over the plot's width under the pointer, if any.
fn hovered_bin(resp: &egui::Response, plot: Rect, n: usize) -> Option<usize> {
    let p = resp.hover_pos()?;
    (plot.x_range().contains(p.x) && plot.y_range().contains(p.y))
        .then(|| (((p.x - plot.left()) / plot.width() * n as f32) as usize).min(n - 1))
}

/// The confidence histogram: correct (green) under wrong (red) per bin.
pub fn histogram_ui(
    ui: &mut egui::Ui,
    bins: &[(u32, u32)],
    filter: &Filter,
    out: &mut Vec<AppCommand>,
) {
    ui.strong("Confidence histogram");
    ui.horizontal(|ui| {
        ui.colored_label(GREEN, "correct");
        ui.colored_label(RED, "wrong");
        ui.weak("· click a bar to see those samples");
    });
    let n = bins.len().max(1);
    let max = bins.iter().map(|b| b.0 + b.1).max().unwrap_or(1).max(1) as f32;
    let y_max = (max / tick_step(max)).ceil() * tick_step(max);
    let (plot, resp) = axes(ui, 140.0, y_max, ("confidence", "samples"), |y| {
        format!("{y:.0}")
    });
    let painter = ui.painter();
    let w = plot.width() / n as f32;
    let hovered = hovered_bin(&resp, plot, n);
    for (b, &(correct, wrong)) in bins.iter().enumerate() {
        let x = plot.left() + b as f32 * w;
        let hc = plot.height() * correct as f32 / y_max;
        let hw = plot.height() * wrong as f32 / y_max;
        let bar = |top: f32, bottom: f32, colour: Color32| {
            let colour = if hovered == Some(b) {
                colour.gamma_multiply(1.3)
            } else {
                colour
            };
            painter.rect_filled(
                Rect::from_min_max(pos2(x + 1.0, top), pos2(x + w - 1.0, bottom)),
                0.0,
                colour,
            );
        };
        bar(plot.bottom() - hc, plot.bottom(), GREEN);
        bar(plot.bottom() - hc - hw, plot.bottom() - hc, RED);
    }
    if let Some(b) = hovered {
        let (correct, wrong) = bins[b];
        let (lo, hi) = (b as f32 / n as f32, (b + 1) as f32 / n as f32);
        let total = correct + wrong;
        let share = if total > 0 {
            100.0 * wrong as f32 / total as f32
        } else {
            0.0
        };
        let resp = resp.clone().on_hover_text(format!(
            "confidence {lo:.2}-{hi:.2}: {correct} correct, {wrong} wrong ({share:.1}% wrong)\nclick to show these samples"
        ));
        if resp.clicked() {
            out.push(AppCommand::SetFilter(Filter {
                confidence: (lo, hi),
                ..filter.clone()
            }));
        }
    }
}

/// The main reliability diagram's title (it alone explains its marks).
pub const RELIABILITY: &str = "Reliability diagram";

/// The reliability diagram: accuracy per confidence bin (bars), each bin's mean confidence (a
/// dot), perfect calibration (the diagonal).
pub fn reliability_ui(ui: &mut egui::Ui, title: &str, bins: &[ReliabilityBin], ece: f64) {
    ui.strong(format!("{title} (ECE {ece:.4})"));
    if title == RELIABILITY {
        ui.weak(
            "Bars: accuracy per confidence bin · dots: mean confidence · diagonal: perfect calibration",
        );
    }
    let (plot, resp) = axes(ui, 180.0, 1.0, ("confidence", "accuracy"), |y| {
        format!("{y:.1}")
    });
    let painter = ui.painter();
    let n = bins.len().max(1);
    let w = plot.width() / n as f32;
    let hovered = hovered_bin(&resp, plot, n);
    for (k, b) in bins.iter().enumerate() {
        if b.count == 0 {
            continue;
        }
        let x = plot.left() + k as f32 * w;
        let colour = if hovered == Some(k) {
            BLUE.gamma_multiply(1.3)
        } else {
            BLUE
        };
        painter.rect_filled(
            Rect::from_min_max(
                pos2(x + 1.0, plot.bottom() - plot.height() * b.accuracy),
                pos2(x + w - 1.0, plot.bottom()),
            ),
            0.0,
            colour,
        );
        let dot = pos2(
            plot.left() + plot.width() * b.mean_confidence,
            plot.bottom() - plot.height() * b.mean_confidence,
        );
        painter.circle_filled(dot, 2.5, ui.visuals().strong_text_color());
    }
    painter.line_segment(
        [plot.left_bottom(), plot.right_top()],
        Stroke::new(1.0, ui.visuals().weak_text_color()),
    );
    if let Some(b) = hovered.and_then(|k| bins.get(k)) {
        let text = if b.count == 0 {
            format!("confidence {:.2}-{:.2}: no samples", b.lo, b.hi)
        } else {
            format!(
                "confidence {:.2}-{:.2}: {} samples, mean confidence {:.3}, accuracy {:.3} ({} by {:.3})",
                b.lo,
                b.hi,
                b.count,
                b.mean_confidence,
                b.accuracy,
                if b.mean_confidence > b.accuracy {
                    "over-confident"
                } else {
                    "under-confident"
                },
                (b.mean_confidence - b.accuracy).abs()
            )
        };
        resp.on_hover_text(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(1.0), 0.2);
        assert_eq!(tick_step(10.0), 2.0);
        assert_eq!(tick_step(37.0), 10.0);
        assert_eq!(tick_step(120.0), 50.0);
        assert_eq!(tick_step(1000.0), 200.0);
    }
}
