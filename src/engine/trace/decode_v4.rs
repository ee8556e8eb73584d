//! MQTT 3.1.1 packets (both directions) turned into trace fields, read by rumqttc's maintained parser.

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet, SubscribeReasonCode};

use super::decode::Decoded;
use super::fields::{Fields, object, publish_label, short, topic_text};

/// Decodes one whole frame; the parser's error in words when it refuses it.
pub fn decode(frame: &[u8]) -> Result<Decoded, String> {
    let mut stream = BytesMut::from(frame);
    let packet = Packet::read(&mut stream, frame.len().max(1)).map_err(|e| e.to_string())?;
    let mut f = Fields::default();
    let (name, label) = match packet {
        Packet::Connect(c) => {
            f.text("client_id", &c.client_id);
            f.put("protocol", "3.1.1");
            f.put("clean_start", c.clean_session);
            f.put("keep_alive_s", c.keep_alive);
            if let Some(will) = &c.last_will {
                f.text("will_topic", &will.topic);
                f.put("will_qos", will.qos as u8);
                f.put("will_retain", will.retain);
                f.put("will_payload_size", will.message.len() as u64);
            }
            // The password is never recorded: only whether a user name came.
            f.put("username_present", c.login.is_some());
            ("CONNECT", format!("CONNECT {}", short(&c.client_id)))
        }
        Packet::ConnAck(a) => {
            f.put("session_present", a.session_present);
            f.put("code", a.code as u8);
            let words = connack_words(a.code);
            f.put("result", words);
            ("CONNACK", format!("CONNACK {words}"))
        }
        Packet::Publish(p) => {
            let topic = topic_text(p.topic.as_bytes());
            f.text("topic", &topic);
            f.put("qos", p.qos as u8);
            f.put("retain", p.retain);
            f.put("dup", p.dup);
            if p.qos as u8 > 0 {
                f.put("packet_id", p.pkid);
            }
            f.payload(&p.payload);
            let label = publish_label(&topic, p.qos as u8, p.retain, p.dup, p.pkid);
            ("PUBLISH", label)
        }
        Packet::PubAck(a) => ack(&mut f, "PUBACK", a.pkid),
        Packet::PubRec(a) => ack(&mut f, "PUBREC", a.pkid),
        Packet::PubRel(a) => ack(&mut f, "PUBREL", a.pkid),
        Packet::PubComp(a) => ack(&mut f, "PUBCOMP", a.pkid),
        Packet::Subscribe(s) => {
            f.put("packet_id", s.pkid);
            let filters = s
                .filters
                .iter()
                .map(|filter| {
                    object(vec![
                        ("filter", topic_text(filter.path.as_bytes()).into()),
                        ("qos", (filter.qos as u8).into()),
                    ])
                })
                .collect::<Vec<_>>();
            let first = s
                .filters
                .first()
                .map(|x| short(&x.path))
                .unwrap_or_default();
            f.put("filters", filters);
            ("SUBSCRIBE", format!("SUBSCRIBE {first} id {}", s.pkid))
        }
        Packet::SubAck(s) => {
            f.put("packet_id", s.pkid);
            let granted: Vec<String> = s.return_codes.iter().map(|c| suback_words(*c)).collect();
            let label = format!("SUBACK id {} {}", s.pkid, granted.join(", "));
            f.put("granted", granted);
            ("SUBACK", label)
        }
        Packet::Unsubscribe(u) => {
            f.put("packet_id", u.pkid);
            let first = u.topics.first().map(|x| short(x)).unwrap_or_default();
            f.put(
                "filters",
                u.topics
                    .iter()
                    .map(|t| topic_text(t.as_bytes()))
                    .collect::<Vec<_>>(),
            );
            ("UNSUBSCRIBE", format!("UNSUBSCRIBE {first} id {}", u.pkid))
        }
        Packet::UnsubAck(u) => ack(&mut f, "UNSUBACK", u.pkid),
        Packet::PingReq => ("PINGREQ", "PINGREQ".to_owned()),
        Packet::PingResp => ("PINGRESP", "PINGRESP".to_owned()),
        Packet::Disconnect => {
            f.put("reason", "normal disconnection");
            ("DISCONNECT", "DISCONNECT".to_owned())
        }
    };
    Ok(Decoded {
        packet: name,
        label,
        fields: f.0,
    })
}

fn ack(f: &mut Fields, name: &'static str, pkid: u16) -> (&'static str, String) {
    f.put("packet_id", pkid);
    (name, format!("{name} id {pkid}"))
}

fn connack_words(code: ConnectReturnCode) -> &'static str {
    match code {
        ConnectReturnCode::Success => "accepted",
        ConnectReturnCode::RefusedProtocolVersion => "refused: unsupported protocol version",
        ConnectReturnCode::BadClientId => "refused: client id not allowed",
        ConnectReturnCode::ServiceUnavailable => "refused: server unavailable",
        ConnectReturnCode::BadUserNamePassword => "refused: bad user name or password",
        ConnectReturnCode::NotAuthorized => "refused: not authorized",
    }
}

fn suback_words(code: SubscribeReasonCode) -> String {
    match code {
        SubscribeReasonCode::Success(qos) => format!("granted QoS {}", qos as u8),
        SubscribeReasonCode::Failure => "failure".to_owned(),
    }
}
