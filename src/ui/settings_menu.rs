//! The Settings menu in the title bar: theme, zoom, remembering the password, Help, and Reset to defaults.

use eframe::egui;

use super::persisted::{Theme, ZOOM_RANGE};
use super::presenter::{self, PresenterTheme};

/// What the menu asked the app to do (theme and zoom it applies itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsAction {
    ResetToDefaults,
    ShowWelcome,
    ShowHelp,
    /// Presenter view on (true) or off.
    Presenter(bool),
    PresenterTheme(PresenterTheme),
}

/// The choices the menu edits in place.
pub struct SettingsChoices<'a> {
    pub theme: &'a mut Theme,
    pub remember_password: &'a mut bool,
    /// Whether presenter view is on, and its theme (the app switches them).
    pub presenter_on: bool,
    pub presenter_theme: PresenterTheme,
}

/// Draws the menu button; returns what was clicked.
pub fn ui(ui: &mut egui::Ui, choices: SettingsChoices<'_>) -> Option<SettingsAction> {
    let mut action = None;
    ui.menu_button("Settings", |ui| {
        ui.strong("Theme");
        for theme in Theme::ALL {
            if ui
                .radio_value(choices.theme, theme, theme.label())
                .changed()
            {
                ui.ctx().set_theme(theme.preference());
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let zoom = ui.ctx().zoom_factor();
            ui.label(format!("Zoom {:.0} %", zoom * 100.0));
            if ui.button("-").on_hover_text("Ctrl+-").clicked() {
                set_zoom(ui.ctx(), zoom - 0.1);
            }
            if ui.button("100 %").on_hover_text("Ctrl+0").clicked() {
                set_zoom(ui.ctx(), 1.0);
            }
            if ui.button("+").on_hover_text("Ctrl+=").clicked() {
                set_zoom(ui.ctx(), zoom + 0.1);
            }
        });
        ui.separator();
        let mut presenting = choices.presenter_on;
        if ui
            .checkbox(
                &mut presenting,
                format!("Presenter view ({})", presenter::SHORTCUT),
            )
            .on_hover_text(
                "For a projector: text at least 24 px tall at 1080p, side panels folded, a high-contrast theme and a big Connect-here card with a QR code",
            )
            .changed()
        {
            action = Some(SettingsAction::Presenter(presenting));
        }
        ui.horizontal(|ui| {
            ui.label("Presenter theme:");
            for theme in PresenterTheme::ALL {
                if ui
                    .selectable_label(choices.presenter_theme == theme, theme.label())
                    .clicked()
                {
                    action = Some(SettingsAction::PresenterTheme(theme));
                }
            }
        });
        ui.separator();
        ui.checkbox(choices.remember_password, "Remember the broker password")
            .on_hover_text(
                "Kept in plain text with the app's other settings on this computer; off, the password is never written down",
            );
        ui.separator();
        if ui.button("Show the welcome card").clicked() {
            action = Some(SettingsAction::ShowWelcome);
        }
        if ui.button("Help and keyboard shortcuts (F1)").clicked() {
            action = Some(SettingsAction::ShowHelp);
        }
        ui.separator();
        if ui
            .button("Reset to defaults")
            .on_hover_text(
                "Forget the remembered settings, subscriptions, plots, theme, zoom and window size; the running broker and devices are left alone",
            )
            .clicked()
        {
            action = Some(SettingsAction::ResetToDefaults);
        }
        if action.is_some() {
            ui.close();
        }
    });
    action
}

/// Sets the zoom, kept within what the layout can bear.
pub fn set_zoom(ctx: &egui::Context, zoom: f32) {
    ctx.set_zoom_factor(zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end()));
}
