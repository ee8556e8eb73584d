//! How far presenter view zooms: body text at least 24 physical pixels on a 1080-line projector,
//! and proportionally more on a taller one, so the room sees the same size whatever the projector.

use eframe::egui;

/// The smallest body text, in physical pixels, on a projector 1080 pixels tall.
pub const BODY_PX_AT_1080P: f32 = 24.0;

/// The projector height [`BODY_PX_AT_1080P`] is given for.
const REFERENCE_HEIGHT_PX: f32 = 1080.0;

/// The zoom factor that shows `body_points` (the Body text style's size) at least
/// [`BODY_PX_AT_1080P`] pixels tall, scaled up for monitors taller than 1080 pixels (never down: a
/// smaller or unknown monitor still gets the 1080p size).
///
/// `monitor_height_points` and `native_pixels_per_point` are what the window system reports
/// (egui's `ViewportInfo`), `None` when it does not say.
pub fn presenter_zoom(
    body_points: f32,
    monitor_height_points: Option<f32>,
    native_pixels_per_point: Option<f32>,
) -> f32 {
    let native = native_pixels_per_point
        .filter(|p| p.is_finite() && *p > 0.0)
        .unwrap_or(1.0);
    let monitor_px = monitor_height_points
        .filter(|h| h.is_finite() && *h > 0.0)
        .map_or(REFERENCE_HEIGHT_PX, |h| h * native);
    let body_px = BODY_PX_AT_1080P * (monitor_px / REFERENCE_HEIGHT_PX).max(1.0);
    let zoom = body_px / (body_points.max(1.0) * native);
    // Rounded up to the next hundredth, so the text is never a fraction of a pixel short.
    (zoom * 100.0).ceil() / 100.0
}

/// [`presenter_zoom`] for this window: its Body text size and the monitor it is on.
pub fn presenter_zoom_for(ctx: &egui::Context) -> f32 {
    let body = ctx.global_style().text_styles[&egui::TextStyle::Body].size;
    let (monitor, native) = ctx.input(|i| {
        let viewport = i.viewport();
        (
            viewport.monitor_size.map(|s| s.y),
            viewport.native_pixels_per_point,
        )
    });
    presenter_zoom(body, monitor, native)
}

/// The Body text's height in physical pixels as this window draws it now.
pub fn body_text_pixels(ctx: &egui::Context) -> f32 {
    ctx.global_style().text_styles[&egui::TextStyle::Body].size * ctx.pixels_per_point()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_px(body: f32, monitor: Option<f32>, native: Option<f32>) -> f32 {
        body * presenter_zoom(body, monitor, native) * native.unwrap_or(1.0)
    }

    #[test]
    fn body_text_is_at_least_24_px_on_a_1080p_projector() {
        // egui's default Body is 13 points.
        assert!(body_px(13.0, Some(1080.0), Some(1.0)) >= 24.0);
        assert!(body_px(13.0, Some(1080.0), Some(1.0)) < 24.5);
        assert!(body_px(12.5, None, None) >= 24.0, "unknown monitor: 1080p");
        // A HiDPI laptop (2 pixels per point) mirroring to a 1080p projector.
        assert!(body_px(13.0, Some(540.0), Some(2.0)) >= 24.0);
    }

    #[test]
    fn a_taller_monitor_gets_proportionally_taller_text_and_a_smaller_one_no_less() {
        assert!(body_px(13.0, Some(2160.0), Some(1.0)) >= 48.0);
        assert!(body_px(13.0, Some(1080.0), Some(2.0)) >= 48.0);
        assert!(body_px(13.0, Some(768.0), Some(1.0)) >= 24.0);
    }

    #[test]
    fn nonsense_from_the_window_system_falls_back_to_1080p() {
        assert_eq!(
            presenter_zoom(13.0, Some(f32::NAN), Some(0.0)),
            presenter_zoom(13.0, None, None)
        );
    }
}
