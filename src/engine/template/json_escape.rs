//! Escapes text so it can sit between the quotes of a JSON string.

use std::fmt::Write;

/// Appends `text` with `"`, `\` and control characters escaped as JSON requires (no surrounding quotes).
pub(super) fn push_json_string_content(out: &mut String, text: &str) {
    if !text.chars().any(needs_escape) {
        out.push_str(text);
        return;
    }
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if control < ' ' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(control));
            }
            other => out.push(other),
        }
    }
}

/// Returns `text` escaped, for values prepared once at parse time.
pub(super) fn json_string_content(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_json_string_content(&mut out, text);
    out
}

fn needs_escape(character: char) -> bool {
    character == '"' || character == '\\' || character < ' '
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(
            json_string_content("a\"b\\c\nd\u{1}"),
            "a\\\"b\\\\c\\nd\\u0001"
        );
    }

    #[test]
    fn leaves_plain_text_alone() {
        assert_eq!(json_string_content("kitchen/ü"), "kitchen/ü");
    }
}
