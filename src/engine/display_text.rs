//! Client-supplied text (client ids, usernames, topics) made safe to show on one line: control and
//! bidi characters escaped visibly, long text cut with an ellipsis.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters of a client id, username or topic shown inline (an Activity line, a table cell).
pub const INLINE_CHARS: usize = 80;
/// Characters shown on hover: the whole value for anything a person can read, a bound for the rest
/// (a client id may be 64 kB long).
pub const HOVER_CHARS: usize = 2_000;

/// `text` with every control, bidi or invisible formatting character written out (`\n`, `\x1b`,
/// `\u{202e}`), so it cannot start a new line, move the cursor or reorder what follows it.
/// Backslashes are left alone: this is for reading, not for parsing back.
pub fn escaped(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// [`escaped`], cut to at most `max_chars` characters with a trailing `…` when it is longer.
/// An escape sequence is never cut in half; only what is kept is escaped.
pub fn clipped(text: &str, max_chars: usize) -> Cow<'_, str> {
    let mut one = String::new();
    let mut width = 0;
    for c in text.chars() {
        one.clear();
        push_escaped(&mut one, c);
        width += one.chars().count();
        if width > max_chars {
            break;
        }
    }
    if width <= max_chars {
        return escaped(text);
    }
    let room = max_chars.saturating_sub(1);
    let mut out = String::new();
    let mut kept = 0;
    for c in text.chars() {
        one.clear();
        push_escaped(&mut one, c);
        let width = one.chars().count();
        if kept + width > room {
            break;
        }
        out.push_str(&one);
        kept += width;
    }
    out.push('…');
    Cow::Owned(out)
}

/// True if showing `text` as is could break or forge a line.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// Bidi embeddings, overrides and isolates, directional marks, line and paragraph separators,
/// zero-width space and no-break, interlinear annotation: invisible, yet they change what is seen.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) && u32::from(c) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// 1234567 → "1,234,567", the way the messages show counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_terminal_escapes_are_written_out() {
        assert_eq!(escaped("plain/topic"), "plain/topic");
        assert!(matches!(escaped("plain"), Cow::Borrowed(_)));
        assert_eq!(escaped("evil\nclient"), "evil\\nclient");
        assert_eq!(escaped("a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(escaped("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(escaped("nul\0del\u{7f}c1\u{85}"), "nul\\x00del\\x7fc1\\x85");
        assert_eq!(escaped("back\\slash"), "back\\slash");
        assert_eq!(escaped("ünïcødé ✓ 温度"), "ünïcødé ✓ 温度");
    }

    #[test]
    fn bidi_overrides_and_invisible_separators_are_written_out() {
        assert_eq!(escaped("user\u{202e}gnp.exe"), "user\\u{202e}gnp.exe");
        assert_eq!(escaped("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(escaped("line\u{2028}sep"), "line\\u{2028}sep");
        assert_eq!(escaped("\u{200f}\u{feff}"), "\\u{200f}\\u{feff}");
        for c in ['\n', '\u{202e}', '\u{1b}', '\u{2029}'] {
            assert!(needs_escape(c), "{c:?}");
        }
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let id = "a".repeat(10_000);
        let shown = clipped(&id, INLINE_CHARS);
        assert_eq!(shown.chars().count(), INLINE_CHARS);
        assert!(shown.ends_with('…'));
        assert!(shown.starts_with("aaaa"));
        assert_eq!(clipped("short", INLINE_CHARS), "short");
        assert_eq!(
            clipped(&"b".repeat(80), 80),
            "b".repeat(80),
            "exactly the width fits"
        );
        assert_eq!(clipped("é".repeat(81).as_str(), 80).chars().count(), 80);
    }

    #[test]
    fn cutting_escapes_what_it_keeps_and_never_halves_an_escape() {
        assert_eq!(clipped("a\nb", 80), "a\\nb");
        assert_eq!(clipped("abcd\u{1b}efgh", 6), "abcd…");
        let many = "\n".repeat(10_000);
        let shown = clipped(&many, 9);
        assert_eq!(shown, "\\n\\n\\n\\n…");
        assert!(!shown.contains('\n'));
    }

    #[test]
    fn an_event_with_a_forged_client_id_stays_one_line() {
        use crate::engine::{Event, ProtocolVersion, Transport};
        let peer = "127.0.0.1:5000".parse().unwrap();
        let forged = "evil\nclient \"x\" connected";
        let connected = Event::ClientConnected {
            peer,
            client_id: forged.to_owned(),
            version: ProtocolVersion::V311,
            transport: Transport::Tcp,
        };
        let line = connected.describe();
        assert!(!line.contains('\n'), "{line:?}");
        assert_eq!(line.lines().count(), 1);
        assert!(
            line.starts_with(
                r#"client "evil\nclient "x" connected" connected from 127.0.0.1:5000"#
            ),
            "{line:?}"
        );
        let gone = Event::ClientDisconnected {
            peer,
            client_id: format!("{}\u{1b}[2J", "z".repeat(10_000)),
            clean: true,
        };
        let line = gone.describe();
        assert!(!line.contains('\u{1b}'));
        assert!(line.chars().count() < INLINE_CHARS + 60, "{line}");
        assert!(line.contains("…\" from"), "{line}");
        assert!(gone.describe_within(HOVER_CHARS).chars().count() > HOVER_CHARS - 10);
        let refused = Event::ClientRefused {
            peer,
            client_id: "a\u{202e}b".to_owned(),
            reason: "bad\rreason".to_owned(),
        };
        assert_eq!(
            refused.describe(),
            r#"client "a\u{202e}b" from 127.0.0.1:5000 refused: bad\rreason"#
        );
    }
}
