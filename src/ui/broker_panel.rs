//! The Broker panel: start/stop, where it listens, who may connect, and how it is doing.

use std::net::{IpAddr, Ipv4Addr};

use eframe::egui::{self, Color32, RichText};

use crate::engine::accounts::LearnerAccounts;
use crate::engine::settings::{self, BrokerSettings, SettingsError, TCP_PORT_LABEL, WS_PORT_LABEL};
use crate::engine::{BrokerStatus, Command, Listener, Snapshot};

use super::accounts::AccountsDialog;
use super::file_dialog::FilePurpose;
use super::format;
use crate::engine::accounts::sheet::SheetTarget;

const RUNNING_GREEN: Color32 = Color32::from_rgb(40, 170, 80);

/// A coloured dot before a state word, readable from the back of a classroom.
fn status_dot(ui: &mut egui::Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), size * 0.35, color);
}

/// What the user has typed; turned into settings only when valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerForm {
    pub open_to_network: bool,
    pub tcp_port: String,
    pub websocket: bool,
    pub ws_port: String,
    pub require_login: bool,
    pub username: String,
    pub password: String,
    /// No field of its own: kept from the settings the window started with (`--max-connections`).
    pub max_connections: Option<std::num::NonZeroU32>,
    /// No field of its own either: set by the Learner accounts dialog.
    pub learner_accounts: LearnerAccounts,
}

impl BrokerForm {
    pub fn from_settings(settings: &BrokerSettings) -> Self {
        Self {
            open_to_network: settings.is_open_to_network(),
            tcp_port: settings.tcp_port.to_string(),
            websocket: settings.ws_port.is_some(),
            ws_port: settings
                .ws_port
                .unwrap_or(settings::DEFAULT_WS_PORT)
                .to_string(),
            require_login: settings.credentials.is_some(),
            username: settings
                .credentials
                .as_ref()
                .map(|c| c.username.clone())
                .unwrap_or_default(),
            password: settings
                .credentials
                .as_ref()
                .map(|c| c.password.clone())
                .unwrap_or_default(),
            max_connections: settings.max_connections,
            learner_accounts: settings.learner_accounts.clone(),
        }
    }

    /// The settings this form describes, or every problem with it (one per field at most).
    pub fn to_settings(&self) -> Result<BrokerSettings, Vec<SettingsError>> {
        let mut errors = Vec::new();
        let tcp_port = settings::parse_port(TCP_PORT_LABEL, &self.tcp_port)
            .map_err(|e| errors.push(e))
            .ok();
        let ws_port = if self.websocket {
            settings::parse_port(WS_PORT_LABEL, &self.ws_port)
                .map_err(|e| errors.push(e))
                .ok()
        } else {
            None
        };
        let credentials = if self.require_login {
            settings::parse_credentials(&self.username, &self.password)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten()
                .or_else(|| {
                    if self.username.is_empty() && self.password.is_empty() {
                        errors.push(SettingsError::MissingUsername);
                    }
                    None
                })
        } else {
            None
        };
        let bind = if self.open_to_network {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        let Some(tcp_port) = tcp_port else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let settings = BrokerSettings {
            bind,
            tcp_port,
            ws_port,
            credentials,
            max_connections: self.max_connections,
            learner_accounts: self.learner_accounts.clone(),
        };
        settings.validate().map_err(|e| vec![e])?;
        Ok(settings)
    }
}

/// The panel's state across frames.
pub struct BrokerPanel {
    pub form: BrokerForm,
    /// Shown after a Start click on an invalid form; typing clears them once valid.
    errors: Vec<SettingsError>,
    /// The Learner accounts dialog, opened from this panel.
    pub accounts: AccountsDialog,
    /// File dialogs the accounts dialog asked for, until the window takes them.
    file_requests: Vec<FilePurpose>,
}

impl BrokerPanel {
    pub fn new(settings: &BrokerSettings) -> Self {
        Self {
            form: BrokerForm::from_settings(settings),
            errors: Vec::new(),
            accounts: AccountsDialog::default(),
            file_requests: Vec::new(),
        }
    }

    /// Draws the panel; returns the command a click asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) -> Option<Command> {
        let mut command = None;
        ui.heading("Broker");
        command = command.or(self.status_ui(ui, snapshot));
        ui.add_space(6.0);
        let running = matches!(snapshot.broker, BrokerStatus::Running(_));

