//! How a payload is shown: kind detection, one-line previews, full text (pretty JSON, hex dump).

use std::fmt::Write as _;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

const ELLIPSIS: char = '…';
/// Shown instead of characters that would break a text widget or a one-line preview.
const REPLACEMENT: char = '\u{FFFD}';
const NEWLINE_MARK: char = '⏎';
const HEX_DUMP_BYTES_PER_LINE: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayloadKind {
    /// A JSON object or array (bare JSON numbers and strings count as text).
    Json,
    /// UTF-8 without control characters other than tab, CR and LF. Empty payloads are text.
    Text,
    Binary,
}

/// How the user asked to see a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ViewAs {
    #[default]
    Auto,
    Text,
    Json,
    Hex,
}

/// The kind to render with, and why it differs from what the user chose, if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedView {
    pub kind: PayloadKind,
    pub note: Option<String>,
}

impl ViewAs {
    pub fn resolve(self, payload: &[u8]) -> ResolvedView {
        let plain = |kind| ResolvedView { kind, note: None };
        match self {
            ViewAs::Auto => plain(detect_kind(payload)),
            ViewAs::Hex => plain(PayloadKind::Binary),
            ViewAs::Text if std::str::from_utf8(payload).is_err() => ResolvedView {
                kind: PayloadKind::Text,
                note: Some(NOT_UTF8_NOTE.to_owned()),
            },
            ViewAs::Text => plain(PayloadKind::Text),
            ViewAs::Json => match serde_json::from_slice::<IgnoredAny>(payload) {
                Ok(_) => plain(PayloadKind::Json),
                Err(error) => ResolvedView {
                    kind: PayloadKind::Text,
                    note: Some(format!("not valid JSON ({error}); showing it as text")),
                },
            },
        }
    }
}

const NOT_UTF8_NOTE: &str = "not valid UTF-8; undecodable bytes are shown as \u{FFFD}";

pub fn detect_kind(payload: &[u8]) -> PayloadKind {
    let Ok(text) = std::str::from_utf8(payload) else {
        return PayloadKind::Binary;
    };
    if text.trim_start().starts_with(['{', '['])
        && serde_json::from_slice::<IgnoredAny>(payload).is_ok()
    {
        return PayloadKind::Json;
    }
    if is_text(payload) {
        PayloadKind::Text
    } else {
        PayloadKind::Binary
    }
}

/// UTF-8 without control characters other than tab, CR and LF.
pub fn is_text(payload: &[u8]) -> bool {
    std::str::from_utf8(payload).is_ok_and(|text| !text.chars().any(is_disallowed_control))
}

fn is_disallowed_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\r' | '\n')
}

/// One line of at most `max_chars` characters, ending in `…` when cut.
/// JSON is compacted, text has line breaks marked, binary is hex (`0a 1b …`).
pub fn preview(payload: &[u8], kind: PayloadKind, max_chars: usize) -> String {
    let mut line = BoundedLine::new(max_chars);
    match kind {
        PayloadKind::Json => push_compact_json(&String::from_utf8_lossy(payload), &mut line),
        PayloadKind::Text => push_single_line_text(&String::from_utf8_lossy(payload), &mut line),
        PayloadKind::Binary => return hex_preview(payload, max_chars),
    }
    line.finish()
}

/// Everything, for a detail pane: pretty JSON (2-space indent), text as is, or a hex dump.
pub fn full_text(payload: &[u8], kind: PayloadKind) -> String {
    match kind {
        // Pretty-printing unchecked input could nest absurdly deep, so only real JSON is indented.
        PayloadKind::Json if serde_json::from_slice::<IgnoredAny>(payload).is_ok() => {
            pretty_json(&String::from_utf8_lossy(payload))
        }
        PayloadKind::Json | PayloadKind::Text => String::from_utf8_lossy(payload)
            .chars()
            .map(|c| {
                if is_disallowed_control(c) {
                    REPLACEMENT
                } else {
                    c
                }
            })
            .collect(),
        PayloadKind::Binary => hex_dump(payload),
    }
}

/// `hexdump -C` layout: offset, 16 bytes in two groups of 8, then printable ASCII.
pub fn hex_dump(payload: &[u8]) -> String {
    const LINE_WIDTH: usize = 79;
    let mut out =
        String::with_capacity(payload.len().div_ceil(HEX_DUMP_BYTES_PER_LINE) * LINE_WIDTH);
    for (line_index, chunk) in payload.chunks(HEX_DUMP_BYTES_PER_LINE).enumerate() {
        if line_index > 0 {
            out.push('\n');
        }
        // Writing into a String cannot fail.
        let _ = write!(out, "{:08x}  ", line_index * HEX_DUMP_BYTES_PER_LINE);
        for column in 0..HEX_DUMP_BYTES_PER_LINE {
            if column == HEX_DUMP_BYTES_PER_LINE / 2 {
                out.push(' ');
            }
            match chunk.get(column) {
                Some(byte) => {
                    push_hex_byte(&mut out, *byte);
                    out.push(' ');
                }
                None => out.push_str("   "),
            }
        }
        out.push_str(" |");
        out.extend(chunk.iter().map(|&byte| {
            if byte.is_ascii_graphic() || byte == b' ' {
                char::from(byte)
            } else {
                '.'
            }
        }));
        out.push('|');
    }
    out
}

