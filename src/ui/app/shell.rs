//! The window's frame around the tabs: shortcuts, the Settings menu, the welcome card and the Help panel.

use eframe::egui;

use crate::engine::{Command, Snapshot};
use crate::ui::keyboard::{self, Shortcut};
use crate::ui::settings_menu::{self, SettingsAction, SettingsChoices};
use crate::ui::welcome::{self, WelcomeAction};

use super::{PlaygroundApp, Tab};

impl PlaygroundApp {
    /// Acts on this frame's shortcuts (before the panels draw, so they see the result this frame).
    pub(super) fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        for shortcut in keyboard::read(ctx, Tab::ALL.len(), self.tab == Tab::Messages) {
            match shortcut {
                Shortcut::Tab(index) => {
                    if let Some(tab) = Tab::ALL.get(index) {
                        self.tab = *tab;
                    }
                }
                Shortcut::FocusLogFilter => {
                    self.tab = Tab::Messages;
                    keyboard::request_log_filter_focus(ctx);
                }
                Shortcut::TogglePause => keyboard::request_pause_toggle(ctx),
                Shortcut::Help => self.help.open = !self.help.open,
                Shortcut::Presenter => {
                    let on = !self.presenter.is_on();
                    self.set_presenter(ctx, on);
                }
            }
        }
    }

    /// The Settings menu and the Help button, at the right of the title bar.
    pub(super) fn title_bar_menu(&mut self, ui: &mut egui::Ui) {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Help")
                .on_hover_text("Shortcuts and version (F1)")
                .clicked()
            {
                self.help.open = !self.help.open;
            }
            let action = settings_menu::ui(
                ui,
                SettingsChoices {
                    theme: &mut self.theme,
                    remember_password: &mut self.remember_password,
                    presenter_on: self.presenter.is_on(),
                    presenter_theme: self.presenter.theme,
                },
            );
            match action {
                Some(SettingsAction::ResetToDefaults) => self.reset_to_defaults(ui.ctx()),
                Some(SettingsAction::ShowWelcome) => self.welcome.visible = true,
                Some(SettingsAction::ShowHelp) => self.help.open = true,
                Some(SettingsAction::Presenter(on)) => self.set_presenter(ui.ctx(), on),
                Some(SettingsAction::PresenterTheme(theme)) => {
                    self.set_presenter_theme(ui.ctx(), theme)
                }
                None => {}
            }
            ui.separator();
            if self.presenter.title_bar_ui(ui) {
                self.set_presenter(ui.ctx(), false);
            }
            // At a projector's zoom the title bar has no room for them; leaving puts the panels back.
            if !self.presenter.is_on() {
                self.panels.toggles_ui(ui);
            }
        });
    }

    /// The floating windows: the welcome card and the Help panel.
    pub(super) fn shell_windows(
        &mut self,
        ctx: &egui::Context,
        snapshot: &Snapshot,
        commands: &mut Vec<Command>,
    ) {
        self.help.ui(ctx);
        match self.welcome.ui(ctx, snapshot) {
            Some(WelcomeAction::Start(index)) => {
                if let Some(scenario) = welcome::scenario_for(index) {
                    match scenario.start_commands() {
                        Ok(command) => {
                            commands.push(command);
                            self.activity.note_good(format!(
                                "started {}: {}",
                                scenario.label, scenario.what
                            ));
                            self.tab = Tab::Messages;
                            self.welcome.dismiss();
                        }
                        Err(err) => self.activity.note(err),
                    }
                }
            }
            Some(WelcomeAction::ShowConnect) => {
                self.show_connect = true;
                self.welcome.dismiss();
            }
            Some(WelcomeAction::Dismiss) => self.welcome.dismiss(),
            None => {}
        }
    }

    /// Shows the welcome card (the first run does; tests choose), or keeps it away for this run only
    /// (a window opened with --scenario or --tab knows what it wants) without dismissing it for good.
    pub fn with_welcome(mut self, visible: bool) -> Self {
        self.welcome.visible = visible;
        self
    }

    /// The tab on show.
    pub fn tab(&self) -> Tab {
        self.tab
    }
}