        ui.horizontal(|ui| {
            if running {
                if ui.button("Stop").clicked() {
                    command = Some(Command::StopBroker);
                }
            } else if ui.button("Start").clicked() {
                command = self.validated().map(Command::StartBroker);
            }
            if let BrokerStatus::Running(info) = &snapshot.broker
                && let Ok(wanted) = self.form.to_settings()
                && wanted != info.settings
                && ui
                    .button("⟳ Apply")
                    .on_hover_text("Restart the broker with the settings below")
                    .clicked()
            {
                command = Some(Command::RestartBroker(wanted));
            }
        });
        ui.add_space(6.0);
        self.settings_ui(ui);
        command = self.learner_accounts_ui(ui, running).or(command);
        // Errors from a click stay until the form is valid again.
        if !self.errors.is_empty() && self.form.to_settings().is_ok() {
            self.errors.clear();
        }
        command
    }

    /// The "Learner accounts…" button, how many the broker takes, and the dialog itself; returns the
    /// restart that applying accounts to a running broker needs.
    fn learner_accounts_ui(&mut self, ui: &mut egui::Ui, running: bool) -> Option<Command> {
        ui.horizontal(|ui| {
            if ui
                .button("Learner accounts…")
                .on_hover_text("A user name and password for every learner, and a sheet to print")
                .clicked()
            {
                self.accounts.show(&self.form.learner_accounts);
            }
            if !self.form.learner_accounts.is_empty() {
                ui.label(self.form.learner_accounts.describe());
            }
        });
        if !self.form.learner_accounts.is_empty() && !self.form.require_login {
            ui.label(
                RichText::new(
                    "Learner accounts need \"Require a password\" with your own user name: turn it on, or clear the accounts.",
                )
                .color(ui.visuals().error_fg_color),
            );
        }
        let out = self.accounts.ui(ui.ctx(), &self.form.learner_accounts);
        self.file_requests.extend(out.files);
        let accounts = out.apply?;
        let mut form = self.form.clone();
        form.learner_accounts = accounts.clone();
        match form.to_settings() {
            Ok(settings) => {
                self.form = form;
                self.accounts.applied(ui.ctx(), &accounts);
                running.then_some(Command::RestartBroker(settings))
            }
            Err(errors) => {
                let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
                self.accounts.problem(text.join("; "));
                None
            }
        }
    }

    /// File dialogs the accounts dialog asked for since the last frame.
    pub fn take_file_requests(&mut self) -> Vec<FilePurpose> {
        std::mem::take(&mut self.file_requests)
    }

    /// The file the user chose for an accounts export or load; the sheet names the running broker's
    /// addresses and ports (or the form's, when it is stopped).
    pub fn accounts_file_chosen(
        &mut self,
        ctx: &egui::Context,
        purpose: FilePurpose,
        path: &std::path::Path,
        snapshot: &Snapshot,
    ) {
        let target = match &snapshot.broker {
            BrokerStatus::Running(info) => Ok(SheetTarget::new(
                info.settings.bind,
                info.tcp.port(),
                info.websocket.map(|w| w.port()),
            )),
            _ => self
                .form
                .to_settings()
                .map(|s| SheetTarget::new(s.bind, s.tcp_port, s.ws_port))
                .map_err(|errors| {
                    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    format!(
                        "The sheet needs the broker's address and port: {}",
                        text.join("; ")
                    )
                }),
        };
        self.accounts.file_chosen(ctx, purpose, path, target);
    }

    fn validated(&mut self) -> Option<BrokerSettings> {
        match self.form.to_settings() {
            Ok(settings) => {
                self.errors.clear();
                Some(settings)
            }
            Err(errors) => {
                self.errors = errors;
                None
            }
        }
    }

