//! The window's side of presenter view: applying the switch each frame, the Connect-here card's
//! panel, and what tests read back.

use eframe::egui;

use crate::engine::Snapshot;
use crate::ui::layout::PanelsShown;
use crate::ui::presenter::{Presenter, PresenterTheme};

use super::PlaygroundApp;

impl PlaygroundApp {
    /// Opens the window in presenter view (`--presenter`); applied on the first frame, when the
    /// monitor's size is known.
    pub fn with_presenter(mut self, on: bool) -> Self {
        self.presenter.request(on);
        self
    }

    /// Presenter view on or off (the F5 key, the Settings menu, the title bar's Leave button).
    pub fn set_presenter(&mut self, ctx: &egui::Context, on: bool) {
        self.presenter.set(ctx, on, &mut self.panels, self.theme);
    }

    pub(super) fn set_presenter_theme(&mut self, ctx: &egui::Context, theme: PresenterTheme) {
        self.presenter.set_theme(ctx, theme);
    }

    /// At the start of a frame: a switch asked for before the window had a frame.
    pub(super) fn presenter_frame(&mut self, ctx: &egui::Context) {
        self.presenter
            .apply_pending(ctx, &mut self.panels, self.theme);
    }

    /// The Connect-here card along the right edge while presenter view is on (before the central panel).
    pub(super) fn presenter_panel(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) {
        if !self.presenter.is_on() {
            return;
        }
        let card = &mut self.presenter.card;
        egui::Panel::right("presenter_connect")
            .frame(crate::ui::panel_frame::side(ui.style()))
            .default_size(360.0)
            // Wide enough for the QR code and an address in large type whatever the window was.
            .min_size(320.0)
            .resizable(true)
            .show_collapsible(ui, &mut self.presenter.card_shown, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| card.ui(ui, snapshot));
            });
    }

    /// Presenter view's state (for tests).
    pub fn presenter(&self) -> &Presenter {
        &self.presenter
    }

    /// Which side panels are unfolded (for tests).
    pub fn panels_shown(&self) -> PanelsShown {
        self.panels
    }
}
