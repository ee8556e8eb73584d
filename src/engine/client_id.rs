//! Client ids rumqttd's router refuses (`/ + # $`) mapped one-to-one to ids it accepts, with the CONNECT re-encoded.
//!
//! rumqttd 0.20's router refuses such ids silently (`validate_clientid`; behind rumqttd's own
//! listeners that also poisoned the listener for everyone, upstream rumqtt issue 1062). The ids are
//! legal MQTT, so the front door hands the router a percent-escaped form
//! instead: `%`, `/`, `+`, `#` and `$` become `%25`, `%2F`, `%2B`, `%23` and `%24`. Escaping `%`
//! too keeps the mapping one-to-one, and an id is rewritten exactly when it contains one of those
//! five characters, so every rewritten id contains a `%` and every id passed on unchanged contains
//! none: the two kinds can never collide. The same id always maps to the same router id, so
//! persistent sessions and take-over of a duplicate id behave as on any broker. The client, the
//! Clients table and Activity keep seeing the client's own id.

use std::borrow::Cow;

use bytes::BytesMut;
use rumqttd::protocol::{Packet, Protocol, v4::V4, v5::V5};

use super::mqtt_wire::{ConnectInfo, ProtocolVersion};

/// The characters the router refuses in a client id, plus `%`, the escape character itself.
const ESCAPED: [(char, &str); 5] = [
    ('%', "%25"),
    ('/', "%2F"),
    ('+', "%2B"),
    ('#', "%23"),
    ('$', "%24"),
];

/// MQTT strings carry a 2-byte length.
const MAX_MQTT_STRING: usize = u16::MAX as usize;

/// Why a client's CONNECT cannot be served with its client id; every one is answered with the
/// CONNACK "client identifier not valid" and never reaches the router.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdProblem {
    #[error(
        "its client id ({len} bytes) has too many of the characters % / + # $ to be served (this broker escapes them, and the result would be over the 65,535-byte limit); use a shorter client id"
    )]
    TooLongOnceEscaped { len: usize },
    #[error(
        "it sent an empty client id with a persistent session (clean session off), which MQTT does not allow; set a client id or turn clean session on"
    )]
    EmptyWithPersistentSession,
    #[error(
        "its CONNECT packet could not be re-encoded for the broker ({detail}); the client's MQTT library may be sending something unusual"
    )]
    Unreadable { detail: String },
}

