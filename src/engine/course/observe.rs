//! Turns one connection's tapped records into what a learner did (connected, subscribed, published at
//! QoS 1 and got the PUBACK, received a queued message…), following each connection's packet chains.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;

use super::LearnerKey;
use crate::engine::trace::{CONNECTION_END, MALFORMED, PacketRecord, TapRecord, TraceDirection};

/// Connections followed at once; the oldest is forgotten beyond this.
pub const MAX_CONNECTIONS: usize = 4_000;
/// Unfinished QoS 1/2 exchanges followed per connection.
const MAX_PENDING: usize = 64;

/// One thing a learner's client did, as the checks read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The broker accepted a CONNECT with these settings.
    Connected {
        protocol: String,
        clean_start: bool,
        keep_alive_s: u64,
        will: bool,
        /// The broker had kept a session for this client id (CONNACK session present).
        resumed: bool,
    },
    /// A client that connected before the course opened showed up (no check ticks on it).
    AlreadyConnected,
    Subscribed {
        filters: Vec<(String, u8)>,
    },
    Unsubscribed {
        filters: Vec<String>,
    },
    /// The client sent a PUBLISH.
    Published {
        topic: String,
        qos: u8,
        retain: bool,
        protocol: String,
        message_expiry: bool,
        user_property: bool,
    },
    /// The broker finished a PUBLISH the client sent: PUBACK for QoS 1, PUBCOMP after PUBREC and
    /// PUBREL for QoS 2.
    Completed {
        topic: String,
        qos: u8,
    },
    /// The broker delivered a PUBLISH to the client; `queued` when it came on a resumed session
    /// before the client subscribed to anything on this connection.
    Received {
        topic: String,
        retain: bool,
        queued: bool,
    },
    /// The connection ended; `will_published` names the will's topic when the broker published it.
    Ended {
        clean: bool,
        had_will: bool,
        will_published: Option<String>,
    },
}

/// Who a connection belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    pub name: String,
    pub key: LearnerKey,
    pub username: Option<String>,
}

/// What one record told about a learner.
#[derive(Debug)]
pub struct Seen {
    pub learner: Learner,
    /// The front door's number for the connection.
    pub connection: u64,
    pub client_id: Arc<str>,
    pub observation: Observation,
}

#[derive(Debug)]
struct Pending {
    id: u64,
    topic: String,
    qos: u8,
    /// For QoS 2: the broker's PUBREC came and the client's PUBREL is awaited (or came).
    released: bool,
}

#[derive(Debug)]
struct ConnectionState {
    learner: Learner,
    client_id: Arc<str>,
    protocol: String,
    clean_start: bool,
    keep_alive_s: u64,
    will: bool,
    resumed: bool,
    /// The broker accepted the CONNECT (a refused one never made a learner).
    accepted: bool,
    /// The broker answered a SUBSCRIBE on this connection.
    subscribed_here: bool,
    pending: VecDeque<Pending>,
}

/// Every followed connection, by the front door's connection number.
#[derive(Debug, Default)]
pub struct Observer {
    connections: HashMap<u64, ConnectionState>,
    order: VecDeque<u64>,
}

fn text<'r>(record: &'r PacketRecord, name: &str) -> Option<&'r str> {
    record.field(name).and_then(Value::as_str)
}

fn number(record: &PacketRecord, name: &str) -> Option<u64> {
    record.field(name).and_then(Value::as_u64)
}

fn flag(record: &PacketRecord, name: &str) -> bool {
    record.field(name).and_then(Value::as_bool).unwrap_or(false)
}

