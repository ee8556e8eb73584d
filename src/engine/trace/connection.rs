//! One client connection's trace: its CONNECT, its two legs, and how it ended.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use super::TraceAccess;
use super::decode::{Decoded, decode_frame};
use super::fields::Fields;
use super::leg::{FrameLength, Leg, frame_length};
use super::record::{CONNECTION_END, PacketRecord, TraceDirection};
use super::tap::{TapConnection, TapRecord};
use crate::engine::mqtt_wire::{ConnectInfo, ProtocolVersion};

/// How a connection ended, as the front door saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEnd {
    /// The client sent DISCONNECT.
    Clean,
    /// The connection dropped without a DISCONNECT (a killed device, a lost network).
    Lost,
    /// The broker closed it.
    ClosedByBroker,
    /// The broker was stopping.
    BrokerStopping,
    /// A newer connection with the same client id took the session over.
    TakenOver,
    /// The broker refused the CONNECT.
    Refused(String),
    /// A packet that could not be followed; the words say which side sent it.
    Malformed(String),
}

/// The trace of one connection; legs hold it while bytes flow.
#[derive(Debug)]
pub struct ConnectionTrace {
    access: TraceAccess,
    client: Arc<str>,
    connection: u64,
    version: ProtocolVersion,
    will_topic: Option<String>,
    /// Who the connection is, for the course's tap.
    who: Arc<TapConnection>,
}

impl ConnectionTrace {
    /// Starts a connection's trace with its CONNECT. `connect_frame` is the packet exactly as the
    /// client sent it; `info` is what the front door read from it (the client's own id).
    pub fn begin(
        access: &TraceAccess,
        info: &ConnectInfo,
        connection: u64,
        connect_frame: &[u8],
    ) -> Arc<Self> {
        Self::begin_at(access, info, connection, connect_frame, None)
    }

    /// [`ConnectionTrace::begin`] knowing where the connection came from (the course's roster shows
    /// learners without a user name or client id by address).
    pub fn begin_at(
        access: &TraceAccess,
        info: &ConnectInfo,
        connection: u64,
        connect_frame: &[u8],
        peer: Option<SocketAddr>,
    ) -> Arc<Self> {
        let trace = Arc::new(Self {
            access: access.clone(),
            client: info.client_id.as_str().into(),
            connection,
            version: info.version,
            will_topic: info.will.as_ref().map(|w| w.topic.clone()),
            who: Arc::new(TapConnection {
                username: info.username.clone(),
                peer,
                protocol: info.version.label(),
            }),
        });
        let decoded = match info.version {
            // The parser reads 3.1.1 and 5; a 3.1 CONNECT ("MQIsdp") is described from what the door read.
            ProtocolVersion::V31 => connect_from_info(info),
            _ => {
                let mut decoded = decode_frame(info.version, connect_frame);
                if decoded.packet == "CONNECT" {
                    // Always the client's own id, whatever a rewritten CONNECT carries on.
                    for (name, value) in &mut decoded.fields {
                        if *name == "client_id" {
                            *value = Value::String(info.client_id.clone());
                        }
                    }
                }
                decoded
            }
        };
        trace.record_all(TraceDirection::In, vec![decoded]);
        trace
    }

    pub(super) fn access(&self) -> &TraceAccess {
        &self.access
    }

    pub(super) fn version(&self) -> ProtocolVersion {
        self.version
    }

    pub(super) fn is_watched(&self) -> bool {
        self.access.is_watched(&self.client)
    }

    /// The client-to-broker leg, given the bytes that carried the CONNECT (and whatever the client
    /// sent right behind it, which the leg reads now) and whether they ended at a packet boundary.
    pub fn client_leg(self: &Arc<Self>, connect_bytes: &[u8], at_boundary_after: bool) -> Leg {
        let mut leg = Leg::new(self.clone(), TraceDirection::In, false);
        if let FrameLength::Known(length) = frame_length(connect_bytes)
            && let Some(rest) = connect_bytes.get(length..)
            && !rest.is_empty()
        {
            leg.feed(rest, at_boundary_after);
        }
        leg
    }