/// The id the router gets for a client's own id: unchanged unless it contains `% / + # $`.
pub fn router_client_id(client_id: &str) -> Cow<'_, str> {
    if !client_id.contains(|c| ESCAPED.iter().any(|(special, _)| *special == c)) {
        return Cow::Borrowed(client_id);
    }
    let mut out = String::with_capacity(client_id.len() + 8);
    for c in client_id.chars() {
        match ESCAPED.iter().find(|(special, _)| *special == c) {
            Some((_, escaped)) => out.push_str(escaped),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Checks a client's CONNECT and returns the bytes the router's session is made from: `connect_bytes`
/// as they are when the id is fine, or with the CONNECT re-encoded around the escaped id.
///
/// `connect_bytes` starts with the CONNECT (already rewritten to 3.1.1 for an MQTT 3.1 client)
/// and may carry whatever the client sent right behind it, which is kept as it is.
pub fn connect_for_router(
    info: &ConnectInfo,
    connect_bytes: Vec<u8>,
) -> Result<Vec<u8>, ClientIdProblem> {
    if info.client_id.is_empty() && !info.clean_start {
        return Err(ClientIdProblem::EmptyWithPersistentSession);
    }
    let router_id = match router_client_id(&info.client_id) {
        Cow::Borrowed(_) => return Ok(connect_bytes),
        Cow::Owned(escaped) => escaped,
    };
    if router_id.len() > MAX_MQTT_STRING {
        return Err(ClientIdProblem::TooLongOnceEscaped {
            len: info.client_id.len(),
        });
    }
    match info.version {
        ProtocolVersion::V5 => reencode(V5, connect_bytes, router_id),
        ProtocolVersion::V311 | ProtocolVersion::V31 => reencode(V4, connect_bytes, router_id),
    }
}

/// Reads the CONNECT with rumqttd's own parser, swaps the client id and writes it back with the
/// same parser's encoder, so the will, login, keep-alive, flags and MQTT 5 properties are exactly
/// what rumqttd would have read from the original.
fn reencode<P: Protocol>(
    mut protocol: P,
    connect_bytes: Vec<u8>,
    router_id: String,
) -> Result<Vec<u8>, ClientIdProblem> {
    let mut stream = BytesMut::from(connect_bytes.as_slice());
    let max_size = stream.len();
    let packet =
        protocol
            .read_mut(&mut stream, max_size)
            .map_err(|err| ClientIdProblem::Unreadable {
                detail: err.to_string(),
            })?;
    let Packet::Connect(mut connect, properties, will, will_properties, login) = packet else {
        return Err(ClientIdProblem::Unreadable {
            detail: "the first packet is not a CONNECT".to_owned(),
        });
    };
    connect.client_id = router_id;
    let mut out = BytesMut::with_capacity(connect_bytes.len() + 64);
    protocol
        .write(
            Packet::Connect(connect, properties, will, will_properties, login),
            &mut out,
        )
        .map_err(|err| ClientIdProblem::Unreadable {
            detail: err.to_string(),
        })?;
    // Whatever followed the CONNECT (`read_mut` split the CONNECT off the front) goes on unchanged.
    out.extend_from_slice(&stream);
    Ok(out.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::mqtt_wire::{ConnectRead, read_connect};

    fn info_of(bytes: &[u8]) -> ConnectInfo {
        match read_connect(bytes, usize::MAX) {
            Ok(ConnectRead::Complete { info, .. }) => info,
            other => panic!("not a complete CONNECT: {other:?}"),
        }
    }

    fn v4_connect(client_id: &str, clean: bool) -> Vec<u8> {
        let connect = rumqttd::protocol::Connect {
            keep_alive: 42,
            client_id: client_id.to_owned(),
            clean_session: clean,
        };
        let will = rumqttd::protocol::LastWill {
            topic: "wills/x".into(),
            message: "gone".into(),
            qos: rumqttd::protocol::QoS::AtLeastOnce,
            retain: true,
        };
        let login = rumqttd::protocol::Login {
            username: "teacher".to_owned(),
            password: "secret".to_owned(),
        };
        let mut out = BytesMut::new();
        V4.write(
            Packet::Connect(
                connect,
                None,
                Some(Box::new(will)),
                None,
                Some(Box::new(login)),
            ),
            &mut out,
        )
        .unwrap();
        out.to_vec()
    }

    #[test]
    fn ordinary_ids_are_passed_on_untouched() {
        assert!(matches!(
            router_client_id("sensor-12_a.b"),
            Cow::Borrowed(_)
        ));
        let bytes = v4_connect("sensor-12", true);
        assert_eq!(
            connect_for_router(&info_of(&bytes), bytes.clone()).unwrap(),
            bytes
        );
    }

    #[test]
    fn the_five_characters_are_escaped() {
        assert_eq!(router_client_id("room/12"), "room%2F12");
        assert_eq!(router_client_id("$a+b#c%d"), "%24a%2Bb%23c%25d");
        assert_eq!(router_client_id("é/ü"), "é%2Fü");
    }

    #[test]
    fn an_id_that_looks_escaped_never_collides_with_an_escaped_one() {
        // `a%2Fb` (a literal percent) must not become the router id of `a/b`.
        let ids = [
            "a/b", "a%2Fb", "a%252Fb", "a%b", "a%25b", "%", "%25", "a+b", "a%2Bb",
        ];
        let mapped: std::collections::HashSet<String> = ids
            .iter()
            .map(|id| router_client_id(id).into_owned())
            .collect();
        assert_eq!(
            mapped.len(),
            ids.len(),
            "every id maps to its own router id"
        );
        for id in ids {
            let router_id = router_client_id(id);
            assert!(
                !router_id.contains(['/', '+', '#', '$']),
                "{router_id} is refused by the router"
            );
        }
    }

    #[test]
    fn the_rewritten_connect_keeps_will_login_keep_alive_flags_and_trailing_bytes() {
        let mut bytes = v4_connect("room/12", false);
        let original_len = bytes.len();
        bytes.extend_from_slice(&[0xC0, 0x00]); // a PINGREQ right behind the CONNECT
        let info = info_of(&bytes);
        let out = connect_for_router(&info, bytes).unwrap();
        let rewritten = info_of(&out);
        assert_eq!(rewritten.client_id, "room%2F12");
        assert_eq!(
            (rewritten.keep_alive_secs, rewritten.clean_start),
            (42, false)
        );
        assert_eq!(rewritten.username.as_deref(), Some("teacher"));
        assert_eq!(rewritten.password.as_deref(), Some(&b"secret"[..]));
        assert_eq!(rewritten.will, info.will);
        // "/" became "%2F" (two bytes more), and the PINGREQ follows.
        assert_eq!(out.len(), original_len + 2 + 2);
        assert_eq!(out[out.len() - 2..], [0xC0, 0x00]);
    }

    #[test]
    fn a_v5_connect_keeps_its_properties() {
        let connect = rumqttd::protocol::Connect {
            keep_alive: 30,
            client_id: "lab#1".to_owned(),
            clean_session: true,
        };
        let properties = rumqttd::protocol::ConnectProperties {
            session_expiry_interval: Some(600),
            receive_maximum: Some(20),
            max_packet_size: Some(65_536),
            topic_alias_max: Some(10),
            request_response_info: Some(1),
            request_problem_info: Some(0),
            user_properties: vec![("course".to_owned(), "mqtt-101".to_owned())],
            authentication_method: None,
            authentication_data: None,
        };
        let will = rumqttd::protocol::LastWill {
            topic: "wills/lab".into(),
            message: "bye".into(),
            qos: rumqttd::protocol::QoS::AtMostOnce,
            retain: false,
        };
        let will_properties = rumqttd::protocol::LastWillProperties {
            delay_interval: Some(5),
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(60),
            content_type: Some("text/plain".to_owned()),
            response_topic: Some("replies/lab".to_owned()),
            correlation_data: Some("c-1".into()),
            user_properties: vec![("k".to_owned(), "v".to_owned())],
        };
        let mut bytes = BytesMut::new();
        V5.write(
            Packet::Connect(
                connect,
                Some(Box::new(properties.clone())),
                Some(Box::new(will.clone())),
                Some(Box::new(will_properties.clone())),
                None,
            ),
            &mut bytes,
        )
        .unwrap();
        let bytes = bytes.to_vec();
        let out = connect_for_router(&info_of(&bytes), bytes).unwrap();
        let mut stream = BytesMut::from(out.as_slice());
        let Ok(Packet::Connect(c, p, w, wp, l)) = V5.read_mut(&mut stream, usize::MAX) else {
            panic!("the rewritten v5 CONNECT reads back");
        };
        assert_eq!(c.client_id, "lab%231");
        assert_eq!((c.keep_alive, c.clean_session), (30, true));
        assert_eq!(p, Some(Box::new(properties)));
        assert_eq!(w, Some(Box::new(will)));
        assert_eq!(wp, Some(Box::new(will_properties)));
        assert_eq!(l, None);
    }

    #[test]
    fn ids_that_cannot_be_served_are_refused() {
        let bytes = v4_connect("", false);
        assert_eq!(
            connect_for_router(&info_of(&bytes), bytes),
            Err(ClientIdProblem::EmptyWithPersistentSession)
        );
        let long = "/".repeat(30_000);
        let bytes = v4_connect(&long, true);
        assert_eq!(
            connect_for_router(&info_of(&bytes), bytes),
            Err(ClientIdProblem::TooLongOnceEscaped { len: 30_000 })
        );
        // An empty id with a clean session gets an id assigned by the broker: fine.
        let bytes = v4_connect("", true);
        assert!(connect_for_router(&info_of(&bytes), bytes).is_ok());
    }

    #[test]
    fn keep_alive_zero_stays_zero_whether_or_not_the_id_is_escaped() {
        for id in ["plain", "room/12"] {
            let mut bytes = v4_connect(id, true);
            // Keep-alive sits after the fixed header (2 bytes), "MQTT" (6), level and flags (2).
            bytes[10] = 0;
            bytes[11] = 0;
            let info = info_of(&bytes);
            assert_eq!(info.keep_alive_secs, 0);
            let out = connect_for_router(&info, bytes).unwrap();
            // No keep-alive: the session never times the client out (session.rs).
            assert_eq!(info_of(&out).keep_alive_secs, 0, "{id}");
        }
    }
}
