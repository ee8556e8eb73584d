//! The Help and About panel: the version, the keyboard shortcuts, and where things are kept.

use eframe::egui;

use super::keyboard;

#[derive(Debug, Default)]
pub struct HelpPanel {
    pub open: bool,
}

impl HelpPanel {
    pub fn ui(&mut self, ctx: &egui::Context) {
        let mut open = self.open;
        egui::Window::new("Help and About")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(460.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
            .show(ctx, |ui| {
                ui.heading(format!("MQTT Playground {}", env!("CARGO_PKG_VERSION")));
                ui.label(env!("CARGO_PKG_DESCRIPTION"));
                ui.add_space(6.0);
                ui.strong("Keyboard shortcuts");
                egui::Grid::new("help_shortcuts")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (keys, what) in keyboard::LISTED {
                            ui.monospace(keys);
                            ui.label(what);
                            ui.end_row();
                        }
                    });
                ui.label("On macOS, Cmd takes the place of Ctrl.");
                ui.add_space(6.0);
                ui.strong("Where things are kept");
                match eframe::storage_dir(crate::desktop::icon::APP_ID) {
                    Some(dir) => ui.label(format!(
                        "Settings, subscriptions, plots and the window's size: {}",
                        dir.display()
                    )),
                    None => ui.label(
                        "This system has no place for saved settings; nothing is remembered.",
                    ),
                };
                ui.label(
                    "Put the app in your desktop's menu: mqtt-playground install-desktop-entry \
                     (--remove takes it out again).",
                );
            });
        self.open = open;
    }
}
