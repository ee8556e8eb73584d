//! The flow map's model, summarised from trace records: publishers → topics (collapsed by level) →
//! subscribers, with message counts per edge; crowds of clients collapse into groups by their id's stem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::record::{PacketRecord, TraceDirection};

/// More clients than this on one side are shown as groups (`sensor-*`).
pub const MAX_CLIENT_NODES: usize = 30;

/// Which column a node stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Publishers,
    Topics,
    Subscribers,
}

/// What kind of traffic an edge carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    Message,
    Retained,
    /// A last will the broker published for a client that went away.
    Will,
}

/// A box on the map: a client, a group of clients, or a (collapsed) topic.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowNode {
    pub column: Column,
    pub name: String,
    /// Clients a group stands for (1 for a single client; topics count their distinct topics).
    pub members: usize,
    pub messages: u64,
}

/// Messages from one node to another within the window.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowEdge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    pub messages: u64,
    /// Messages per second over the window.
    pub rate: f64,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowMap {
    pub nodes: Vec<FlowNode>,
    pub edges: Vec<FlowEdge>,
    /// The span the counts cover.
    pub window: Duration,
}

/// A topic cut to its first `depth` levels: `building/rooms/room-01/t` at depth 2 is `building/rooms/#`.
pub fn collapse_topic(topic: &str, depth: usize) -> String {
    let levels: Vec<&str> = topic.split('/').collect();
    if levels.len() <= depth.max(1) {
        topic.to_owned()
    } else {
        format!("{}/#", levels[..depth.max(1)].join("/"))
    }
}

/// A client id's group: its id without trailing digits and separators (`sensor-017` → `sensor-*`).
pub fn client_group(id: &str) -> String {
    let stem = id.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() == id.len() {
        id.to_owned()
    } else {
        format!("{stem}*")
    }
}

/// Builds the map from records (oldest first) of the last `window` before `now`.
pub fn summarize(
    records: &[Arc<PacketRecord>],
    now: SystemTime,
    window: Duration,
    depth: usize,
) -> FlowMap {
    let since = now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
    // (publisher, topic, kind) and (topic, subscriber, kind) counts, and each client's will topic.
    let mut published: BTreeMap<(Arc<str>, String, EdgeKind), u64> = BTreeMap::new();
    let mut delivered: BTreeMap<(String, Arc<str>, EdgeKind), u64> = BTreeMap::new();
    let mut wills: HashMap<Arc<str>, String> = HashMap::new();
    for record in records.iter().filter(|r| r.time >= since) {
        if record.packet == "CONNECT"
            && let Some(topic) = record.field("will_topic").and_then(|t| t.as_str())
        {
            wills.insert(record.client.clone(), topic.to_owned());
        }
        if record.packet != "PUBLISH" {
            continue;
        }
        let Some(topic) = record.field("topic").and_then(|t| t.as_str()) else {
            continue;
        };
        let retained = record.field("retain").and_then(|r| r.as_bool()) == Some(true);
        let kind = if retained {
            EdgeKind::Retained
        } else {
            EdgeKind::Message
        };
        let collapsed = collapse_topic(topic, depth);
        match record.direction {
            TraceDirection::In => {
                *published
                    .entry((record.client.clone(), collapsed, kind))
                    .or_default() += 1;
            }
            TraceDirection::Out => {
                // A copy of a will: drawn as the will it is.
                let kind = if wills.values().any(|w| w == topic) {
                    EdgeKind::Will
                } else {
                    kind
                };
                *delivered
                    .entry((collapsed, record.client.clone(), kind))
                    .or_default() += 1;
            }
        }
    }
    let group_publishers = distinct(published.keys().map(|k| &k.0)) > MAX_CLIENT_NODES;
    let group_subscribers = distinct(delivered.keys().map(|k| &k.1)) > MAX_CLIENT_NODES;
    let name = |client: &str, grouped: bool| {
        if grouped {
            client_group(client)
        } else {
            client.to_owned()
        }
    };
    let mut map = MapBuilder::default();
    let seconds = window.as_secs_f64().max(1.0);
    for ((client, topic, kind), count) in &published {
        let from = map.node(Column::Publishers, &name(client, group_publishers), client);
        let to = map.node(Column::Topics, topic, topic);
        map.edge(from, to, *kind, *count, seconds);
    }
    for ((topic, client, kind), count) in &delivered {
        let from = map.node(Column::Topics, topic, topic);
        let to = map.node(
            Column::Subscribers,
            &name(client, group_subscribers),
            client,
        );
        map.edge(from, to, *kind, *count, seconds);
    }
    FlowMap {
        nodes: map.nodes,
        edges: map.edges,
        window,
    }
}

