//! MQTT 5 packets (both directions) and their properties turned into trace fields, read by rumqttc's
//! maintained parser (rumqttd's own reader has no CONNACK case for MQTT 5 and hides a PUBLISH's QoS).

use bytes::BytesMut;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, Packet, SubscribeReasonCode};

use super::decode::{Decoded, words};
use super::fields::{Fields, object, publish_label, short, topic_text};

/// Decodes one whole frame; the parser's error in words when it refuses it.
pub fn decode(frame: &[u8]) -> Result<Decoded, String> {
    // A DISCONNECT may be just two bytes in MQTT 5 (reason 0, no properties); the parser wants more.
    if frame == [0xE0, 0x00] {
        let mut f = Fields::default();
        f.put("reason", "normal disconnection");
        return Ok(Decoded {
            packet: "DISCONNECT",
            label: "DISCONNECT".to_owned(),
            fields: f.0,
        });
    }
    let mut stream = BytesMut::from(frame);
    let max = u32::try_from(frame.len()).unwrap_or(u32::MAX).max(1);
    let packet = Packet::read(&mut stream, Some(max)).map_err(|e| e.to_string())?;
    let mut f = Fields::default();
    let (name, label) = match packet {
        Packet::Connect(c, will, login) => {
            f.text("client_id", &c.client_id);
            f.put("protocol", "5");
            f.put("clean_start", c.clean_start);
            f.put("keep_alive_s", c.keep_alive);
            if let Some(p) = &c.properties {
                f.maybe("session_expiry_s", p.session_expiry_interval);
                f.maybe("receive_maximum", p.receive_maximum);
                f.maybe("max_packet_size", p.max_packet_size);
                f.maybe("topic_alias_max", p.topic_alias_max);
                f.maybe_text("authentication_method", p.authentication_method.as_deref());
                f.user_properties(&p.user_properties);
            }
            if let Some(will) = &will {
                f.put("will_topic", topic_text(&will.topic));
                f.put("will_qos", will.qos as u8);
                f.put("will_retain", will.retain);
                f.put("will_payload_size", will.message.len() as u64);
                if let Some(p) = &will.properties {
                    f.maybe("will_delay_s", p.delay_interval);
                    f.maybe("will_message_expiry_s", p.message_expiry_interval);
                    f.maybe_text("will_content_type", p.content_type.as_deref());
                }
            }
            // The password is never recorded: only whether a user name came.
            f.put("username_present", login.is_some());
            (
                "CONNECT",
                format!("CONNECT {} (MQTT 5)", short(&c.client_id)),
            )
        }
        Packet::ConnAck(a) => {
            f.put("session_present", a.session_present);
            let result = connack_words(a.code);
            f.put("result", result.clone());
            if let Some(p) = &a.properties {
                f.maybe("session_expiry_s", p.session_expiry_interval);
                f.maybe("receive_maximum", p.receive_max);
                f.maybe("maximum_qos", p.max_qos);
                f.maybe("topic_alias_max", p.topic_alias_max);
                f.maybe("server_keep_alive_s", p.server_keep_alive);
                f.maybe_text(
                    "assigned_client_id",
                    p.assigned_client_identifier.as_deref(),
                );
                f.maybe_text("reason_string", p.reason_string.as_deref());
                f.user_properties(&p.user_properties);
            }
            ("CONNACK", format!("CONNACK {result}"))
        }
        Packet::Publish(p) => {
            let topic = topic_text(&p.topic);
            f.text("topic", &topic);
            f.put("qos", p.qos as u8);
            f.put("retain", p.retain);
            f.put("dup", p.dup);
            if p.qos as u8 > 0 {
                f.put("packet_id", p.pkid);
            }
            f.payload(&p.payload);
            if let Some(props) = &p.properties {
                f.maybe(
                    "payload_format_utf8",
                    props.payload_format_indicator.map(|x| x == 1),
                );
                f.maybe("message_expiry_s", props.message_expiry_interval);
                f.maybe("topic_alias", props.topic_alias);
                f.maybe_text("content_type", props.content_type.as_deref());
                f.maybe_text("response_topic", props.response_topic.as_deref());
                f.maybe_bytes("correlation_data", props.correlation_data.as_deref());
                if !props.subscription_identifiers.is_empty() {
                    f.put(
                        "subscription_ids",
                        props
                            .subscription_identifiers
                            .iter()
                            .map(|x| *x as u64)
                            .collect::<Vec<_>>(),
                    );
                }
                f.user_properties(&props.user_properties);
            }
            let label = publish_label(&topic, p.qos as u8, p.retain, p.dup, p.pkid);
            ("PUBLISH", label)
        }
        Packet::PubAck(a) => {
            let props = a
                .properties
                .as_ref()
                .map(|p| (&p.reason_string, &p.user_properties));
            ack(&mut f, "PUBACK", a.pkid, words(&a.reason), props)
        }
        Packet::PubRec(a) => {
            let props = a
                .properties
                .as_ref()
                .map(|p| (&p.reason_string, &p.user_properties));
            ack(&mut f, "PUBREC", a.pkid, words(&a.reason), props)
        }
        Packet::PubRel(a) => {
            let props = a
                .properties
                .as_ref()
                .map(|p| (&p.reason_string, &p.user_properties));
            ack(&mut f, "PUBREL", a.pkid, words(&a.reason), props)
        }
        Packet::PubComp(a) => {
            let props = a
                .properties
                .as_ref()
                .map(|p| (&p.reason_string, &p.user_properties));
            ack(&mut f, "PUBCOMP", a.pkid, words(&a.reason), props)
        }
        Packet::Subscribe(s) => {
            f.put("packet_id", s.pkid);
            let filters = s
                .filters
                .iter()
                .map(|filter| {
                    object(vec![
                        ("filter", topic_text(filter.path.as_bytes()).into()),
                        ("qos", (filter.qos as u8).into()),
                        ("no_local", filter.nolocal.into()),
                        ("retain_as_published", filter.preserve_retain.into()),
                        ("retain_handling", words(&filter.retain_forward_rule).into()),
                    ])
                })
                .collect::<Vec<_>>();
            let first = s
                .filters
                .first()
                .map(|x| short(&x.path))
                .unwrap_or_default();
            f.put("filters", filters);
            if let Some(p) = &s.properties {
                f.maybe("subscription_id", p.id.map(|x| x as u64));
                f.user_properties(&p.user_properties);
            }
            ("SUBSCRIBE", format!("SUBSCRIBE {first} id {}", s.pkid))
        }
        Packet::SubAck(s) => {
            f.put("packet_id", s.pkid);
            let granted: Vec<String> = s.return_codes.iter().map(|c| suback_words(*c)).collect();
            let label = format!("SUBACK id {} {}", s.pkid, granted.join(", "));
            f.put("granted", granted);
            if let Some(p) = &s.properties {
                f.maybe_text("reason_string", p.reason_string.as_deref());
                f.user_properties(&p.user_properties);
            }
            ("SUBACK", label)
        }
        Packet::Unsubscribe(u) => {
            f.put("packet_id", u.pkid);
            let first = u.filters.first().map(|x| short(x)).unwrap_or_default();
            f.put(
                "filters",
                u.filters
                    .iter()
                    .map(|t| topic_text(t.as_bytes()))
                    .collect::<Vec<_>>(),
            );
            if let Some(p) = &u.properties {
                f.user_properties(&p.user_properties);
            }
            ("UNSUBSCRIBE", format!("UNSUBSCRIBE {first} id {}", u.pkid))
        }
        Packet::UnsubAck(u) => {
            f.put("packet_id", u.pkid);
            f.put("results", u.reasons.iter().map(words).collect::<Vec<_>>());
            if let Some(p) = &u.properties {
                f.maybe_text("reason_string", p.reason_string.as_deref());
                f.user_properties(&p.user_properties);
            }
            ("UNSUBACK", format!("UNSUBACK id {}", u.pkid))
        }
        Packet::PingReq(_) => ("PINGREQ", "PINGREQ".to_owned()),
        Packet::PingResp(_) => ("PINGRESP", "PINGRESP".to_owned()),
        Packet::Disconnect(d) => {
            let reason = words(&d.reason_code);
            f.put("reason", reason.clone());
            if let Some(p) = &d.properties {
                f.maybe("session_expiry_s", p.session_expiry_interval);
                f.maybe_text("reason_string", p.reason_string.as_deref());
                f.user_properties(&p.user_properties);
            }
            ("DISCONNECT", format!("DISCONNECT {reason}"))
        }
        Packet::Auth(a) => {
            f.put("reason", words(&a.code));
            ("AUTH", "AUTH".to_owned())
        }
    };
    Ok(Decoded {
        packet: name,
        label,
        fields: f.0,
    })
}

type AckProperties<'a> = Option<(&'a Option<String>, &'a Vec<(String, String)>)>;

fn ack(
    f: &mut Fields,
    name: &'static str,
    pkid: u16,
    reason: String,
    properties: AckProperties<'_>,
) -> (&'static str, String) {
    f.put("packet_id", pkid);
    let label = if reason == "success" {
        format!("{name} id {pkid}")
    } else {
        format!("{name} id {pkid} {reason}")
    };
    f.put("reason", reason);
    if let Some((reason_string, user_properties)) = properties {
        f.maybe_text("reason_string", reason_string.as_deref());
        f.user_properties(user_properties);
    }
    (name, label)
}

fn connack_words(code: ConnectReturnCode) -> String {
    match code {
        ConnectReturnCode::Success => "accepted".to_owned(),
        other => format!("refused: {}", words(&other)),
    }
}

fn suback_words(code: SubscribeReasonCode) -> String {
    match code {
        SubscribeReasonCode::Success(qos) => format!("granted QoS {}", qos as u8),
        other => format!("failure: {}", words(&other)),
    }
}
