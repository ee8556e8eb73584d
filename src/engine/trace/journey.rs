//! Follow one message: the publisher's PUBLISH and its handshake, the broker's PUBLISH to every
//! subscriber that got it (each with the packet id the broker chose) and its handshake, and the
//! traced subscribers that did not get it (no matching filter, or the broker dropped it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::record::{PacketRecord, TraceDirection};
use crate::engine::watch::TopicFilter;

/// How long after the publish a delivery still counts as this message's.
pub const DELIVERY_WINDOW: Duration = Duration::from_secs(30);

/// One subscriber's leg of the journey.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub client: Arc<str>,
    /// The packet id the broker gave this copy (QoS 1/2), unrelated to the publisher's.
    pub packet_id: Option<u64>,
    /// The broker's PUBLISH and the acknowledgements that followed, in order.
    pub leg: Vec<Arc<PacketRecord>>,
}

/// A traced subscriber that did not get the message, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    pub client: Arc<str>,
    pub why: String,
}

/// A message's whole journey as far as the trace saw it.
#[derive(Debug, Clone)]
pub struct Journey {
    /// The publisher's PUBLISH and its acknowledgements, in order.
    pub publisher_leg: Vec<Arc<PacketRecord>>,
    pub deliveries: Vec<Delivery>,
    pub missed: Vec<Missed>,
}

impl Journey {
    pub fn publish(&self) -> Option<&Arc<PacketRecord>> {
        self.publisher_leg.first()
    }
}

/// The latest PUBLISH a client sent on `topic` with a payload of `payload_size` bytes, at or before
/// `received` (how a row of the Messages log finds the packet it came from).
pub fn find_publish(
    records: &[Arc<PacketRecord>],
    topic: &str,
    payload_size: usize,
    received: SystemTime,
) -> Option<Arc<PacketRecord>> {
    records
        .iter()
        .rev()
        .filter(|r| r.direction == TraceDirection::In && r.packet == "PUBLISH")
        .filter(|r| r.time <= received + Duration::from_millis(5))
        .find(|r| {
            r.field("topic").and_then(|t| t.as_str()) == Some(topic)
                && r.field("payload_size").and_then(|s| s.as_u64()) == Some(payload_size as u64)
        })
        .cloned()
}

/// Follows the message `publish` (a client's PUBLISH) through `records` (every record, in order).
pub fn follow(records: &[Arc<PacketRecord>], publish: &PacketRecord) -> Journey {
    let topic = publish
        .field("topic")
        .and_then(|t| t.as_str())
        .unwrap_or("");
    let payload = (
        publish.field("payload_size"),
        publish.field("payload_preview"),
    );
    let start = records
        .iter()
        .position(|r| r.seq == publish.seq)
        .unwrap_or(0);
    let after = records.get(start..).unwrap_or_default();
    let publisher_leg = handshake(after, publish, TraceDirection::In);

    // What each traced client was subscribed to when the message came.
    let mut filters: HashMap<Arc<str>, Vec<String>> = HashMap::new();
    for record in records.get(..start).unwrap_or_default() {
        subscriptions(&mut filters, record);
    }
    let deadline = publish.time + DELIVERY_WINDOW;
    let mut deliveries = Vec::new();
    let mut delivered: Vec<Arc<str>> = Vec::new();
    for record in after.iter().skip(1) {
        if record.time > deadline {
            break;
        }
        if record.direction == TraceDirection::Out
            && record.packet == "PUBLISH"
            && !delivered.contains(&record.client)
            && record.field("topic").and_then(|t| t.as_str()) == Some(topic)
            && (
                record.field("payload_size"),
                record.field("payload_preview"),
            ) == payload
        {
            delivered.push(record.client.clone());
            let position = after.iter().position(|r| r.seq == record.seq).unwrap_or(0);
            deliveries.push(Delivery {
                client: record.client.clone(),
                packet_id: record.packet_id(),
                leg: handshake(&after[position..], record, TraceDirection::Out),
            });
        }
    }
    let mut missed: Vec<Missed> = filters
        .into_iter()
        .filter(|(client, list)| !list.is_empty() && !delivered.contains(client))
        .map(|(client, list)| {
            let matching = list
                .iter()
                .any(|f| TopicFilter::parse(f).is_ok_and(|f| f.matches(topic)));
            let why = if matching {
                format!(
                    "its filter matches ({}), but no copy reached it: the broker dropped it (a slow or full subscriber) or it was not connected",
                    list.join(", ")
                )
            } else {
                format!("no matching filter (it subscribes to {})", list.join(", "))
            };
            Missed { client, why }
        })
        .collect();
    missed.sort_by(|a, b| a.client.cmp(&b.client));
    deliveries.sort_by(|a, b| a.client.cmp(&b.client));
    Journey {
        publisher_leg,
        deliveries,
        missed,
    }
}

/// A PUBLISH and the acknowledgements with its packet id on the same connection, in order.
fn handshake(
    from: &[Arc<PacketRecord>],
    publish: &PacketRecord,
    sender: TraceDirection,
) -> Vec<Arc<PacketRecord>> {
    let mut leg: Vec<Arc<PacketRecord>> = from.first().cloned().into_iter().collect();
    let Some(id) = publish.packet_id() else {
        return leg;
    };
    let qos = publish.field("qos").and_then(|q| q.as_u64()).unwrap_or(0);
    let expected: &[(&str, bool)] = match qos {
        1 => &[("PUBACK", false)],
        2 => &[("PUBREC", false), ("PUBREL", true), ("PUBCOMP", false)],
        _ => &[],
    };
    let mut next = 0;
    for record in from.iter().skip(1) {
        let Some(&(packet, from_sender)) = expected.get(next) else {
            break;
        };
        if record.client == publish.client
            && record.connection == publish.connection
            && record.packet == packet
            && record.packet_id() == Some(id)
            && (record.direction == sender) == from_sender
        {
            leg.push(record.clone());
            next += 1;
        }
    }
    leg
}

/// Applies a SUBSCRIBE (or UNSUBSCRIBE, or a new clean connection) to what a client listens to.
fn subscriptions(filters: &mut HashMap<Arc<str>, Vec<String>>, record: &PacketRecord) {
    if record.direction != TraceDirection::In {
        return;
    }
    let list = filters.entry(record.client.clone()).or_default();
    match record.packet {
        "SUBSCRIBE" => {
            let added = record.field("filters").and_then(|f| f.as_array());
            for filter in added.into_iter().flatten() {
                if let Some(path) = filter.get("filter").and_then(|p| p.as_str())
                    && !list.iter().any(|f| f == path)
                {
                    list.push(path.to_owned());
                }
            }
        }
        "UNSUBSCRIBE" => {
            let removed = record.field("filters").and_then(|f| f.as_array());
            for path in removed.into_iter().flatten().filter_map(|p| p.as_str()) {
                list.retain(|f| f != path);
            }
        }
        "CONNECT" if record.field("clean_start").and_then(|c| c.as_bool()) == Some(true) => {
            list.clear();
        }
        _ => {}
    }
}
