//! One received MQTT message as the subscriber log keeps it, with oversized payloads truncated.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

/// Payloads above this size are cut, so one huge publish cannot exhaust memory.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMessage {
    /// Assigned by the log on push; strictly increasing and never reused.
    pub seq: u64,
    pub received_at: SystemTime,
    pub topic: Arc<str>,
    pub qos: u8,
    pub retain: bool,
    pub payload: Bytes,
    /// The payload's size as received when only its start was kept.
    pub payload_truncated_from: Option<usize>,
}

impl LoggedMessage {
    /// Builds a message (with `seq` 0 until a log assigns one), keeping at most
    /// `max_payload_bytes` of the payload.
    pub fn new(
        received_at: SystemTime,
        topic: Arc<str>,
        qos: u8,
        retain: bool,
        payload: Bytes,
        max_payload_bytes: usize,
    ) -> LoggedMessage {
        let mut message = LoggedMessage {
            seq: 0,
            received_at,
            topic,
            qos,
            retain,
            payload,
            payload_truncated_from: None,
        };
        message.limit_payload(max_payload_bytes);
        message
    }

    /// Cuts the payload to `max_payload_bytes`, remembering the largest size ever seen.
    pub fn limit_payload(&mut self, max_payload_bytes: usize) {
        if self.payload.len() <= max_payload_bytes {
            return;
        }
        let original_len = self.original_payload_len();
        let cut_at = utf8_safe_cut(&self.payload, max_payload_bytes);
        // Copy rather than `Bytes::slice`: a slice would keep the whole original buffer alive.
        self.payload = self
            .payload
            .get(..cut_at)
            .map(Bytes::copy_from_slice)
            .unwrap_or_default();
        self.payload_truncated_from = Some(original_len);
    }

    /// The payload size as published, even when only part of it was kept.
    pub fn original_payload_len(&self) -> usize {
        self.payload_truncated_from.unwrap_or(self.payload.len())
    }

    pub fn is_truncated(&self) -> bool {
        self.payload_truncated_from.is_some()
    }

    /// What this message costs against the log's byte budget.
    pub fn stored_bytes(&self) -> usize {
        self.payload.len() + self.topic.len()
    }
}

/// Moves a cut point back to the start of a UTF-8 character it would split, so a
/// truncated text payload is still valid text. Binary data loses at most three bytes more.
fn utf8_safe_cut(payload: &[u8], max_len: usize) -> usize {
    const CONTINUATION_MASK: u8 = 0b1100_0000;
    const CONTINUATION_BITS: u8 = 0b1000_0000;
    for distance in 1..=3 {
        let Some(position) = max_len.checked_sub(distance) else {
            break;
        };
        let Some(&byte) = payload.get(position) else {
            break;
        };
        if byte & CONTINUATION_MASK == CONTINUATION_BITS {
            continue;
        }
        let char_len = match byte {
            0xF0..=0xF7 => 4,
            0xE0..=0xEF => 3,
            0xC0..=0xDF => 2,
            _ => 1,
        };
        return if position + char_len > max_len {
            position
        } else {
            max_len
        };
    }
    max_len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_with(payload: Bytes, max: usize) -> LoggedMessage {
        LoggedMessage::new(
            SystemTime::UNIX_EPOCH,
            Arc::from("t"),
            0,
            false,
            payload,
            max,
        )
    }

    #[test]
    fn ten_megabyte_payload_is_truncated_and_copied() {
        let huge = Bytes::from(vec![7u8; 10 * 1024 * 1024]);
        let message = message_with(huge.clone(), DEFAULT_MAX_PAYLOAD_BYTES);
        assert_eq!(message.payload.len(), DEFAULT_MAX_PAYLOAD_BYTES);
        assert_eq!(message.payload_truncated_from, Some(10 * 1024 * 1024));
        assert_eq!(message.original_payload_len(), 10 * 1024 * 1024);
        assert!(message.is_truncated());
        assert_ne!(
            message.payload.as_ptr(),
            huge.as_ptr(),
            "must not pin the big buffer"
        );
        assert_eq!(message.stored_bytes(), DEFAULT_MAX_PAYLOAD_BYTES + 1);
    }

    #[test]
    fn small_payload_is_kept_whole() {
        let message = message_with(Bytes::from_static(b"21.5"), 4);
        assert_eq!(&message.payload[..], b"21.5");
        assert_eq!(message.payload_truncated_from, None);
    }

    #[test]
    fn truncation_does_not_split_a_utf8_character() {
        let message = message_with(Bytes::from("aé€".to_string()), 4);
        assert_eq!(&message.payload[..], "aé".as_bytes());
        assert_eq!(message.payload_truncated_from, Some(6));
        let binary = message_with(Bytes::from_static(&[0xff; 10]), 4);
        assert_eq!(binary.payload.len(), 4);
    }

    #[test]
    fn limiting_again_keeps_the_original_size() {
        let mut message = message_with(Bytes::from(vec![1u8; 100]), 50);
        message.limit_payload(10);
        assert_eq!(message.payload.len(), 10);
        assert_eq!(message.payload_truncated_from, Some(100));
        message.limit_payload(0);
        assert!(message.payload.is_empty());
        assert_eq!(message.payload_truncated_from, Some(100));
    }
}
