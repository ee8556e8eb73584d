//! One traced packet: who, which way, what, and every field, as kept in memory and written as JSON Lines.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::engine::watch::rfc3339::format_utc_millis;

/// Which way a packet travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceDirection {
    /// Client to broker.
    In,
    /// Broker to client.
    Out,
}

impl TraceDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

/// What the record is: a packet the parser read, one it refused, or the connection's end.
pub const MALFORMED: &str = "MALFORMED";
/// The record that closes a connection's trace (not a packet on the wire).
pub const CONNECTION_END: &str = "CONNECTION END";

/// One packet (or the connection's end) as the trace keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketRecord {
    /// Assigned by the store; strictly increasing.
    pub seq: u64,
    pub time: SystemTime,
    /// The client's own id, as it sent it in its CONNECT.
    pub client: Arc<str>,
    /// The front door's number for the connection (a reconnect gets a new one).
    pub connection: u64,
    pub direction: TraceDirection,
    /// "CONNECT", "PUBLISH", …, [`MALFORMED`] or [`CONNECTION_END`].
    pub packet: &'static str,
    /// A short label for the arrow, e.g. `PUBLISH a/b QoS 1 id 7`.
    pub label: String,
    /// Every field, in the packet's order; values are JSON so export needs no second model.
    pub fields: Vec<(&'static str, Value)>,
}

impl PacketRecord {
    /// The value of a field, if the packet has it.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The packet id, for packets that carry one.
    pub fn packet_id(&self) -> Option<u64> {
        self.field("packet_id").and_then(Value::as_u64)
    }

    /// Roughly what the record costs in memory, for the trace's byte budget.
    pub fn approximate_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.label.len()
            + self
                .fields
                .iter()
                .map(|(_, v)| 24 + value_bytes(v))
                .sum::<usize>()
    }

    /// The record as one JSON object: `time`, `client`, `direction`, `packet`, then the packet's fields.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("time".into(), Value::String(format_utc_millis(self.time)));
        object.insert("client".into(), Value::String(self.client.to_string()));
        object.insert(
            "direction".into(),
            Value::String(self.direction.as_str().into()),
        );
        object.insert("packet".into(), Value::String(self.packet.into()));
        object.insert("connection".into(), Value::from(self.connection));
        for (name, value) in &self.fields {
            object.insert((*name).to_owned(), value.clone());
        }
        Value::Object(object)
    }

    /// The record as one line of JSON Lines (without the newline).
    pub fn to_json_line(&self) -> String {
        self.to_json().to_string()
    }
}

fn value_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 24,
        Value::Array(items) => 24 + items.iter().map(value_bytes).sum::<usize>(),
        Value::Object(map) => {
            24 + map
                .iter()
                .map(|(k, v)| k.len() + 24 + value_bytes(v))
                .sum::<usize>()
        }
        _ => 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_keys_first_and_the_fields() {
        let record = PacketRecord {
            seq: 1,
            time: SystemTime::UNIX_EPOCH,
            client: "dev-1".into(),
            connection: 3,
            direction: TraceDirection::Out,
            packet: "PUBACK",
            label: "PUBACK id 7".into(),
            fields: vec![("packet_id", Value::from(7))],
        };
        let json = record.to_json();
        assert_eq!(json["time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(json["client"], "dev-1");
        assert_eq!(json["direction"], "out");
        assert_eq!(json["packet"], "PUBACK");
        assert_eq!(json["packet_id"], 7);
        assert_eq!(record.packet_id(), Some(7));
    }
}
