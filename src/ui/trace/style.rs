//! How the trace draws a packet: its colour and a short time text, shared by the diagram and the table.

use std::time::{Duration, SystemTime};

use eframe::egui::Color32;

use crate::engine::trace::{CONNECTION_END, MALFORMED, PacketRecord};

/// The colour of a packet's arrow and name.
pub fn packet_color(packet: &str) -> Color32 {
    match packet {
        "PUBLISH" => Color32::from_rgb(40, 110, 220),
        "PUBACK" | "PUBREC" | "PUBREL" | "PUBCOMP" => Color32::from_rgb(30, 150, 80),
        "CONNECT" | "CONNACK" | "DISCONNECT" | "AUTH" => Color32::from_rgb(140, 70, 190),
        "SUBSCRIBE" | "SUBACK" | "UNSUBSCRIBE" | "UNSUBACK" => Color32::from_rgb(210, 120, 20),
        "PINGREQ" | "PINGRESP" => Color32::GRAY,
        MALFORMED => Color32::from_rgb(210, 40, 40),
        CONNECTION_END => Color32::from_rgb(170, 60, 60),
        _ => Color32::GRAY,
    }
}

/// Seconds since the first record shown, e.g. `+12.345 s`.
pub fn relative_time(record: &PacketRecord, first: SystemTime) -> String {
    let since = record
        .time
        .duration_since(first)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64();
    format!("+{since:.3} s")
}

/// A gap between two records long enough to be compressed in the diagram, in words.
pub fn gap_text(before: &PacketRecord, after: &PacketRecord) -> Option<String> {
    let gap = after.time.duration_since(before.time).ok()?;
    (gap >= GAP).then(|| format!("{} later", humantime::format_duration(round(gap))))
}

/// Gaps at least this long are drawn compressed (a break in the lifelines), not to scale.
pub const GAP: Duration = Duration::from_secs(2);

fn round(gap: Duration) -> Duration {
    if gap >= Duration::from_secs(60) {
        Duration::from_secs(gap.as_secs())
    } else {
        Duration::from_millis(gap.as_millis() as u64 / 100 * 100)
    }
}

/// Text cut to `max` characters with an ellipsis, for labels that must fit.
pub fn elide(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
