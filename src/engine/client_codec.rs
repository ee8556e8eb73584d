//! rumqttd's MQTT codecs wrapped for the sessions the front door serves (session.rs), so no client
//! input reaches their panics and nothing that would crash the router reaches it.
//!
//! A panic in a session's task would end that client's connection without a word. Two are reachable:
//! - `V4::write` hits `unreachable!` for any packet carrying MQTT 5 properties. A v5 client's
//!   PUBLISH with a user property (or a will with properties) reaches every 3.1.1 subscriber of
//!   the topic that way. MQTT 3.1.1 has no properties, so they are dropped for those clients.
//! - `V5::read_mut` hits `unreachable!` for a CONNACK or UNSUBACK with a body, packets only a server
//!   sends. Packets a client must never send are refused as a protocol error, for both versions.
//!
//! One panic in the router is reachable too, and it stops the broker until it is stopped and started
//! again (which makes a new router, without the old one's retained messages and sessions): a persistent session (clean session off) that subscribed to a shared
//! subscription (`$share/group/filter`) and disconnects with a QoS 1/2 message in flight hits
//! `expect("group must exists")`. Persistent sessions may therefore not subscribe to `$share/…`:
//! such a SUBSCRIBE closes the connection. (Each connection gets its own copy of the codec, so the
//! session flag read from its CONNECT is per connection.)

use bytes::BytesMut;
use rumqttd::protocol::{Error, Packet, Protocol, v4::V4, v5::V5};

/// Packet types only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP).
const SERVER_ONLY_TYPES: [u8; 4] = [2, 9, 11, 13];

/// A client packet type only a server may send: a protocol error, never handed to the codec.
fn refuse_server_only(stream: &BytesMut) -> Result<(), Error> {
    match stream.first().map(|byte| byte >> 4) {
        Some(kind) if SERVER_ONLY_TYPES.contains(&kind) => Err(Error::InvalidPacketType(kind)),
        _ => Ok(()),
    }
}

/// Remembers whether the connection's session is persistent and refuses what would crash the router.
fn check_client_packet(persistent_session: &mut bool, packet: Packet) -> Result<Packet, Error> {
    match &packet {
        Packet::Connect(connect, _, will, ..) => {
            // A will is published like a PUBLISH, so its topic follows the same rules.
            if will
                .as_ref()
                .is_some_and(|will| !publish_topic_is_valid(&will.topic, false))
            {
                return Err(Error::InvalidProtocol);
            }
            *persistent_session = !connect.clean_session;
        }
        Packet::Subscribe(subscribe, _)
            if *persistent_session
                && subscribe
                    .filters
                    .iter()
                    .any(|filter| filter.path.starts_with("$share/")) =>
        {
            return Err(Error::InvalidProtocol);
        }
        // MQTT says a topic with a wildcard or a NUL, and a malformed filter, end the connection;
        // rumqttd would take them, so they are refused here, where the packet is decoded anyway.
        Packet::Publish(publish, properties) => {
            let aliased = properties.as_ref().is_some_and(|p| p.topic_alias.is_some());
            if !publish_topic_is_valid(&publish.topic, aliased) {
                return Err(Error::InvalidProtocol);
            }
        }
        Packet::Subscribe(subscribe, _)
            if subscribe
                .filters
                .iter()
                .any(|filter| !filter_is_valid(&filter.path)) =>
        {
            return Err(Error::InvalidProtocol);
        }
        Packet::Unsubscribe(unsubscribe, _)
            if unsubscribe.filters.iter().any(|f| !filter_is_valid(f)) =>
        {
            return Err(Error::InvalidProtocol);
        }
        _ => {}
    }
    Ok(packet)
}

/// A PUBLISH topic: UTF-8 without wildcards or NUL; empty only when an MQTT 5 topic alias stands in.
fn publish_topic_is_valid(topic: &[u8], aliased: bool) -> bool {
    match std::str::from_utf8(topic) {
        Ok("") => aliased,
        Ok(topic) => !topic.contains('\0') && rumqttd::protocol::valid_topic(topic),
        Err(_) => false,
    }
}

/// A SUBSCRIBE or UNSUBSCRIBE filter: not empty, no NUL, wildcards only where MQTT allows them.
fn filter_is_valid(filter: &str) -> bool {
    !filter.contains('\0') && rumqttd::protocol::valid_filter(filter)
}

/// MQTT 3.1.1: packets from MQTT 5 clients lose their properties.
#[derive(Debug, Clone, Copy, Default)]
pub struct SafeV4 {
    persistent_session: bool,
}

