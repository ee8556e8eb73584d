//! One device group's card: its run state and buttons, connection and message counts, its spec in a line.

use eframe::egui::{self, RichText};

use crate::engine::Command;
use crate::engine::fleet::{FleetCommand, GroupSpec, GroupStatus, RunState};
use crate::ui::format;

use super::device_list::device_list_ui;
use super::group_editor::{Editing, Editor};
use super::{DevicesOutput, DevicesPanel, PAUSED, RUNNING};

impl DevicesPanel {
    pub(super) fn group_ui(
        &mut self,
        ui: &mut egui::Ui,
        group: &GroupStatus,
        out: &mut DevicesOutput,
    ) {
        let id = group.id;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.heading(&group.spec.name);
                let (word, color) = match group.run {
                    RunState::Running => ("Running", RUNNING),
                    RunState::Paused => ("Paused", PAUSED),
                    RunState::Stopped => ("Stopped", ui.visuals().weak_text_color()),
                };
                ui.colored_label(color, RichText::new(word).strong());
                match group.run {
                    RunState::Stopped => {
                        if ui.button("Start group").clicked() {
                            out.commands
                                .push(Command::Fleet(FleetCommand::Start(Some(id))));
                        }
                    }
                    RunState::Running | RunState::Paused => {
                        if ui.button("Stop group").clicked() {
                            out.commands
                                .push(Command::Fleet(FleetCommand::Stop(Some(id))));
                        }
                        let paused = group.run == RunState::Paused;
                        if ui.button(if paused { "Resume" } else { "Pause" }).clicked() {
                            out.commands
                                .push(Command::Fleet(FleetCommand::Pause(id, !paused)));
                        }
                    }
                }
                if ui.button("Edit").clicked() {
                    self.editor = Some(Editor::new(Editing::Existing(id), &group.spec));
                }
                if ui.button("Remove").clicked() {
                    out.commands
                        .push(Command::Fleet(FleetCommand::RemoveGroup(id)));
                    if matches!(&self.editor, Some(e) if e.editing == Editing::Existing(id)) {
                        self.editor = None;
                    }
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "{} of {} connected",
                    group.connected, group.devices_total
                ));
                if group.connecting > 0 {
                    ui.weak(format!("· {} connecting", group.connecting));
                }
                if group.reconnecting > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("· {} reconnecting", group.reconnecting),
                    );
                }
                if group.killed > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("· {} killed", group.killed),
                    );
                }
                ui.separator();
                ui.label(format!(
                    "{} msg/s of {} target",
                    format::count(group.rate_per_s),
                    format_rate(group.target_rate)
                ));
                ui.separator();
                ui.label(format!("{} sent", format::count(group.sent)));
                if group.spec.qos > 0 {
                    ui.weak(format!(
                        "({} acknowledged)",
                        format::count(group.acknowledged)
                    ));
                }
                if group.skipped > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "{} skipped (broker slower than the pace)",
                            format::count(group.skipped)
                        ),
                    );
                }
                if group.errors > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("{} connection errors", format::count(group.errors)),
                    );
                }
            });
            ui.weak(format!(
                "{} publishes to {} · {} · QoS {}{} · MQTT {}",
                group.spec.client_id,
                group.spec.topic,
                pace_text(&group.spec),
                group.spec.qos,
                if group.spec.retain {
                    " · retained"
                } else {
                    ""
                },
                group.spec.protocol.label()
            ));
            if let Some(error) = &group.last_error {
                ui.colored_label(ui.visuals().warn_fg_color, format!("Last error: {error}"));
            }
            if group.run != RunState::Stopped {
                let shown = self.shown_devices.contains(&id);
                let label = if shown {
                    "Hide devices"
                } else {
                    "Show devices (kill, reconnect)"
                };
                if ui.small_button(label).clicked() {
                    if shown {
                        self.shown_devices.remove(&id);
                    } else {
                        self.shown_devices.insert(id);
                    }
                }
                if shown {
                    device_list_ui(ui, group, out);
                }
            }
        });
    }
}

fn pace_text(spec: &GroupSpec) -> String {
    let pace = spec
        .pace()
        .map(|p| p.describe())
        .unwrap_or_else(|e| e.to_string());
    if spec.jitter_percent > 0.0 {
        format!("{pace} ± {}%", spec.jitter_percent)
    } else {
        pace
    }
}

fn format_rate(rate: f64) -> String {
    if rate >= 10.0 {
        format::count(rate.round() as u64)
    } else {
        format!("{rate:.2}")
    }
}
