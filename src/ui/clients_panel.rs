//! The Clients table: every connection the broker has, external or the app's own, updated live.

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::engine::Snapshot;

use super::format;

/// Draws the table; only the rows in view are laid out, so thousands of clients stay cheap.
pub fn ui(ui: &mut egui::Ui, snapshot: &Snapshot) {
    ui.horizontal(|ui| {
        ui.heading("Clients");
        ui.label(format!("({} connected)", snapshot.clients.len()));
    });
    if snapshot.clients.is_empty() {
        ui.add_space(8.0);
        ui.label("No clients yet. Use a snippet from \"Connect here\" to connect one.");
        return;
    }
    // The "Connected" column changes text on its own schedule; repaint exactly then.
    if let Some(next) = snapshot
        .clients
        .iter()
        .map(|c| format::until_duration_changes(c.connected_instant.elapsed()))
        .min()
    {
        ui.ctx().request_repaint_after(next);
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .auto_shrink([false, false])
        .column(Column::initial(220.0).at_least(100.0).clip(true))
        .column(Column::initial(150.0).at_least(90.0))
        .column(Column::initial(80.0))
        .column(Column::initial(90.0))
        .columns(Column::initial(80.0).at_least(60.0), 4)
        .header(row_height, |mut header| {
            for title in [
                "Client id",
                "Address",
                "Protocol",
                "Connected",
                "Msgs in",
                "Msgs out",
                "Bytes in",
                "Bytes out",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, snapshot.clients.len(), |mut row| {
                let Some(client) = snapshot.clients.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    if client.client_id.is_empty() {
                        ui.weak("(empty: assigned by the broker)");
                    } else {
                        format::client_text(ui, &client.client_id);
                    }
                });
                row.col(|ui| {
                    ui.monospace(client.peer.to_string());
                });
                row.col(|ui| {
                    let transport = match client.transport {
                        crate::engine::Transport::Tcp => "",
                        crate::engine::Transport::WebSocket => " ws",
                    };
                    ui.label(format!("{}{transport}", client.version.label()));
                });
                row.col(|ui| {
                    ui.label(format::duration(client.connected_instant.elapsed()));
                });
                for value in [client.messages_in, client.messages_out] {
                    row.col(|ui| {
                        ui.label(format::count(value));
                    });
                }
                for value in [client.bytes_in, client.bytes_out] {
                    row.col(|ui| {
                        ui.label(format::bytes(value));
                    });
                }
            });
        });
}