fn push_hex_byte(out: &mut String, byte: u8) {
    for nibble in [byte >> 4, byte & 0x0f] {
        out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('?'));
    }
}

fn hex_preview(payload: &[u8], max_chars: usize) -> String {
    // Each byte takes "xx" plus a separating space; a cut line ends in " …".
    let all_fit = payload.len().saturating_mul(3).saturating_sub(1) <= max_chars;
    let shown_bytes = if all_fit {
        payload.len()
    } else {
        max_chars.saturating_sub(1) / 3
    };
    let mut out = String::with_capacity(shown_bytes * 3 + 4);
    for (index, byte) in payload.iter().take(shown_bytes).enumerate() {
        if index > 0 {
            out.push(' ');
        }
        push_hex_byte(&mut out, *byte);
    }
    if !all_fit && max_chars > 0 {
        if shown_bytes > 0 {
            out.push(' ');
        }
        out.push(ELLIPSIS);
    }
    out
}

fn push_single_line_text(text: &str, line: &mut BoundedLine) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let shown = match c {
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\r' | '\n' => NEWLINE_MARK,
            '\t' => ' ',
            c if c.is_control() => REPLACEMENT,
            c => c,
        };
        if !line.push(shown) {
            return;
        }
    }
}

fn is_json_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Drops the whitespace between JSON tokens without re-encoding, so numbers and key
/// order stay exactly as published and a long payload stops being read once the line is full.
fn push_compact_json(json: &str, line: &mut BoundedLine) {
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if is_json_whitespace(c) {
            continue;
        } else if c == '"' {
            in_string = true;
        }
        let shown = if is_disallowed_control(c) {
            REPLACEMENT
        } else {
            c
        };
        if !line.push(shown) {
            return;
        }
    }
}

