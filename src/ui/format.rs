//! Small text formatters shared by the panels: durations, byte counts, rates, client text.

use std::time::Duration;

use eframe::egui;

use crate::engine::display_text::{self, HOVER_CHARS, INLINE_CHARS};

/// Shows text a client chose (an id, a username, a topic) on one line: control and bidi characters
/// escaped, cut with an ellipsis; the whole escaped value on hover when something was cut or escaped.
pub fn client_text(ui: &mut egui::Ui, text: &str) -> egui::Response {
    let shown = display_text::clipped(text, INLINE_CHARS);
    let changed = shown != text;
    let response = ui.add(egui::Label::new(shown.as_ref()).truncate());
    if changed {
        response.on_hover_text(display_text::clipped(text, HOVER_CHARS))
    } else {
        response
    }
}

/// "42s", then whole minutes "3 min", then "2h 05m": past the first minute, seconds would only
/// cost a repaint every second (10% of a core on a software renderer) for nothing a class needs.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{} min", s / 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// How long until [`duration`]'s text for `d` changes: the moment to repaint, and no sooner.
pub fn until_duration_changes(d: Duration) -> Duration {
    let unit = if d.as_secs() < 60 { 1_000 } else { 60_000 };
    let elapsed_ms = d.as_millis() as u64;
    Duration::from_millis(unit - elapsed_ms % unit)
}

/// "512 B", "1.5 kB", "12.3 MB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Thousands separated by commas, readable on a projector: "12,345".
pub fn count(n: u64) -> String {
    crate::engine::display_text::thousands(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_naturally() {
        assert_eq!(duration(Duration::from_secs(42)), "42s");
        assert_eq!(duration(Duration::from_secs(187)), "3 min");
        assert_eq!(
            until_duration_changes(Duration::from_millis(42_300)),
            Duration::from_millis(700)
        );
        assert_eq!(
            until_duration_changes(Duration::from_millis(187_000)),
            Duration::from_secs(53)
        );
        assert_eq!(duration(Duration::from_secs(7500)), "2h 05m");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1500), "1.5 kB");
        assert_eq!(bytes(12_300_000), "12.3 MB");
        assert_eq!(count(7), "7");
        assert_eq!(count(12345), "12,345");
        assert_eq!(count(1234567), "1,234,567");
    }
}
