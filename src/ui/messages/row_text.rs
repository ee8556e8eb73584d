//! One log row's text, formatted once: the clock time, the payload preview, and the marks every font can draw.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::engine::watch::{LoggedMessage, ViewAs, preview};

use crate::ui::format;

/// Characters of payload in a table row; more would never fit on screen.
const PREVIEW_CHARS: usize = 160;

/// `HH:MM:SS.mmm` in UTC (the log's time column).
pub(crate) fn clock_time(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        since_epoch.subsec_millis()
    )
}

/// Swaps the marks payload views use for line breaks (⏎) and undecodable bytes (U+FFFD) for ones
/// every bundled font can draw (`\n` and `?`), so no row shows an empty box.
pub(crate) fn displayable(text: String) -> String {
    if text.contains(['\u{23CE}', '\u{FFFD}']) {
        text.replace('\u{23CE}', "\\n").replace('\u{FFFD}', "?")
    } else {
        text
    }
}

/// One table row's text, formatted once.
#[derive(Clone)]
pub(super) struct RowText {
    pub(super) time: String,
    pub(super) topic: Arc<str>,
    pub(super) qos: u8,
    pub(super) retain: bool,
    pub(super) size: String,
    pub(super) preview: String,
}

impl RowText {
    pub(super) fn of(message: &LoggedMessage, view: ViewAs) -> Self {
        let resolved = view.resolve(&message.payload);
        let mut size = format::bytes(message.original_payload_len() as u64);
        if message.is_truncated() {
            size.push_str(" (cut)");
        }
        Self {
            time: clock_time(message.received_at),
            topic: message.topic.clone(),
            qos: message.qos,
            retain: message.retain,
            size,
            preview: displayable(preview(&message.payload, resolved.kind, PREVIEW_CHARS)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn clock_time_is_utc_with_millis() {
        let t = UNIX_EPOCH + Duration::from_millis(86_400_000 + 3_723_045);
        assert_eq!(clock_time(t), "01:02:03.045");
    }

    #[test]
    fn marks_without_a_glyph_are_swapped() {
        assert_eq!(displayable("a\u{23CE}b\u{FFFD}".to_owned()), "a\\nb?");
        assert_eq!(displayable("plain".to_owned()), "plain");
    }
}