/// How a learner is known: user name, else client id, else the address they came from.
pub fn learner_of(client_id: &str, username: Option<&str>, peer: Option<SocketAddr>) -> Learner {
    let username = username.filter(|u| !u.is_empty()).map(str::to_owned);
    if let Some(name) = &username {
        return Learner {
            name: name.clone(),
            key: LearnerKey::UserName,
            username,
        };
    }
    if !client_id.is_empty() {
        return Learner {
            name: client_id.to_owned(),
            key: LearnerKey::ClientId,
            username: None,
        };
    }
    Learner {
        name: peer
            .map(|p| p.ip().to_string())
            .unwrap_or_else(|| "unknown address".to_owned()),
        key: LearnerKey::Address,
        username: None,
    }
}

impl Observer {
    /// Connections being followed now.
    pub fn connections_followed(&self) -> usize {
        self.connections.len()
    }

    /// Follows one record (what it tells, in order); `ignore` says whether a new connection's
    /// client is the app's own.
    pub fn observe(&mut self, tap: &TapRecord, ignore: impl Fn(&str) -> bool) -> Vec<Seen> {
        let record = &tap.record;
        let connection = record.connection;
        if record.packet == "CONNECT" && record.direction == TraceDirection::In {
            if ignore(&record.client) {
                return Vec::new();
            }
            let learner = learner_of(&record.client, tap.who.username.as_deref(), tap.who.peer);
            self.insert(
                connection,
                ConnectionState {
                    learner,
                    client_id: record.client.clone(),
                    protocol: text(record, "protocol").unwrap_or("3.1.1").to_owned(),
                    clean_start: flag(record, "clean_start"),
                    keep_alive_s: number(record, "keep_alive_s").unwrap_or(0),
                    will: record.field("will_topic").is_some(),
                    resumed: false,
                    accepted: false,
                    subscribed_here: false,
                    pending: VecDeque::new(),
                },
            );
            return Vec::new();
        }
        let ended = record.packet == CONNECTION_END;
        let mut observations = Vec::new();
        if !self.connections.contains_key(&connection) {
            // A client connected before the course opened: followed from its next packet on (its
            // CONNECT was not seen, so the connection checks wait for its next one).
            if ended || ignore(&record.client) {
                return Vec::new();
            }
            self.insert(
                connection,
                ConnectionState {
                    learner: learner_of(&record.client, tap.who.username.as_deref(), tap.who.peer),
                    client_id: record.client.clone(),
                    protocol: tap.who.protocol.to_owned(),
                    clean_start: true,
                    keep_alive_s: 0,
                    will: false,
                    resumed: false,
                    accepted: true,
                    subscribed_here: true,
                    pending: VecDeque::new(),
                },
            );
            observations.push(Observation::AlreadyConnected);
        }
        let Some(state) = self.connections.get_mut(&connection) else {
            return Vec::new();
        };
        // A client that sends everything at once (paho 2: CONNECT, PUBLISH, DISCONNECT) may be gone
        // before the broker's CONNACK reaches the trace; the front door only lets in connections it
        // accepted, so what such a client sends after its CONNECT shows it connected.
        let went_on = record.direction == TraceDirection::In
            && record.packet != MALFORMED
            && (!ended || text(record, "how") == Some("clean disconnect"));
        if !state.accepted && went_on {
            state.accepted = true;
            observations.push(Observation::Connected {
                protocol: state.protocol.clone(),
                clean_start: state.clean_start,
                keep_alive_s: state.keep_alive_s,
                will: state.will,
                // Not known yet; the CONNACK, if it comes, tells.
                resumed: !state.clean_start,
            });
        }
        observations.extend(step(state, record));
        let (learner, client_id) = if ended {
            let Some(state) = self.connections.remove(&connection) else {
                return Vec::new();
            };
            self.order.retain(|c| *c != connection);
            (state.learner, state.client_id)
        } else {
            (state.learner.clone(), state.client_id.clone())
        };
        observations
            .into_iter()
            .map(|observation| Seen {
                learner: learner.clone(),
                connection,
                client_id: client_id.clone(),
                observation,
            })
            .collect()
    }

