//! How the window's width is shared: the metrics panel, the gallery (which keeps a least
//! width) and the detail view.

/// The gallery's least width: three columns of default thumbnails.
pub const GALLERY_MIN_WIDTH: f32 = 380.0;

/// What the user asked of the metrics panel with its toggle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetricsChoice {
    /// Shown when there is room for it beside the gallery and the detail view.
    #[default]
    Auto,
    /// Hidden.
    Hidden,
    /// Shown even beside the detail view in a narrow window (the detail view narrows).
    Shown,
}

/// How the side panels share a window `width` so the gallery keeps [`GALLERY_MIN_WIDTH`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanelLayout {
    /// Whether the metrics panel is shown (hidden by the user, or no room beside the detail).
    pub metrics: bool,
    /// Hidden for lack of room, not by choice.
    pub metrics_squeezed: bool,
    /// The metrics panel's widest.
    pub metrics_max: f32,
    /// The detail panel's first width and its widest.
    pub detail_default: f32,
    /// The detail panel's widest.
    pub detail_max: f32,
}

impl PanelLayout {
    /// The layout of a window `width` wide.
    pub fn of(width: f32, detail_open: bool, choice: MetricsChoice) -> Self {
        let detail_default = if detail_open {
            (width * 0.38).clamp(280.0, 440.0)
        } else {
            0.0
        };
        let room = width - detail_default - GALLERY_MIN_WIDTH;
        let squeezed = room < 300.0;
        if choice == MetricsChoice::Shown && squeezed && detail_open {
            // Asked for: the detail view gives up its width down to its least.
            let detail = 280.0;
            let metrics_max = (width - detail - GALLERY_MIN_WIDTH).max(240.0);
            return Self {
                metrics: true,
                metrics_squeezed: false,
                metrics_max,
                detail_default: detail,
                detail_max: (width - GALLERY_MIN_WIDTH - 240.0).max(detail),
            };
        }
        let hidden = choice == MetricsChoice::Hidden;
        Self {
            metrics: !hidden && !squeezed,
            metrics_squeezed: !hidden && squeezed,
            metrics_max: room.max(240.0),
            detail_default,
            detail_max: (width - GALLERY_MIN_WIDTH).max(280.0),
        }
    }
}

/// What the central area shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CentralView {
    /// The thumbnail gallery.
    #[default]
    Gallery,
    /// The samples as table rows.
    Table,
    /// Every sample's embedding in 2-D.
    Map,
    /// Device logs against the dataset, window by window.
    Monitor,
    /// The labelling batch, one image at a time.
    Label,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gallery_width(width: f32, l: &PanelLayout) -> f32 {
        let metrics = if l.metrics {
            430.0_f32.min(l.metrics_max)
        } else {
            0.0
        };
        width - metrics - l.detail_default
    }

    #[test]
    fn the_gallery_keeps_its_room_at_every_width() {
        for width in [1024.0, 1280.0, 1600.0, 1920.0] {
            for detail in [false, true] {
                let l = PanelLayout::of(width, detail, MetricsChoice::Auto);
                assert!(
                    gallery_width(width, &l) >= GALLERY_MIN_WIDTH,
                    "{width} px, detail {detail}: {l:?}"
                );
            }
        }
    }

    #[test]
    fn a_narrow_window_with_the_detail_view_hides_the_metrics_and_says_why() {
        let l = PanelLayout::of(1024.0, true, MetricsChoice::Auto);
        assert!(!l.metrics && l.metrics_squeezed);
        let l = PanelLayout::of(1024.0, false, MetricsChoice::Auto);
        assert!(l.metrics && !l.metrics_squeezed);
        let l = PanelLayout::of(1600.0, true, MetricsChoice::Auto);
        assert!(l.metrics);
        let l = PanelLayout::of(1600.0, true, MetricsChoice::Hidden);
        assert!(!l.metrics && !l.metrics_squeezed, "hidden by choice");
        // Asked for in a narrow window: shown, the detail view at its least, the gallery whole.
        let l = PanelLayout::of(1024.0, true, MetricsChoice::Shown);
        assert!(l.metrics && l.detail_default == 280.0);
        assert!(1024.0 - l.metrics_max - l.detail_default >= GALLERY_MIN_WIDTH);
    }
}
