//! What the user typed to narrow the log: a topic filter plus a case-insensitive text search.

use super::message::LoggedMessage;
use super::topic_filter::TopicFilter;

/// Both parts must match; an absent topic filter and empty text match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub topic: Option<TopicFilter>,
    /// Searched case-insensitively in the topic and in payloads that are UTF-8 text.
    pub text: String,
}

impl LogFilter {
    pub fn matches_everything(&self) -> bool {
        self.topic.is_none() && self.text.is_empty()
    }

    /// Prepares the search once, for checking many messages.
    pub fn matcher(&self) -> LogMatcher {
        LogMatcher {
            topic: self.topic.clone(),
            needle: TextNeedle::new(&self.text),
        }
    }

    /// Convenience for a single check; use [`LogFilter::matcher`] in loops.
    pub fn matches(&self, message: &LoggedMessage) -> bool {
        self.matcher().matches(message)
    }
}

/// A [`LogFilter`] with its search text lowercased ahead of time.
#[derive(Debug, Clone)]
pub struct LogMatcher {
    topic: Option<TopicFilter>,
    needle: TextNeedle,
}

impl LogMatcher {
    pub fn matches(&self, message: &LoggedMessage) -> bool {
        if let Some(topic_filter) = &self.topic
            && !topic_filter.matches(&message.topic)
        {
            return false;
        }
        self.needle.is_found_in(message.topic.as_bytes())
            || self.needle.is_found_in_text_payload(&message.payload)
    }
}

#[derive(Debug, Clone)]
enum TextNeedle {
    Nothing,
    /// The common case, searched byte-wise without allocating: ASCII bytes in UTF-8
    /// always stand for ASCII characters, so byte matches are character matches.
    Ascii(Box<[u8]>),
    /// Non-ASCII needles need real Unicode lowercasing of each haystack.
    Unicode(String),
}

impl TextNeedle {
    fn new(text: &str) -> TextNeedle {
        if text.is_empty() {
            TextNeedle::Nothing
        } else if text.is_ascii() {
            TextNeedle::Ascii(text.to_ascii_lowercase().into_bytes().into_boxed_slice())
        } else {
            TextNeedle::Unicode(text.to_lowercase())
        }
    }

    fn is_found_in(&self, haystack: &[u8]) -> bool {
        match self {
            TextNeedle::Nothing => true,
            TextNeedle::Ascii(needle) => contains_ignoring_ascii_case(haystack, needle),
            TextNeedle::Unicode(needle) => std::str::from_utf8(haystack)
                .is_ok_and(|text| text.to_lowercase().contains(needle.as_str())),
        }
    }

    fn is_found_in_text_payload(&self, payload: &[u8]) -> bool {
        match self {
            TextNeedle::Nothing => true,
            // Search first: validating UTF-8 only for hits keeps misses cheap.
            TextNeedle::Ascii(needle) => {
                contains_ignoring_ascii_case(payload, needle)
                    && std::str::from_utf8(payload).is_ok()
            }
            TextNeedle::Unicode(_) => self.is_found_in(payload),
        }
    }
}

fn contains_ignoring_ascii_case(haystack: &[u8], lowercase_needle: &[u8]) -> bool {
    if lowercase_needle.is_empty() {
        return true;
    }
    haystack
        .windows(lowercase_needle.len())
        .any(|window| window.eq_ignore_ascii_case(lowercase_needle))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;

    fn message(topic: &str, payload: &[u8]) -> LoggedMessage {
        LoggedMessage::new(
            SystemTime::UNIX_EPOCH,
            Arc::from(topic),
            0,
            false,
            Bytes::copy_from_slice(payload),
            1024,
        )
    }

    fn text_filter(text: &str) -> LogFilter {
        LogFilter {
            topic: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn empty_filter_matches_everything() {
        let filter = LogFilter::default();
        assert!(filter.matches_everything());
        assert!(filter.matches(&message("a", &[0xff])));
    }

    #[test]
    fn text_is_case_insensitive_in_topic_and_payload() {
        assert!(text_filter("KITCHEN").matches(&message("home/kitchen/temp", b"21")));
        assert!(text_filter("hot").matches(&message("a", b"{\"state\":\"HOT\"}")));
        assert!(!text_filter("cold").matches(&message("a", b"hot")));
        assert!(text_filter("ÜBER").matches(&message("a", "grüße über alles".as_bytes())));
        assert!(text_filter("straße").matches(&message("STRASSE/straße", b"")));
    }

    #[test]
    fn binary_payloads_are_not_searched() {
        assert!(!text_filter("abc").matches(&message("t", &[b'a', b'b', b'c', 0xff])));
        assert!(text_filter("abc").matches(&message("t", b"xxabcxx")));
    }

    #[test]
    fn topic_and_text_must_both_match() {
        let filter = LogFilter {
            topic: Some("sensors/+/temp".parse().unwrap()),
            text: "21".to_owned(),
        };
        assert!(filter.matches(&message("sensors/a/temp", b"21.5")));
        assert!(!filter.matches(&message("sensors/a/temp", b"19")));
        assert!(!filter.matches(&message("sensors/a/hum", b"21")));
    }
}
