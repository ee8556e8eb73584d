//! A logged message's MQTT 5 properties, as its publisher sent them, looked up in the protocol trace
//! (the Messages tab's detail draws this under the message).

use std::sync::Arc;
use std::time::SystemTime;

use eframe::egui;

use crate::engine::trace::{PacketRecord, TraceAccess, find_publish};

/// The PUBLISH fields that are MQTT 5 properties.
const PROPERTIES: [&str; 7] = [
    "user_properties",
    "message_expiry_s",
    "content_type",
    "response_topic",
    "correlation_data",
    "topic_alias",
    "payload_format_utf8",
];

/// What a lookup was for: topic, payload size, arrival, and the trace's version then.
type Lookup = (String, usize, SystemTime, u64);

/// A drawer for the Messages tab's detail: the properties of the message's PUBLISH, if traced.
pub fn message_properties(trace: TraceAccess) -> crate::ui::messages::MoreDetail {
    // Looked up again only when the message or the trace changes, not every frame.
    let mut cache: Option<(Lookup, Option<Arc<PacketRecord>>)> = None;
    Box::new(
        move |ui: &mut egui::Ui, topic: &str, size: usize, received| {
            let key = (
                topic.to_owned(),
                size,
                received,
                trace.read(|s| s.version()),
            );
            let found = match &cache {
                Some((k, found)) if *k == key => found.clone(),
                _ => {
                    let found = find_publish(&trace.all_records(), topic, size, received);
                    cache = Some((key, found.clone()));
                    found
                }
            };
            ui.add_space(4.0);
            let Some(publish) = found else {
                ui.label(
                    egui::RichText::new(
                        "MQTT 5 properties: not traced (tick \"Record every client\" on the Trace tab to see them).",
                    )
                    .weak(),
                );
                return;
            };
            let present: Vec<_> = PROPERTIES
                .iter()
                .filter_map(|name| publish.field(name).map(|v| (*name, v)))
                .collect();
            if present.is_empty() {
                ui.label(format!(
                    "MQTT 5 properties: none (published by {}).",
                    publish.client
                ));
                return;
            }
            ui.label(egui::RichText::new("MQTT 5 properties").strong());
            egui::Grid::new("message-properties")
                .num_columns(2)
                .show(ui, |ui| {
                    for (name, value) in present {
                        ui.label(name);
                        ui.label(match value {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        });
                        ui.end_row();
                    }
                });
        },
    )
}
