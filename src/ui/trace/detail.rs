//! Every field of one packet record, as a grid (the diagram's hover and the selected packet).

use eframe::egui::{self, RichText};

use crate::engine::trace::PacketRecord;
use crate::engine::watch::rfc3339::format_utc_millis;

/// Draws a record's fields.
pub fn fields_ui(ui: &mut egui::Ui, record: &PacketRecord) {
    ui.label(RichText::new(&record.label).strong());
    egui::Grid::new(("trace-fields", record.seq))
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            row(ui, "time", &format_utc_millis(record.time));
            row(ui, "client", &record.client);
            let direction = match record.direction.as_str() {
                "in" => "in (client -> broker)",
                _ => "out (broker -> client)",
            };
            row(ui, "direction", direction);
            row(ui, "packet", record.packet);
            for (name, value) in &record.fields {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                row(ui, name, &text);
            }
        });
}

fn row(ui: &mut egui::Ui, name: &str, value: &str) {
    ui.label(RichText::new(name).weak());
    ui.label(value);
    ui.end_row();
}
