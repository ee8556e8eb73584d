//! Small helpers that turn packet parts into bounded, readable JSON field values.

use serde_json::{Map, Value};

/// The most of a text field (topic, property) a record keeps.
pub const MAX_TEXT: usize = 512;
/// How much of a payload a record shows.
pub const PREVIEW_BYTES: usize = 64;

/// A field list under construction.
#[derive(Default)]
pub struct Fields(pub Vec<(&'static str, Value)>);

impl Fields {
    pub fn put(&mut self, name: &'static str, value: impl Into<Value>) {
        self.0.push((name, value.into()));
    }

    pub fn text(&mut self, name: &'static str, text: &str) {
        self.put(name, bounded_text(text));
    }

    pub fn maybe<T: Into<Value>>(&mut self, name: &'static str, value: Option<T>) {
        if let Some(value) = value {
            self.put(name, value);
        }
    }

    pub fn maybe_text(&mut self, name: &'static str, text: Option<&str>) {
        if let Some(text) = text {
            self.text(name, text);
        }
    }

    pub fn maybe_bytes(&mut self, name: &'static str, bytes: Option<&[u8]>) {
        if let Some(bytes) = bytes {
            self.put(name, preview(bytes));
        }
    }

    /// MQTT 5 user properties as a list of `[name, value]` pairs (names may repeat).
    pub fn user_properties(&mut self, properties: &[(String, String)]) {
        if properties.is_empty() {
            return;
        }
        let pairs = properties
            .iter()
            .take(64)
            .map(|(k, v)| {
                Value::Array(vec![
                    Value::String(bounded_text(k)),
                    Value::String(bounded_text(v)),
                ])
            })
            .collect();
        self.put("user_properties", Value::Array(pairs));
    }

    /// The payload's size and the start of it, readable.
    pub fn payload(&mut self, payload: &[u8]) {
        self.put("payload_size", payload.len() as u64);
        self.put("payload_preview", preview(payload));
    }
}

/// Text cut to [`MAX_TEXT`] characters, with a note when cut.
pub fn bounded_text(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_owned(),
    }
}

/// The start of some bytes: as text when they are UTF-8 (control characters escaped), else as hex.
pub fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(PREVIEW_BYTES)];
    let more = if bytes.len() > head.len() { "…" } else { "" };
    // A cut in the middle of a character still counts as text.
    let text = match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&head[..err.valid_up_to()]).ok()
        }
        Err(_) => None,
    };
    match text {
        Some(text) => format!("{}{more}", text.escape_debug()),
        None => {
            let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{}{more}", hex.join(""))
        }
    }
}

/// A topic as text (MQTT 5 parsers hand topics over as bytes).
pub fn topic_text(topic: &[u8]) -> String {
    bounded_text(&String::from_utf8_lossy(topic))
}

/// A JSON object from name/value pairs (one subscription filter, say).
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<String, Value>>(),
    )
}

/// The short label's QoS/flags part of a PUBLISH.
pub fn publish_label(topic: &str, qos: u8, retain: bool, dup: bool, pkid: u16) -> String {
    let mut label = format!("PUBLISH {} QoS {qos}", short(topic));
    if qos > 0 {
        label.push_str(&format!(" id {pkid}"));
    }
    if retain {
        label.push_str(" retain");
    }
    if dup {
        label.push_str(" dup");
    }
    label
}

/// Text short enough for an arrow's label.
pub fn short(text: &str) -> String {
    match text.char_indices().nth(48) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_text_escaped_and_binary_as_hex() {
        assert_eq!(preview(b"21.5"), "21.5");
        assert_eq!(preview(b"a\nb"), "a\\nb");
        assert_eq!(preview(&[0xff, 0x00]), "0xff00");
        assert!(preview(&[b'x'; 100]).ends_with('…'));
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let long = "a".repeat(MAX_TEXT + 10);
        let cut = bounded_text(&long);
        assert!(cut.contains("bytes in all"));
    }
}