impl Protocol for SafeV4 {
    fn read_mut(&mut self, stream: &mut BytesMut, max_size: usize) -> Result<Packet, Error> {
        refuse_server_only(stream)?;
        let packet = V4.read_mut(stream, max_size)?;
        check_client_packet(&mut self.persistent_session, packet)
    }

    fn write(&self, packet: Packet, write: &mut BytesMut) -> Result<usize, Error> {
        V4.write(without_properties(packet), write)
    }
}

/// MQTT 5.
#[derive(Debug, Clone, Copy, Default)]
pub struct SafeV5 {
    persistent_session: bool,
}

impl Protocol for SafeV5 {
    fn read_mut(&mut self, stream: &mut BytesMut, max_size: usize) -> Result<Packet, Error> {
        refuse_server_only(stream)?;
        add_disconnect_property_length(stream);
        let packet = V5.read_mut(stream, max_size)?;
        check_client_packet(&mut self.persistent_session, packet)
    }

    fn write(&self, packet: Packet, write: &mut BytesMut) -> Result<usize, Error> {
        V5.write(packet, write)
    }
}

/// MQTT 5 lets a DISCONNECT end right after its reason code (no property length: none); rumqttd's
/// reader wants the property length and would misread such a packet, so it is added.
fn add_disconnect_property_length(stream: &mut BytesMut) {
    if let Some(&[0xE0, 0x01, reason]) = stream.get(..3) {
        let mut fixed = BytesMut::with_capacity(stream.len() + 1);
        fixed.extend_from_slice(&[0xE0, 0x02, reason, 0x00]);
        fixed.extend_from_slice(stream.get(3..).unwrap_or_default());
        *stream = fixed;
    }
}