/// Re-indents JSON text token by token (2 spaces, `"key": value`, `{}`/`[]` kept short),
/// keeping key order and number spelling as published, unlike a parse-and-print round trip.
fn pretty_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 2);
    let mut depth = 0usize;
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for inner in chars.by_ref() {
                    out.push(inner);
                    if escaped {
                        escaped = false;
                    } else if inner == '\\' {
                        escaped = true;
                    } else if inner == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                let closer = if c == '{' { '}' } else { ']' };
                let mut lookahead = chars.clone();
                if lookahead.find(|&next| !is_json_whitespace(next)) == Some(closer) {
                    out.push(c);
                    out.push(closer);
                    chars = lookahead;
                } else {
                    depth += 1;
                    out.push(c);
                    push_newline_and_indent(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                push_newline_and_indent(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                push_newline_and_indent(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if is_json_whitespace(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn push_newline_and_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Collects at most `max_chars` characters, replacing the last with `…` when more were offered.
struct BoundedLine {
    text: String,
    max_chars: usize,
    chars_pushed: usize,
    was_cut: bool,
}

impl BoundedLine {
    fn new(max_chars: usize) -> BoundedLine {
        BoundedLine {
            text: String::with_capacity(max_chars.min(1024)),
            max_chars,
            chars_pushed: 0,
            was_cut: false,
        }
    }

    /// Returns false once the line is full, so callers can stop reading.
    fn push(&mut self, c: char) -> bool {
        if self.chars_pushed >= self.max_chars {
            self.was_cut = true;
            return false;
        }
        self.text.push(c);
        self.chars_pushed += 1;
        true
    }

    fn finish(mut self) -> String {
        if self.was_cut && self.text.pop().is_some() {
            self.text.push(ELLIPSIS);
        }
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds() {
        assert_eq!(detect_kind(br#"{"a": 1}"#), PayloadKind::Json);
        assert_eq!(detect_kind(b"  [1, 2]\n"), PayloadKind::Json);
        assert_eq!(detect_kind(b"21.5"), PayloadKind::Text);
        assert_eq!(detect_kind(b"\"quoted\""), PayloadKind::Text);
        assert_eq!(detect_kind(b"{not json"), PayloadKind::Text);
        assert_eq!(detect_kind(b"line one\r\n\tline two"), PayloadKind::Text);
        assert_eq!(detect_kind("grüße".as_bytes()), PayloadKind::Text);
        assert_eq!(detect_kind(b""), PayloadKind::Text);
        assert_eq!(detect_kind(b"abc\0def"), PayloadKind::Binary);
        assert_eq!(detect_kind(&[0xff, 0xfe, 0x00]), PayloadKind::Binary);
        assert_eq!(detect_kind(b"\x1b[31mred"), PayloadKind::Binary);
    }

    #[test]
    fn json_preview_is_compact_and_cut() {
        let json = b"{\n  \"name\": \"a b\",\n  \"values\": [1, 2.50, 3e2]\n}";
        assert_eq!(
            preview(json, PayloadKind::Json, 100),
            r#"{"name":"a b","values":[1,2.50,3e2]}"#
        );
        assert_eq!(preview(json, PayloadKind::Json, 10), r#"{"name":"…"#);
        assert_eq!(
            preview(br#"{"q":"\" x"}"#, PayloadKind::Json, 100),
            r#"{"q":"\" x"}"#
        );
    }

    #[test]
    fn text_preview_is_one_line() {
        assert_eq!(preview(b"a\r\nb\nc\td", PayloadKind::Text, 50), "a⏎b⏎c d");
        assert_eq!(preview(b"abcdef", PayloadKind::Text, 4), "abc…");
        assert_eq!(preview(b"abcd", PayloadKind::Text, 4), "abcd");
        assert_eq!(preview(b"abcd", PayloadKind::Text, 0), "");
        assert_eq!(preview(b"", PayloadKind::Text, 10), "");
        assert_eq!(preview(&[b'a', 0xff], PayloadKind::Text, 10), "a\u{FFFD}");
    }

    #[test]
    fn binary_preview_is_hex() {
        assert_eq!(
            preview(&[0x0a, 0x1b, 0xff], PayloadKind::Binary, 20),
            "0a 1b ff"
        );
        assert_eq!(
            preview(&[0x0a, 0x1b, 0xff], PayloadKind::Binary, 8),
            "0a 1b ff"
        );
        assert_eq!(
            preview(&[0x0a, 0x1b, 0xff], PayloadKind::Binary, 7),
            "0a 1b …"
        );
        assert_eq!(preview(&[0x0a, 0x1b, 0xff], PayloadKind::Binary, 2), "…");
        assert_eq!(preview(&[], PayloadKind::Binary, 5), "");
    }

    #[test]
    fn pretty_json_keeps_order_and_numbers() {
        let json = br#"{"z":1,"a":[1.50,{"b":null}],"e":{},"f":[ ],"s":"x:{,}"}"#;
        let expected = "{\n  \"z\": 1,\n  \"a\": [\n    1.50,\n    {\n      \"b\": null\n    }\n  ],\n  \"e\": {},\n  \"f\": [],\n  \"s\": \"x:{,}\"\n}";
        assert_eq!(full_text(json, PayloadKind::Json), expected);
    }

    #[test]
    fn full_text_of_invalid_json_is_plain_text() {
        assert_eq!(full_text(b"[[[oops", PayloadKind::Json), "[[[oops");
        assert_eq!(full_text(b"a\0b\nc", PayloadKind::Text), "a\u{FFFD}b\nc");
    }

    #[test]
    fn hex_dump_layout() {
        let dump = full_text(b"Hello World\n\x00\x01ABCDEFGHIJ", PayloadKind::Binary);
        let expected = "00000000  48 65 6c 6c 6f 20 57 6f  72 6c 64 0a 00 01 41 42  |Hello World...AB|\n\
                        00000010  43 44 45 46 47 48 49 4a                           |CDEFGHIJ|";
        assert_eq!(dump, expected);
        assert_eq!(hex_dump(b""), "");
        assert_eq!(hex_dump(&[0u8; 16]).lines().count(), 1);
    }

    #[test]
    fn view_as_falls_back_with_a_note() {
        assert_eq!(ViewAs::Auto.resolve(b"[1]").kind, PayloadKind::Json);
        assert_eq!(ViewAs::Hex.resolve(b"text").kind, PayloadKind::Binary);
        assert_eq!(
            ViewAs::Json.resolve(b"42"),
            ResolvedView {
                kind: PayloadKind::Json,
                note: None
            }
        );
        let fallback = ViewAs::Json.resolve(b"hot");
        assert_eq!(fallback.kind, PayloadKind::Text);
        assert!(fallback.note.unwrap().starts_with("not valid JSON ("));
        let lossy = ViewAs::Text.resolve(&[0xff]);
        assert_eq!(lossy.kind, PayloadKind::Text);
        assert!(lossy.note.is_some());
    }
}