    /// The broker-to-client leg: its first packet (the CONNACK) is always recorded.
    pub fn broker_leg(self: &Arc<Self>) -> Leg {
        Leg::new(self.clone(), TraceDirection::Out, true)
    }

    /// Records how the connection ended (and that the broker publishes the will, when it does).
    pub fn end(&self, end: ConnectionEnd) {
        let mut f = Fields::default();
        let will_sent = matches!(
            end,
            ConnectionEnd::Lost | ConnectionEnd::Malformed(_) | ConnectionEnd::TakenOver
        );
        let how = match &end {
            ConnectionEnd::Clean => "clean disconnect".to_owned(),
            ConnectionEnd::Lost => "connection lost".to_owned(),
            ConnectionEnd::ClosedByBroker => "closed by the broker".to_owned(),
            ConnectionEnd::BrokerStopping => "the broker stopped".to_owned(),
            ConnectionEnd::TakenOver => {
                "taken over by a newer connection with the same client id".to_owned()
            }
            ConnectionEnd::Refused(why) => format!("refused: {why}"),
            ConnectionEnd::Malformed(why) => format!("closed: {why}"),
        };
        f.put("how", how.clone());
        let mut label = format!("connection ended: {how}");
        if let Some(topic) = self.will_topic.as_ref().filter(|_| will_sent) {
            f.put("will_published", true);
            f.text("will_topic", topic);
            label.push_str(&format!(
                "; will published on {}",
                super::fields::short(topic)
            ));
        }
        self.record_all(
            TraceDirection::In,
            vec![Decoded {
                packet: CONNECTION_END,
                label,
                fields: f.0,
            }],
        );
    }

    /// Stores every record (and offers them to a running course).
    pub(super) fn record_all(&self, direction: TraceDirection, decoded: Vec<Decoded>) {
        self.record(direction, decoded, usize::MAX);
    }

    /// Stores the first `keep` records; a running course is offered all of them.
    pub(super) fn record(&self, direction: TraceDirection, decoded: Vec<Decoded>, keep: usize) {
        if decoded.is_empty() {
            return;
        }
        let tapping = self.access.tapping();
        if keep == 0 && !tapping {
            return;
        }
        let time = SystemTime::now();
        let mut records = decoded.into_iter().map(|d| PacketRecord {
            seq: 0,
            time,
            client: self.client.clone(),
            connection: self.connection,
            direction,
            packet: d.packet,
            label: d.label,
            fields: d.fields,
        });
        let stored = if keep > 0 {
            self.access.push_all(records.by_ref().take(keep))
        } else {
            Vec::new()
        };
        if tapping {
            let who = &self.who;
            self.access
                .offer_to_tap(
                    stored
                        .into_iter()
                        .chain(records.map(Arc::new))
                        .map(|record| TapRecord {
                            record,
                            who: who.clone(),
                        }),
                );
        }
    }
}

fn connect_from_info(info: &ConnectInfo) -> Decoded {
    let mut f = Fields::default();
    f.text("client_id", &info.client_id);
    f.put("protocol", info.version.label());
    f.put("clean_start", info.clean_start);
    f.put("keep_alive_s", info.keep_alive_secs);
    if let Some(will) = &info.will {
        f.text("will_topic", &will.topic);
        f.put("will_qos", will.qos);
        f.put("will_retain", will.retain);
        f.put("will_payload_size", will.payload_len as u64);
    }
    f.put("username_present", info.username.is_some());
    Decoded {
        packet: "CONNECT",
        label: format!(
            "CONNECT {} (MQTT 3.1)",
            super::fields::short(&info.client_id)
        ),
        fields: f.0,
    }
}