    fn insert(&mut self, connection: u64, state: ConnectionState) {
        if self.connections.len() >= MAX_CONNECTIONS
            && let Some(oldest) = self.order.pop_front()
        {
            self.connections.remove(&oldest);
        }
        self.connections.insert(connection, state);
        self.order.push_back(connection);
    }
}

/// What one record means for its connection.
fn step(state: &mut ConnectionState, record: &PacketRecord) -> Option<Observation> {
    use TraceDirection::{In, Out};
    match (record.packet, record.direction) {
        ("CONNACK", Out) => {
            if text(record, "result") != Some("accepted") {
                return None;
            }
            state.resumed = flag(record, "session_present");
            state.accepted = true;
            Some(Observation::Connected {
                protocol: state.protocol.clone(),
                clean_start: state.clean_start,
                keep_alive_s: state.keep_alive_s,
                will: state.will,
                resumed: state.resumed,
            })
        }
        ("SUBACK", Out) => {
            // Messages before the broker's first SUBACK on a resumed session were queued for it
            // (a client that subscribes again right after connecting still gets them first).
            state.subscribed_here = true;
            None
        }
        ("SUBSCRIBE", In) => {
            let filters = record
                .field("filters")
                .and_then(Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter_map(|f| {
                            let filter = f.get("filter")?.as_str()?.to_owned();
                            let qos = f.get("qos").and_then(Value::as_u64).unwrap_or(0) as u8;
                            Some((filter, qos))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Observation::Subscribed { filters })
        }
        ("UNSUBSCRIBE", In) => {
            let filters = record
                .field("filters")
                .and_then(Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter_map(|f| f.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Some(Observation::Unsubscribed { filters })
        }
        ("PUBLISH", In) => {
            let topic = text(record, "topic").unwrap_or_default().to_owned();
            let qos = number(record, "qos").unwrap_or(0) as u8;
            if qos > 0
                && let Some(id) = record.packet_id()
            {
                state.pending.retain(|p| p.id != id);
                if state.pending.len() >= MAX_PENDING {
                    state.pending.pop_front();
                }
                state.pending.push_back(Pending {
                    id,
                    topic: topic.clone(),
                    qos,
                    released: false,
                });
            }
            Some(Observation::Published {
                topic,
                qos,
                retain: flag(record, "retain"),
                protocol: state.protocol.clone(),
                message_expiry: record.field("message_expiry_s").is_some(),
                user_property: record.field("user_properties").is_some(),
            })
        }
        ("PUBACK", Out) => finish(state, record, 1),
        ("PUBREC", Out) => {
            let id = record.packet_id()?;
            if let Some(p) = state.pending.iter_mut().find(|p| p.id == id && p.qos == 2) {
                p.released = true;
            }
            None
        }
        ("PUBCOMP", Out) => finish(state, record, 2),
        ("PUBLISH", Out) => Some(Observation::Received {
            topic: text(record, "topic").unwrap_or_default().to_owned(),
            retain: flag(record, "retain"),
            queued: state.resumed && !state.subscribed_here && !flag(record, "retain"),
        }),
        (CONNECTION_END, _) if state.accepted => Some(Observation::Ended {
            clean: text(record, "how") == Some("clean disconnect"),
            had_will: state.will,
            will_published: flag(record, "will_published")
                .then(|| text(record, "will_topic").unwrap_or_default().to_owned()),
        }),
        _ => None,
    }
}

/// A PUBACK (QoS 1) or PUBCOMP (QoS 2, after PUBREC) from the broker for a PUBLISH the client sent.
fn finish(state: &mut ConnectionState, record: &PacketRecord, qos: u8) -> Option<Observation> {
    let id = record.packet_id()?;
    let at = state
        .pending
        .iter()
        .position(|p| p.id == id && p.qos == qos && (qos == 1 || p.released))?;
    let pending = state.pending.remove(at)?;
    Some(Observation::Completed {
        topic: pending.topic,
        qos,
    })
}
