//! Which broker the fleet's devices connect to: the embedded one, or an external one the user types in.

use eframe::egui;

use crate::engine::fleet::{ExternalBroker, FleetCommand, FleetTarget};
use crate::engine::{BrokerStatus, Command, Snapshot};

use super::{DevicesOutput, DevicesPanel, labelled_text};

/// The target form: what the user typed for an external broker.
#[derive(Default)]
pub(super) struct TargetForm {
    external: bool,
    host: String,
    port: String,
    tls: bool,
    username: String,
    password: String,
    prefix: String,
    ca_file: String,
    error: Option<String>,
}

impl TargetForm {
    fn from_target(target: &FleetTarget) -> Self {
        match target {
            FleetTarget::Embedded => Self {
                port: "1883".into(),
                ..Self::default()
            },
            FleetTarget::External(ext) => Self {
                external: true,
                host: ext.host.clone(),
                port: ext.port.to_string(),
                tls: ext.tls,
                username: ext.username.clone().unwrap_or_default(),
                password: ext.password.clone().unwrap_or_default(),
                prefix: ext.client_id_prefix.clone(),
                ca_file: ext
                    .ca_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                error: None,
            },
        }
    }

    fn to_target(&self) -> Result<FleetTarget, String> {
        if !self.external {
            return Ok(FleetTarget::Embedded);
        }
        let port = self.port.trim().parse::<u16>().map_err(|_| {
            format!(
                "port \"{}\" is not a port: type 1 to 65535 (1883 for MQTT, 8883 for MQTT over TLS)",
                self.port.trim()
            )
        })?;
        let target = FleetTarget::External(ExternalBroker {
            host: self.host.trim().to_owned(),
            port,
            tls: self.tls,
            username: (!self.username.is_empty()).then(|| self.username.clone()),
            password: (!self.password.is_empty()).then(|| self.password.clone()),
            client_id_prefix: self.prefix.clone(),
            ca_file: (!self.ca_file.trim().is_empty()).then(|| self.ca_file.trim().into()),
        });
        target.validate().map_err(|e| e.to_string())?;
        Ok(target)
    }
}

impl DevicesPanel {
    pub(super) fn target_ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        out: &mut DevicesOutput,
    ) {
        let fleet = &snapshot.fleet;
        ui.horizontal_wrapped(|ui| {
            ui.label("Devices connect to:");
            ui.strong(match (&fleet.target, &snapshot.broker) {
                (FleetTarget::Embedded, BrokerStatus::Running(info)) => {
                    format!("the embedded broker ({})", info.tcp)
                }
                (target, _) => target.label(),
            });
            if self.target.is_none() && ui.button("Change…").clicked() {
                self.target = Some(TargetForm::from_target(&fleet.target));
            }
        });
        if let Some(note) = &fleet.target_note {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
        let Some(form) = &mut self.target else {
            return;
        };
        let mut close = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.external, false, "The embedded broker");
                ui.radio_value(&mut form.external, true, "An external broker");
            });
            if form.external {
                egui::Grid::new("external-target")
                    .num_columns(2)
                    .show(ui, |ui| {
                        labelled_text(ui, "Host", &mut form.host, "broker.example.com");
                        labelled_text(ui, "Port", &mut form.port, "1883");
                        ui.label("TLS");
                        ui.checkbox(&mut form.tls, "encrypt (usually port 8883)");
                        ui.end_row();
                        labelled_text(ui, "User name", &mut form.username, "optional");
                        let label = ui.label("Password");
                        ui.add(
                            egui::TextEdit::singleline(&mut form.password)
                                .password(true)
                                .hint_text("optional"),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                        labelled_text(ui, "Client id prefix", &mut form.prefix, "e.g. class-a-");
                        if form.tls {
                            labelled_text(
                                ui,
                                "CA certificate file",
                                &mut form.ca_file,
                                "optional: the broker's own CA (PEM)",
                            );
                        }
                    });
            }
            if let Some(error) = &form.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.horizontal(|ui| {
                if ui.button("Use this broker").clicked() {
                    match form.to_target() {
                        Ok(target) => {
                            out.commands
                                .push(Command::Fleet(FleetCommand::SetTarget(target)));
                            close = true;
                        }
                        Err(error) => form.error = Some(error),
                    }
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.target = None;
        }
    }
}
