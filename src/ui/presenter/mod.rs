//! Presenter view: one toggle (F5, the Settings menu, `--presenter`) that zooms the window for a
//! projector, folds the side panels away, switches to a high-contrast theme and shows a big
//! Connect-here card with a QR code; leaving puts the user's zoom, panels and theme back.

pub mod card;
pub mod qr;
pub mod theme;
pub mod zoom;

use eframe::egui;

use super::layout::PanelsShown;
use super::persisted::Theme;

pub use card::{ConnectDetails, PresenterCard};
pub use theme::PresenterTheme;

/// The keys that toggle presenter view (the slide-show key of presentation programs).
pub const SHORTCUT: &str = "F5";

/// What presenter view changed, to put back on leaving.
#[derive(Debug, Clone, PartialEq)]
struct Before {
    zoom: f32,
    panels: PanelsShown,
    /// egui's light and dark looks as they were (presenter view replaces one of them).
    light: egui::Visuals,
    dark: egui::Visuals,
}

/// Presenter view's state.
#[derive(Default)]
pub struct Presenter {
    /// `Some` while presenter view is on: what to put back.
    before: Option<Before>,
    /// A switch asked for before a frame could apply it (`--presenter` at start).
    pending: Option<bool>,
    pub theme: PresenterTheme,
    /// Whether the Connect-here card is unfolded (on each time presenter view starts).
    pub card_shown: bool,
    pub card: PresenterCard,
}

impl Presenter {
    pub fn is_on(&self) -> bool {
        self.before.is_some()
    }

    /// Asks for presenter view on or off from the next frame (when the monitor's size is known).
    pub fn request(&mut self, on: bool) {
        self.pending = Some(on);
    }

    /// Applies a pending switch; call at the start of each frame, before the panels draw.
    pub fn apply_pending(&mut self, ctx: &egui::Context, panels: &mut PanelsShown, theme: Theme) {
        if let Some(on) = self.pending.take() {
            self.set(ctx, on, panels, theme);
        }
    }

    /// Turns presenter view on or off now. `panels` are the window's side panels; `theme` is the
    /// user's own theme, put back on leaving.
    pub fn set(&mut self, ctx: &egui::Context, on: bool, panels: &mut PanelsShown, theme: Theme) {
        match (on, self.before.take()) {
            (true, None) => {
                self.before = Some(Before {
                    zoom: ctx.zoom_factor(),
                    panels: *panels,
                    light: ctx.style_of(egui::Theme::Light).visuals.clone(),
                    dark: ctx.style_of(egui::Theme::Dark).visuals.clone(),
                });
                *panels = PanelsShown {
                    broker_column: false,
                    activity: false,
                };
                self.card_shown = true;
                ctx.set_zoom_factor(zoom::presenter_zoom_for(ctx));
                self.theme.apply(ctx);
            }
            (false, Some(before)) => {
                *panels = before.panels;
                ctx.set_zoom_factor(before.zoom);
                ctx.set_visuals_of(egui::Theme::Light, before.light);
                ctx.set_visuals_of(egui::Theme::Dark, before.dark);
                ctx.set_theme(theme.preference());
            }
            // Already as asked.
            (_, before) => self.before = before,
        }
    }

    /// Chooses presenter view's theme (applied at once when presenter view is on).
    pub fn set_theme(&mut self, ctx: &egui::Context, theme: PresenterTheme) {
        self.theme = theme;
        if self.is_on() {
            theme.apply(ctx);
        }
    }

    /// The zoom to remember between runs: the user's own, not presenter view's.
    pub fn zoom_to_remember(&self, ctx: &egui::Context) -> f32 {
        self.before
            .as_ref()
            .map_or_else(|| ctx.zoom_factor(), |b| b.zoom)
    }

    /// The title bar's part while presenter view is on: the card's toggle and the way out.
    /// Returns true when the presenter asked to leave.
    pub fn title_bar_ui(&mut self, ui: &mut egui::Ui) -> bool {
        if !self.is_on() {
            return false;
        }
        let leave = ui
            .button("Leave presenter view")
            .on_hover_text(format!(
                "Back to your own zoom, panels and theme ({SHORTCUT})"
            ))
            .clicked();
        ui.toggle_value(&mut self.card_shown, "Connect here")
            .on_hover_text("Show or hide the big Connect-here card with the QR code");
        leave
    }
}
