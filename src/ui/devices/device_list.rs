//! A running group's devices, one row each (laid out only where visible), with Kill and Reconnect.

use eframe::egui;

use crate::engine::Command;
use crate::engine::fleet::{DeviceState, FleetCommand, GroupStatus};

use super::{DevicesOutput, RUNNING};

pub(super) fn device_list_ui(ui: &mut egui::Ui, group: &GroupStatus, out: &mut DevicesOutput) {
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    egui::ScrollArea::vertical()
        .id_salt(("devices", group.id.0))
        .max_height(240.0)
        .show_rows(ui, row_height, group.devices.len(), |ui, rows| {
            for device in &group.devices[rows] {
                ui.horizontal(|ui| {
                    ui.monospace(format!("{:>5}", device.index));
                    ui.label(&device.client_id);
                    let color = match device.state {
                        DeviceState::Connected => RUNNING,
                        DeviceState::Killed | DeviceState::Reconnecting => ui.visuals().warn_fg_color,
                        _ => ui.visuals().weak_text_color(),
                    };
                    ui.colored_label(color, device.state.label());
                    let action = match device.state {
                        DeviceState::Connected | DeviceState::Connecting => Some((
                            format!("Kill {}", device.client_id),
                            "Cut its connection without DISCONNECT: the broker publishes its last will",
                            FleetCommand::Kill(group.id, device.index),
                        )),
                        DeviceState::Killed | DeviceState::Reconnecting => Some((
                            format!("Reconnect {}", device.client_id),
                            "Connect again now",
                            FleetCommand::Reconnect(group.id, device.index),
                        )),
                        _ => None,
                    };
                    if let Some((label, hint, command)) = action
                        && ui.small_button(label).on_hover_text(hint).clicked()
                    {
                        out.commands.push(Command::Fleet(command));
                    }
                    if let Some(error) = &device.last_error {
                        ui.weak(error);
                    }
                });
            }
        });
}