fn distinct<'a>(clients: impl Iterator<Item = &'a Arc<str>>) -> usize {
    let mut all: Vec<&Arc<str>> = clients.collect();
    all.sort();
    all.dedup();
    all.len()
}

#[derive(Default)]
struct MapBuilder {
    nodes: Vec<FlowNode>,
    edges: Vec<FlowEdge>,
    index: HashMap<(Column, String), usize>,
    members: HashMap<usize, HashSet<String>>,
}

impl MapBuilder {
    fn node(&mut self, column: Column, name: &str, member: &str) -> usize {
        let key = (column, name.to_owned());
        let at = match self.index.get(&key) {
            Some(at) => *at,
            None => {
                self.nodes.push(FlowNode {
                    column,
                    name: name.to_owned(),
                    members: 0,
                    messages: 0,
                });
                self.index.insert(key, self.nodes.len() - 1);
                self.nodes.len() - 1
            }
        };
        let members = self.members.entry(at).or_default();
        if !members.contains(member) {
            members.insert(member.to_owned());
            if let Some(node) = self.nodes.get_mut(at) {
                node.members = members.len();
            }
        }
        at
    }

    fn edge(&mut self, from: usize, to: usize, kind: EdgeKind, count: u64, seconds: f64) {
        for at in [from, to] {
            if let Some(node) = self.nodes.get_mut(at) {
                node.messages += count;
            }
        }
        match self
            .edges
            .iter_mut()
            .find(|e| e.from == from && e.to == to && e.kind == kind)
        {
            Some(edge) => {
                edge.messages += count;
                edge.rate = edge.messages as f64 / seconds;
            }
            None => self.edges.push(FlowEdge {
                from,
                to,
                kind,
                messages: count,
                rate: count as f64 / seconds,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_collapse_by_level_and_clients_by_their_stem() {
        assert_eq!(
            collapse_topic("building/rooms/room-01/t", 2),
            "building/rooms/#"
        );
        assert_eq!(collapse_topic("a/b", 2), "a/b");
        assert_eq!(client_group("sensor-017"), "sensor-*");
        assert_eq!(client_group("gateway"), "gateway");
    }

    #[test]
    fn a_thousand_devices_collapse_into_their_group() {
        use serde_json::json;
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let records: Vec<Arc<PacketRecord>> = (0..1_000)
            .map(|i| {
                Arc::new(PacketRecord {
                    seq: i,
                    time: at,
                    client: format!("stress-{i:04}").into(),
                    connection: i,
                    direction: TraceDirection::In,
                    packet: "PUBLISH",
                    label: String::new(),
                    fields: vec![
                        ("topic", json!(format!("stress/device-{i}/value"))),
                        ("retain", json!(false)),
                    ],
                })
            })
            .collect();
        let map = summarize(&records, at, Duration::from_secs(10), 1);
        let publishers: Vec<&FlowNode> = map
            .nodes
            .iter()
            .filter(|n| n.column == Column::Publishers)
            .collect();
        assert_eq!(publishers.len(), 1);
        assert_eq!(publishers[0].name, "stress-*");
        assert_eq!(publishers[0].members, 1_000);
        let topics: Vec<&str> = map
            .nodes
            .iter()
            .filter(|n| n.column == Column::Topics)
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(topics, vec!["stress/#"]);
        assert_eq!(map.edges.len(), 1);
        assert_eq!(map.edges[0].messages, 1_000);
    }
}
