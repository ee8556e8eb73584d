//! The broker's own view of who is connected: one entry per client connection, with live counters.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use super::mqtt_wire::ProtocolVersion;

/// How a client reached the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    WebSocket,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::WebSocket => "WebSocket",
        }
    }
}

/// One client connection as the front door sees it; counters are updated by its session (session.rs).
#[derive(Debug)]
pub struct ClientEntry {
    /// Shared with every snapshot row of the connection (a row is copied twice a second).
    pub client_id: Arc<str>,
    pub peer: SocketAddr,
    pub version: ProtocolVersion,
    pub transport: Transport,
    pub connected_at: SystemTime,
    pub connected_instant: Instant,
    /// Set once the broker accepted the CONNECT; until then the connection is not listed.
    pub accepted: AtomicBool,
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
}

/// A row of the clients table, copied out of the live entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub connection: u64,
    pub client_id: Arc<str>,
    pub peer: SocketAddr,
    pub version: ProtocolVersion,
    pub transport: Transport,
    pub connected_at: SystemTime,
    pub connected_instant: Instant,
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Messages in the last complete second (filled in by the snapshot builder).
    pub messages_in_per_s: u64,
    pub messages_out_per_s: u64,
}

/// Counters that outlive connections: traffic of ended connections, and connection counts.
#[derive(Debug, Default)]
pub struct Totals {
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub connections_accepted: AtomicU64,
    pub connections_refused: AtomicU64,
}

/// Every live connection, shared by the front door (writer) and the snapshot builder (reader).
#[derive(Debug, Default)]
pub struct ClientRegistry {
    next_connection: AtomicU64,
    /// By connection number, so they come out oldest first without sorting.
    entries: Mutex<BTreeMap<u64, Arc<ClientEntry>>>,
    pub totals: Totals,
    /// Signalled when a client appears or goes, so the table updates at once rather than at the next tick.
    pub changed: tokio::sync::Notify,
    /// The protocol trace the front door records into.
    pub trace: super::trace::TraceAccess,
}

/// Removes a connection from the registry when its task ends, however it ends.
pub struct Registration {
    registry: Arc<ClientRegistry>,
    pub connection: u64,
    pub entry: Arc<ClientEntry>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut entries = self.registry.lock();
        entries.remove(&self.connection);
        // Retired under the same lock the totals are summed under, so no count is seen twice or missed.
        let (e, t) = (&self.entry, &self.registry.totals);
        for (from, to) in [
            (&e.messages_in, &t.messages_in),
            (&e.messages_out, &t.messages_out),
            (&e.bytes_in, &t.bytes_in),
            (&e.bytes_out, &t.bytes_out),
        ] {
            to.fetch_add(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        drop(entries);
        if self.entry.accepted.load(Ordering::Relaxed) {
            self.registry.changed.notify_one();
        }
    }
}

/// Broker-wide traffic: ended connections plus live ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl ClientRegistry {
    /// A registry whose connections record into `trace`.
    pub fn with_trace(trace: super::trace::TraceAccess) -> Self {
        Self {
            trace,
            ..Self::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<ClientEntry>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts/removes),
        // so a poisoned lock is still safe to use.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn register(
        self: &Arc<Self>,
        client_id: String,
        peer: SocketAddr,
        version: ProtocolVersion,
        transport: Transport,
    ) -> Registration {
        let connection = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(ClientEntry {
            client_id: client_id.into(),
            peer,
            version,
            transport,
            connected_at: SystemTime::now(),
            connected_instant: Instant::now(),
            accepted: AtomicBool::new(false),
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
        });
        self.lock().insert(connection, entry.clone());
        Registration {
            registry: self.clone(),
            connection,
            entry,
        }
    }

    /// Connections the broker accepted, oldest first (ascending connection number, which
    /// client_rates relies on).
    pub fn rows(&self) -> Vec<ClientRow> {
        let entries: Vec<(u64, Arc<ClientEntry>)> = self
            .lock()
            .iter()
            .map(|(id, entry)| (*id, entry.clone()))
            .collect();
        // Sized for every entry up front: a filtered collect grows the list from nothing, copying
        // thousands of rows over and over twice a second.
        let mut rows = Vec::with_capacity(entries.len());
        rows.extend(
            entries
                .into_iter()
                .filter(|(_, e)| e.accepted.load(Ordering::Relaxed))
                .map(|(connection, e)| ClientRow {
                    connection,
                    client_id: e.client_id.clone(),
                    peer: e.peer,
                    version: e.version,
                    transport: e.transport,
                    connected_at: e.connected_at,
                    connected_instant: e.connected_instant,
                    messages_in: e.messages_in.load(Ordering::Relaxed),
                    messages_out: e.messages_out.load(Ordering::Relaxed),
                    bytes_in: e.bytes_in.load(Ordering::Relaxed),
                    bytes_out: e.bytes_out.load(Ordering::Relaxed),
                    messages_in_per_s: 0,
                    messages_out_per_s: 0,
                }),
        );
        rows
    }

    /// Everything that went through the broker since the app started.
    pub fn traffic(&self) -> Traffic {
        let entries = self.lock();
        let t = &self.totals;
        let mut sum = Traffic {
            messages_in: t.messages_in.load(Ordering::Relaxed),
            messages_out: t.messages_out.load(Ordering::Relaxed),
            bytes_in: t.bytes_in.load(Ordering::Relaxed),
            bytes_out: t.bytes_out.load(Ordering::Relaxed),
        };
        for e in entries.values() {
            sum.messages_in += e.messages_in.load(Ordering::Relaxed);
            sum.messages_out += e.messages_out.load(Ordering::Relaxed);
            sum.bytes_in += e.bytes_in.load(Ordering::Relaxed);
            sum.bytes_out += e.bytes_out.load(Ordering::Relaxed);
        }
        sum
    }

    /// Live connections, including those still waiting for the broker's answer.
    pub fn open_connections(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_list_accepted_connections_until_they_end() {
        let registry = Arc::new(ClientRegistry::default());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let a = registry.register("a".into(), peer, ProtocolVersion::V311, Transport::Tcp);
        let b = registry.register("b".into(), peer, ProtocolVersion::V5, Transport::WebSocket);
        assert!(registry.rows().is_empty(), "not accepted yet");
        a.entry.accepted.store(true, Ordering::Relaxed);
        b.entry.accepted.store(true, Ordering::Relaxed);
        a.entry.messages_in.fetch_add(3, Ordering::Relaxed);
        let rows = registry.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(&*rows[0].client_id, "a");
        assert_eq!(rows[0].messages_in, 3);
        drop(a);
        let rows = registry.rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(&*rows[0].client_id, "b");
        assert_eq!(registry.open_connections(), 1);
    }
}
