//! The same records as a plain table: time, direction, packet, what it said. Only visible rows are laid out.

use std::sync::Arc;

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::style::{packet_color, relative_time};
use crate::engine::trace::PacketRecord;

/// Draws the table; returns the record clicked, if any.
pub fn table_ui(
    ui: &mut egui::Ui,
    records: &[Arc<PacketRecord>],
    selected: Option<u64>,
) -> Option<u64> {
    let first = records.first().map(|r| r.time);
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("trace-table")
        .striped(true)
        .stick_to_bottom(true)
        .sense(egui::Sense::click())
        .column(Column::exact(90.0))
        .column(Column::exact(120.0))
        .column(Column::exact(110.0))
        .column(Column::remainder().clip(true))
        .header(20.0, |mut header| {
            for title in ["time", "direction", "packet", "details"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, records.len(), |mut row| {
                let Some(record) = records.get(row.index()) else {
                    return;
                };
                row.set_selected(selected == Some(record.seq));
                row.col(|ui| {
                    if let Some(first) = first {
                        ui.monospace(relative_time(record, first));
                    }
                });
                row.col(|ui| {
                    ui.label(match record.direction.as_str() {
                        "in" => "client -> broker",
                        _ => "broker -> client",
                    });
                });
                row.col(|ui| {
                    ui.label(RichText::new(record.packet).color(packet_color(record.packet)));
                });
                row.col(|ui| {
                    ui.label(&record.label);
                });
                if row.response().clicked() {
                    clicked = Some(record.seq);
                }
            });
        });
    clicked
}
