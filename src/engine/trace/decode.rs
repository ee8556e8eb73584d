//! One whole frame of either direction turned into a record's packet name, label and fields; a frame
//! the parser refuses becomes a MALFORMED record, and nothing here can take a connection down.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

use super::record::MALFORMED;
use crate::engine::mqtt_wire::ProtocolVersion;

/// What a frame turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub packet: &'static str,
    pub label: String,
    pub fields: Vec<(&'static str, Value)>,
}

/// Decodes a whole frame with the parser for the connection's protocol version.
pub fn decode_frame(version: ProtocolVersion, frame: &[u8]) -> Decoded {
    // The parsers are maintained crates, but a panic on hostile bytes must still not end a connection.
    let parsed = catch_unwind(AssertUnwindSafe(|| match version {
        ProtocolVersion::V5 => super::decode_v5::decode(frame),
        ProtocolVersion::V31 | ProtocolVersion::V311 => super::decode_v4::decode(frame),
    }))
    .unwrap_or_else(|_| Err("the packet parser gave up on these bytes".to_owned()));
    parsed.unwrap_or_else(|error| malformed(frame, frame.len(), &error))
}

/// A record for bytes the parser refused (or that were too large to decode): type byte, length, why.
pub fn malformed(head: &[u8], length: usize, error: &str) -> Decoded {
    let type_byte = head.first().copied().unwrap_or(0);
    let kind = packet_type_name(type_byte >> 4);
    let mut fields = vec![
        ("type_byte", Value::String(format!("{type_byte:#04x}"))),
        ("type", Value::String(kind.to_owned())),
        ("length", Value::from(length as u64)),
        ("error", Value::String(error.to_owned())),
    ];
    fields.push((
        "start",
        Value::String(super::fields::preview(&head[..head.len().min(16)])),
    ));
    Decoded {
        packet: MALFORMED,
        label: format!("{kind}? ({length} bytes): {error}"),
        fields,
    }
}

/// The name MQTT gives a packet type number.
pub fn packet_type_name(kind: u8) -> &'static str {
    match kind {
        1 => "CONNECT",
        2 => "CONNACK",
        3 => "PUBLISH",
        4 => "PUBACK",
        5 => "PUBREC",
        6 => "PUBREL",
        7 => "PUBCOMP",
        8 => "SUBSCRIBE",
        9 => "SUBACK",
        10 => "UNSUBSCRIBE",
        11 => "UNSUBACK",
        12 => "PINGREQ",
        13 => "PINGRESP",
        14 => "DISCONNECT",
        15 => "AUTH",
        _ => "reserved type 0",
    }
}

/// A parser's enum value in plain words: `NoMatchingSubscribers` → "no matching subscribers".
pub fn words(value: &impl std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push(' ');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publish_with_qos_3_is_recorded_as_malformed_not_dropped() {
        // PUBLISH with both QoS bits set: a protocol violation.
        let frame = [0x36, 0x05, 0x00, 0x01, b'a', 0x00, 0x01];
        let decoded = decode_frame(ProtocolVersion::V311, &frame);
        assert_eq!(decoded.packet, MALFORMED);
        assert!(decoded.label.starts_with("PUBLISH?"), "{}", decoded.label);
    }

    #[test]
    fn reads_a_v311_publish_and_its_packet_id() {
        let frame = [0x32, 0x08, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07, b'x'];
        let decoded = decode_frame(ProtocolVersion::V311, &frame);
        assert_eq!(decoded.packet, "PUBLISH");
        assert_eq!(decoded.label, "PUBLISH a/b QoS 1 id 7");
    }

    #[test]
    fn reads_an_mqtt5_connack_and_a_bare_disconnect() {
        let connack = [0x20, 0x03, 0x00, 0x00, 0x00];
        assert_eq!(
            decode_frame(ProtocolVersion::V5, &connack).label,
            "CONNACK accepted"
        );
        let disconnect = [0xE0, 0x00];
        assert_eq!(
            decode_frame(ProtocolVersion::V5, &disconnect).packet,
            "DISCONNECT"
        );
    }

    #[test]
    fn words_splits_enum_names() {
        #[derive(Debug)]
        enum Reason {
            NoMatchingSubscribers,
        }
        assert_eq!(
            words(&Reason::NoMatchingSubscribers),
            "no matching subscribers"
        );
    }
}
