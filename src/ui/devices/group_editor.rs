//! The device-group editor: the form, a live preview of three payloads, last will and birth message.

use std::time::SystemTime;

use eframe::egui::{self, RichText};

use crate::engine::Command;
use crate::engine::fleet::{FleetCommand, GroupError, GroupField, GroupId, GroupSpec, MqttVersion};
use crate::engine::template::{PayloadFormat, RenderContext};
use crate::ui::group_form::{FixedForm, GroupForm, PaceMode};

use super::{DevicesOutput, labelled_text};

/// Which group the editor works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Editing {
    New,
    Existing(GroupId),
}

pub(super) struct Editor {
    pub(super) editing: Editing,
    form: GroupForm,
    /// The form's last check: the spec, or the first problem.
    checked: Result<GroupSpec, GroupError>,
    /// Three sample payloads for the preview (empty while the template has an error).
    samples: Vec<String>,
}

impl Editor {
    pub(super) fn new(editing: Editing, spec: &GroupSpec) -> Self {
        let mut editor = Self {
            editing,
            form: GroupForm::from_spec(spec),
            checked: Ok(spec.clone()),
            samples: Vec::new(),
        };
        editor.recheck();
        editor
    }

    /// Checks the form and renders the preview; called only when the text changed.
    fn recheck(&mut self) {
        self.checked = self.form.to_spec();
        self.samples = match &self.checked {
            Ok(spec) => match spec.compile() {
                Ok(compiled) => {
                    let client_id = compiled.client_id.expand(&compiled.spec.name, 1, "");
                    let now = SystemTime::now();
                    compiled
                        .payload
                        .preview(compiled.spec.seed, 3, |i| RenderContext {
                            device_index: 1,
                            group: &compiled.spec.name,
                            client_id: &client_id,
                            elapsed: compiled.pace.interval().mul_f64(i as f64),
                            // Samples a pace apart, as the device would send them.
                            now: now + compiled.pace.interval().mul_f64(i as f64),
                        })
                }
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
    }
}

/// Draws the editor; true when it should close.
pub(super) fn editor_ui(ui: &mut egui::Ui, editor: &mut Editor, out: &mut DevicesOutput) -> bool {
    let mut close = false;
    let before = editor.form.clone();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.heading(match editor.editing {
            Editing::New => "New device group",
            Editing::Existing(_) => "Edit device group",
        });
        let form = &mut editor.form;
        egui::Grid::new("group-editor")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                labelled_text(ui, "Group name", &mut form.name, "sensors");
                labelled_text(ui, "Devices", &mut form.count, "1 to 10000");
                labelled_text(ui, "Client id pattern", &mut form.client_id, "{group}-{n}");
                labelled_text(
                    ui,
                    "Topic pattern",
                    &mut form.topic,
                    "site/{group}/device-{n}/temperature",
                );
                ui.label("Pace");
                ui.horizontal(|ui| {
                    let every = ui.radio_value(&mut form.pace_mode, PaceMode::Every, "every");
                    if form.pace_mode == PaceMode::Every {
                        ui.add(egui::TextEdit::singleline(&mut form.every).desired_width(70.0))
                            .labelled_by(every.id);
                    }
                    let rate = ui.radio_value(
                        &mut form.pace_mode,
                        PaceMode::Rate,
                        "messages/s per device",
                    );
                    if form.pace_mode == PaceMode::Rate {
                        ui.add(egui::TextEdit::singleline(&mut form.rate).desired_width(70.0))
                            .labelled_by(rate.id);
                    }
                });
                ui.end_row();
                labelled_text(ui, "Jitter (%)", &mut form.jitter, "0 to 100");
                ui.label("QoS");
                ui.horizontal(|ui| {
                    for q in 0..=2u8 {
                        ui.radio_value(&mut form.qos, q, q.to_string());
                    }
                    ui.checkbox(&mut form.retain, "retain");
                });
                ui.end_row();
                ui.label("Protocol");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut form.protocol, MqttVersion::V311, "MQTT 3.1.1");
                    ui.radio_value(&mut form.protocol, MqttVersion::V5, "MQTT 5");
                    ui.checkbox(&mut form.clean_session, "clean session");
                });
                ui.end_row();
                labelled_text(ui, "Keep-alive (s)", &mut form.keep_alive, "30");
                labelled_text(ui, "Random seed", &mut form.seed, "1");
            });
        ui.horizontal(|ui| {
            ui.label("Payload");
            ui.radio_value(&mut form.format, PayloadFormat::Json, "JSON");
            ui.radio_value(&mut form.format, PayloadFormat::Text, "Text");
            ui.weak(
                "generators: counter, int, float, sine, walk, choice, bool, timestamp, index, uuid",
            );
        });
        let payload_label = ui.label("Payload template");
        ui.add(
            egui::TextEdit::multiline(&mut form.payload)
                .code_editor()
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(payload_label.id);
        // The preview sits right under the template, so typing shows its effect at once.
        ui.label(RichText::new("Preview (device 1, three messages)").strong());
        match &editor.checked {
            Ok(_) => {
                for sample in &editor.samples {
                    ui.monospace(sample);
                }
            }
            Err(error) => {
                ui.colored_label(ui.visuals().error_fg_color, error.to_string());
                if error.field == GroupField::Payload {
                    ui.weak("The group cannot be added or started until the template is fixed.");
                }
            }
        }
        let form = &mut editor.form;
        fixed_message_ui(
            ui,
            "Last will (published by the broker when a device is lost)",
            "will",
            &mut form.will,
        );
        fixed_message_ui(
            ui,
            "Birth message (published on every connect)",
            "birth",
            &mut form.birth,
        );
        ui.horizontal(|ui| {
            let valid = editor.checked.is_ok();
            let label = match editor.editing {
                Editing::New => "Add this group",
                Editing::Existing(_) => "Apply",
            };
            if ui.add_enabled(valid, egui::Button::new(label)).clicked()
                && let Ok(spec) = &editor.checked
            {
                out.commands.push(Command::Fleet(match editor.editing {
                    Editing::New => FleetCommand::AddGroup(spec.clone()),
                    Editing::Existing(id) => FleetCommand::UpdateGroup(id, spec.clone()),
                }));
                close = true;
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if editor.form != before {
        editor.recheck();
    }
    close
}

fn fixed_message_ui(ui: &mut egui::Ui, title: &str, salt: &str, form: &mut FixedForm) {
    ui.checkbox(&mut form.enabled, title);
    if form.enabled {
        egui::Grid::new(("fixed", salt))
            .num_columns(2)
            .show(ui, |ui| {
                labelled_text(ui, &format!("{salt} topic"), &mut form.topic, "…/status");
                labelled_text(ui, &format!("{salt} payload"), &mut form.payload, "offline");
                ui.label(format!("{salt} QoS"));
                ui.horizontal(|ui| {
                    for q in 0..=2u8 {
                        ui.radio_value(&mut form.qos, q, q.to_string());
                    }
                    ui.checkbox(&mut form.retain, "retain");
                });
                ui.end_row();
            });
    }
}