/// The same packet as MQTT 3.1.1 can carry it: every MQTT 5 property dropped.
fn without_properties(packet: Packet) -> Packet {
    match packet {
        Packet::Connect(connect, _, will, _, login) => {
            Packet::Connect(connect, None, will, None, login)
        }
        Packet::ConnAck(ack, _) => Packet::ConnAck(ack, None),
        Packet::Publish(publish, _) => Packet::Publish(publish, None),
        Packet::PubAck(ack, _) => Packet::PubAck(ack, None),
        Packet::PubRec(rec, _) => Packet::PubRec(rec, None),
        Packet::PubRel(rel, _) => Packet::PubRel(rel, None),
        Packet::PubComp(comp, _) => Packet::PubComp(comp, None),
        Packet::Subscribe(subscribe, _) => Packet::Subscribe(subscribe, None),
        Packet::SubAck(ack, _) => Packet::SubAck(ack, None),
        Packet::Unsubscribe(unsubscribe, _) => Packet::Unsubscribe(unsubscribe, None),
        Packet::UnsubAck(ack, _) => Packet::UnsubAck(ack, None),
        Packet::Disconnect(disconnect, _) => Packet::Disconnect(disconnect, None),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttd::protocol::{Publish, PublishProperties};

    #[test]
    fn a_packet_moves_in_under_a_hundred_bytes() {
        // Every message is moved as a `Packet` several times on its way through the broker; the
        // rumqttd patch boxes CONNECT's, CONNACK's and PUBLISH's large parts (392 bytes unboxed).
        let size = std::mem::size_of::<Packet>();
        assert!(size <= 96, "a Packet is {size} bytes");
    }

    #[test]
    fn a_v5_disconnect_with_only_a_reason_code_is_read_with_its_reason() {
        // MQTT 5 allows the property length to be left out; rumqttd's reader asked for more bytes.
        let mut stream = BytesMut::from(&[0xE0, 0x01, 0x04, 0xC0, 0x00][..]);
        let packet = SafeV5::default().read_mut(&mut stream, 1024);
        assert!(
            matches!(
                &packet,
                Ok(Packet::Disconnect(d, None))
                    if d.reason_code == rumqttd::protocol::DisconnectReasonCode::DisconnectWithWillMessage
            ),
            "{packet:?}"
        );
        // What followed the DISCONNECT is left as it was.
        assert_eq!(&stream[..], &[0xC0, 0x00]);
    }

    fn publish_with_user_property() -> Packet {
        let publish = Publish::new("mixed/1", "hi", false);
        let properties = PublishProperties {
            payload_format_indicator: None,
            message_expiry_interval: None,
            topic_alias: None,
            response_topic: None,
            correlation_data: None,
            user_properties: vec![("k".to_owned(), "v".to_owned())],
            subscription_identifiers: vec![],
            content_type: Some("text/plain".to_owned()),
        };
        Packet::Publish(publish, Some(Box::new(properties)))
    }

    #[test]
    fn a_v5_publish_reaches_a_v4_client_without_its_properties() {
        let mut out = BytesMut::new();
        SafeV4::default()
            .write(publish_with_user_property(), &mut out)
            .unwrap();
        let Ok(Packet::Publish(read, None)) = V4.read_mut(&mut out, usize::MAX) else {
            panic!("a plain 3.1.1 PUBLISH");
        };
        assert_eq!(
            (&read.topic[..], &read.payload[..]),
            (&b"mixed/1"[..], &b"hi"[..])
        );
    }

    #[test]
    fn a_v5_publish_keeps_its_properties_for_v5_clients() {
        let mut out = BytesMut::new();
        SafeV5::default()
            .write(publish_with_user_property(), &mut out)
            .unwrap();
        let Ok(Packet::Publish(_, Some(properties))) = V5.read_mut(&mut out, usize::MAX) else {
            panic!("a v5 PUBLISH with properties");
        };
        assert_eq!(properties.user_properties, vec![("k".into(), "v".into())]);
    }

    #[test]
    fn packets_only_a_server_sends_are_refused_not_panicked_on() {
        for packet in [
            &[0x20, 0x03, 0x00, 0x00, 0x00][..],       // CONNACK
            &[0xB0, 0x04, 0x00, 0x01, 0x00, 0x00][..], // UNSUBACK
            &[0x90, 0x03, 0x00, 0x01, 0x00][..],       // SUBACK
            &[0xD0, 0x00][..],                         // PINGRESP
        ] {
            let mut stream = BytesMut::from(packet);
            assert!(
                SafeV5::default().read_mut(&mut stream, 1024).is_err(),
                "{packet:02X?}"
            );
            let mut stream = BytesMut::from(packet);
            assert!(
                SafeV4::default().read_mut(&mut stream, 1024).is_err(),
                "{packet:02X?}"
            );
        }
        let mut ping = BytesMut::from(&[0xC0, 0x00][..]);
        assert!(matches!(
            SafeV5::default().read_mut(&mut ping, 1024),
            Ok(Packet::PingReq(_))
        ));
    }

    #[test]
    fn a_persistent_session_may_not_subscribe_to_a_shared_subscription() {
        let connect = |clean: bool| {
            let connect = rumqttd::protocol::Connect {
                keep_alive: 30,
                client_id: "c".to_owned(),
                clean_session: clean,
            };
            let mut out = BytesMut::new();
            V4.write(Packet::Connect(connect, None, None, None, None), &mut out)
                .unwrap();
            out
        };
        let subscribe = |path: &str| {
            let filter = rumqttd::protocol::Filter {
                path: path.to_owned(),
                qos: rumqttd::protocol::QoS::AtLeastOnce,
                nolocal: false,
                preserve_retain: false,
                retain_forward_rule: rumqttd::protocol::RetainForwardRule::OnEverySubscribe,
            };
            let subscribe = rumqttd::protocol::Subscribe {
                pkid: 1,
                filters: vec![filter],
            };
            let mut out = BytesMut::new();
            V4.write(Packet::Subscribe(subscribe, None), &mut out)
                .unwrap();
            out
        };
        for (clean, path, allowed) in [
            (false, "$share/g/jobs", false),
            (false, "jobs/#", true),
            (true, "$share/g/jobs", true),
        ] {
            let mut codec = SafeV4::default();
            assert!(codec.read_mut(&mut connect(clean), 1 << 20).is_ok());
            let outcome = codec.read_mut(&mut subscribe(path), 1 << 20);
            assert_eq!(outcome.is_ok(), allowed, "clean {clean}, {path}");
        }
    }

    #[test]
    fn topics_and_filters_mqtt_forbids_are_refused() {
        assert!(publish_topic_is_valid(b"a/b", false));
        assert!(publish_topic_is_valid(b"", true));
        for bad in [&b"a/+/b"[..], b"a/#", b"a/\0/b", b"", &[b'a', 0xFF]] {
            assert!(!publish_topic_is_valid(bad, false), "{bad:?}");
        }
        assert!(filter_is_valid("a/+/b") && filter_is_valid("a/#") && filter_is_valid("#"));
        for bad in ["", "a/#/b", "sport+", "a\0b", "a/b#"] {
            assert!(!filter_is_valid(bad), "{bad:?}");
        }
    }
}
