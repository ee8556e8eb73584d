//! Presenter view's two themes: a high-contrast light one that survives a washed-out projector, and a
//! dark one with the same strong strokes; chosen in presenter view and remembered between runs.

use eframe::egui::{self, Color32, Stroke, Visuals};
use serde::{Deserialize, Serialize};

/// Which theme presenter view draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PresenterTheme {
    /// White background, near-black text: what most projectors show best.
    #[default]
    HighContrastLight,
    Dark,
}

impl PresenterTheme {
    pub const ALL: [PresenterTheme; 2] = [PresenterTheme::HighContrastLight, PresenterTheme::Dark];

    pub fn label(self) -> &'static str {
        match self {
            PresenterTheme::HighContrastLight => "High-contrast light",
            PresenterTheme::Dark => "High-contrast dark",
        }
    }

    /// The egui theme this one is drawn as.
    pub fn egui_theme(self) -> egui::Theme {
        match self {
            PresenterTheme::HighContrastLight => egui::Theme::Light,
            PresenterTheme::Dark => egui::Theme::Dark,
        }
    }

    pub fn visuals(self) -> Visuals {
        match self {
            PresenterTheme::HighContrastLight => high_contrast_light(),
            PresenterTheme::Dark => strong_dark(),
        }
    }

    /// Draws the window with this theme from the next frame on.
    pub fn apply(self, ctx: &egui::Context) {
        ctx.set_visuals_of(self.egui_theme(), self.visuals());
        ctx.set_theme(self.egui_theme());
    }
}

const INK: Color32 = Color32::from_rgb(12, 12, 12);
/// A saturated blue that stays blue when a projector washes pale colours out to white.
const STRONG_BLUE: Color32 = Color32::from_rgb(0, 70, 200);

/// Pure white ground, near-black text, 2-point strokes, a deep-blue selection with white text.
pub fn high_contrast_light() -> Visuals {
    let mut v = Visuals::light();
    v.panel_fill = Color32::WHITE;
    v.window_fill = Color32::WHITE;
    v.extreme_bg_color = Color32::WHITE;
    v.faint_bg_color = Color32::from_gray(236);
    v.code_bg_color = Color32::from_gray(225);
    v.window_stroke = Stroke::new(2.0, INK);
    v.weak_text_alpha = 0.85;
    v.hyperlink_color = STRONG_BLUE;
    v.warn_fg_color = Color32::from_rgb(170, 70, 0);
    v.error_fg_color = Color32::from_rgb(185, 0, 0);
    v.selection.bg_fill = STRONG_BLUE;
    v.selection.stroke = Stroke::new(2.0, Color32::WHITE);
    let w = &mut v.widgets;
    w.noninteractive.bg_fill = Color32::WHITE;
    w.noninteractive.weak_bg_fill = Color32::WHITE;
    w.noninteractive.bg_stroke = Stroke::new(1.5, Color32::from_gray(90));
    w.noninteractive.fg_stroke = Stroke::new(1.5, INK);
    w.inactive.bg_fill = Color32::from_gray(215);
    w.inactive.weak_bg_fill = Color32::from_gray(215);
    w.inactive.bg_stroke = Stroke::new(1.5, Color32::from_gray(60));
    w.inactive.fg_stroke = Stroke::new(1.5, INK);
    w.hovered.bg_fill = Color32::from_gray(190);
    w.hovered.weak_bg_fill = Color32::from_gray(190);
    w.hovered.bg_stroke = Stroke::new(2.0, INK);
    w.hovered.fg_stroke = Stroke::new(2.0, Color32::BLACK);
    w.active.bg_fill = Color32::from_gray(150);
    w.active.weak_bg_fill = Color32::from_gray(150);
    w.active.bg_stroke = Stroke::new(2.0, Color32::BLACK);
    w.open.bg_fill = Color32::from_gray(200);
    w.open.weak_bg_fill = Color32::from_gray(200);
    w.open.bg_stroke = Stroke::new(2.0, INK);
    w.open.fg_stroke = Stroke::new(1.5, Color32::BLACK);
    v
}

/// egui's dark look with a blacker ground, whiter text and stronger strokes and selection.
pub fn strong_dark() -> Visuals {
    let paper = Color32::from_gray(238);
    let mut v = Visuals::dark();
    v.panel_fill = Color32::from_gray(12);
    v.window_fill = Color32::from_gray(18);
    v.extreme_bg_color = Color32::BLACK;
    v.faint_bg_color = Color32::from_gray(32);
    v.window_stroke = Stroke::new(2.0, Color32::from_gray(200));
    v.weak_text_alpha = 0.85;
    v.hyperlink_color = Color32::from_rgb(110, 190, 255);
    v.selection.bg_fill = Color32::from_rgb(0, 100, 230);
    v.selection.stroke = Stroke::new(2.0, Color32::WHITE);
    let w = &mut v.widgets;
    w.noninteractive.bg_fill = Color32::from_gray(12);
    w.noninteractive.weak_bg_fill = Color32::from_gray(12);
    w.noninteractive.bg_stroke = Stroke::new(1.5, Color32::from_gray(150));
    w.noninteractive.fg_stroke = Stroke::new(1.5, paper);
    w.inactive.bg_fill = Color32::from_gray(55);
    w.inactive.weak_bg_fill = Color32::from_gray(55);
    w.inactive.bg_stroke = Stroke::new(1.5, Color32::from_gray(170));
    w.inactive.fg_stroke = Stroke::new(1.5, paper);
    w.hovered.bg_stroke = Stroke::new(2.0, Color32::WHITE);
    w.hovered.fg_stroke = Stroke::new(2.0, Color32::WHITE);
    w.active.fg_stroke = Stroke::new(2.0, Color32::WHITE);
    w.open.fg_stroke = Stroke::new(1.5, Color32::WHITE);
    v
}

/// WCAG's contrast ratio between two opaque colours (1 to 21), for the tests of these themes.
pub fn contrast_ratio(a: Color32, b: Color32) -> f32 {
    fn luminance(c: Color32) -> f32 {
        let channel = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_selection_stand_out_in_both_themes() {
        for theme in PresenterTheme::ALL {
            let v = theme.visuals();
            assert!(
                contrast_ratio(v.text_color(), v.panel_fill) >= 15.0,
                "{theme:?}: body text on the panel"
            );
            assert!(
                contrast_ratio(v.widgets.inactive.text_color(), v.widgets.inactive.bg_fill) >= 7.0,
                "{theme:?}: button text on a button"
            );
            assert!(
                contrast_ratio(v.selection.stroke.color, v.selection.bg_fill) >= 4.5,
                "{theme:?}: selected text on the selection"
            );
            assert!(
                contrast_ratio(v.selection.bg_fill, v.panel_fill) >= 3.0,
                "{theme:?}: the selection against the ground"
            );
        }
    }

    #[test]
    fn egui_s_own_light_theme_is_weaker_than_the_presenter_s() {
        let plain = Visuals::light();
        let strong = high_contrast_light();
        assert!(
            contrast_ratio(strong.text_color(), strong.panel_fill)
                > contrast_ratio(plain.text_color(), plain.panel_fill)
        );
        assert!(
            contrast_ratio(strong.selection.bg_fill, strong.panel_fill)
                > contrast_ratio(plain.selection.bg_fill, plain.panel_fill)
        );
    }
}