    fn status_ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) -> Option<Command> {
        let mut command = None;
        match &snapshot.broker {
            BrokerStatus::Running(info) => {
                ui.horizontal(|ui| {
                    status_dot(ui, RUNNING_GREEN);
                    ui.label(RichText::new("Running").color(RUNNING_GREEN).strong());
                    let uptime = info.started.elapsed();
                    ui.label(format!("for {}", format::duration(uptime)));
                    // Repaint when the uptime text changes, and not before: idle means idle.
                    ui.ctx()
                        .request_repaint_after(format::until_duration_changes(uptime));
                });
                egui::Grid::new("broker-figures")
                    .num_columns(2)
                    .show(ui, |ui| {
                        ui.label("MQTT port");
                        ui.monospace(info.tcp.to_string());
                        ui.end_row();
                        if let Some(ws) = info.websocket {
                            ui.label("WebSocket port");
                            ui.monospace(ws.to_string());
                            ui.end_row();
                        }
                        ui.label("Clients connected");
                        ui.strong(snapshot.clients.len().to_string());
                        ui.end_row();
                        ui.label("Messages/s in");
                        ui.strong(format::count(snapshot.messages_in_per_s));
                        ui.end_row();
                        ui.label("Messages/s out");
                        ui.strong(format::count(snapshot.messages_out_per_s));
                        ui.end_row();
                    });
            }
            BrokerStatus::Starting | BrokerStatus::Stopping => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(if snapshot.broker == BrokerStatus::Starting {
                        "Starting…"
                    } else {
                        "Stopping: disconnecting clients…"
                    });
                });
            }
            BrokerStatus::Stopped => {
                ui.horizontal(|ui| {
                    status_dot(ui, ui.visuals().weak_text_color());
                    ui.label(RichText::new("Stopped").strong());
                });
            }
            BrokerStatus::Failed(err) => {
                ui.horizontal(|ui| {
                    status_dot(ui, ui.visuals().error_fg_color);
                    ui.label(
                        RichText::new("Error")
                            .color(ui.visuals().error_fg_color)
                            .strong(),
                    );
                });
                ui.label(RichText::new(err.to_string()).color(ui.visuals().error_fg_color));
                if let Some((listener, port)) = err.free_alternative() {
                    let text = match listener {
                        Listener::Tcp => format!("Use port {port} instead"),
                        Listener::WebSocket => format!("Use WebSocket port {port} instead"),
                    };
                    if ui.button(text).clicked() {
                        match listener {
                            Listener::Tcp => self.form.tcp_port = port.to_string(),
                            Listener::WebSocket => self.form.ws_port = port.to_string(),
                        }
                        command = self.validated().map(Command::StartBroker);
                    }
                }
            }
        }
        command
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let form = &mut self.form;
        ui.label("Who can connect");
        ui.radio_value(
            &mut form.open_to_network,
            false,
            "This computer only (127.0.0.1)",
        );
        ui.radio_value(
            &mut form.open_to_network,
            true,
            "Open to my network (0.0.0.0)",
        );
        if form.open_to_network {
            let warning = if form.require_login {
                "Anyone on your network who knows the password can connect. Use this on networks you trust."
            } else {
                "Anyone on your network can connect, read and publish, without a password. Use this on networks you trust."
            };
            ui.label(
                RichText::new(warning)
                    .color(ui.visuals().warn_fg_color)
                    .small(),
            );
        }
        ui.add_space(4.0);
        egui::Grid::new("broker-settings")
            .num_columns(2)
            .show(ui, |ui| {
                let label = ui.label(TCP_PORT_LABEL);
                ui.add(egui::TextEdit::singleline(&mut form.tcp_port).desired_width(70.0))
                    .labelled_by(label.id);
                ui.end_row();
                let toggle = ui.checkbox(&mut form.websocket, WS_PORT_LABEL);
                ui.add_enabled(
                    form.websocket,
                    egui::TextEdit::singleline(&mut form.ws_port).desired_width(70.0),
                )
                .labelled_by(toggle.id);
                ui.end_row();
                ui.checkbox(&mut form.require_login, "Require a password");
                ui.end_row();
                if form.require_login {
                    let label = ui.label("User name");
                    ui.add(egui::TextEdit::singleline(&mut form.username).desired_width(140.0))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Password");
                    ui.add(
                        egui::TextEdit::singleline(&mut form.password)
                            .password(true)
                            .desired_width(140.0),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                }
            });
        for error in &self.errors {
            ui.label(RichText::new(error.to_string()).color(ui.visuals().error_fg_color));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::settings::SettingsField;

    #[test]
    fn the_form_round_trips_settings() {
        let settings = BrokerSettings::default();
        assert_eq!(
            BrokerForm::from_settings(&settings).to_settings(),
            Ok(settings)
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut form = BrokerForm::from_settings(&BrokerSettings::default());
        form.tcp_port = "abc".into();
        form.ws_port = "70000".into();
        form.require_login = true;
        form.username = "teacher".into();
        let errors = form.to_settings().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(
            fields,
            vec![
                SettingsField::TcpPort,
                SettingsField::WsPort,
                SettingsField::Password
            ]
        );
    }
}
