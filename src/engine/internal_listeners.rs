//! Which of rumqttd's internal listeners a client's bytes go to: several per protocol version, chosen
//! by client id, so connection bursts are accepted in parallel.
//!
//! rumqttd's accept loop (`Server::start`) awaits `sleep(next_connection_delay)` after every accept,
//! even for a delay of 0, and tokio's timer works in 1 ms ticks: one listener accepts about 1,000
//! connections per second (measured: ~800/s through the front door on the shared 2-core machine,
//! against Mosquitto's ~7,000/s). Every listener feeds the same router, so sessions, retained messages
//! and client-id takeover are shared; but each listener keeps its own table of clients whose last will
//! waits for a reconnect (MQTT 5 will delay), so one client id always goes to the same listener.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::mqtt_wire::ProtocolVersion;

/// Internal listeners per protocol version: each accepts about 1,000 connections per second.
pub const LISTENERS_PER_VERSION: usize = 8;

/// The loopback addresses of rumqttd's listeners, by the protocol they speak.
#[derive(Debug, Default)]
pub struct InternalListeners {
    v4: Vec<SocketAddr>,
    v5: Vec<SocketAddr>,
    /// Spreads clients without an id (rumqttd assigns each a fresh one, so any listener will do).
    next_anonymous: AtomicUsize,
}

impl InternalListeners {
    pub fn new(v4: Vec<SocketAddr>, v5: Vec<SocketAddr>) -> Self {
        Self {
            v4,
            v5,
            next_anonymous: AtomicUsize::new(0),
        }
    }

    /// The listener for a client of this protocol version and id (MQTT 3.1 goes to the 3.1.1 ones);
    /// None only if no listener of that version was started.
    pub fn pick(&self, version: ProtocolVersion, client_id: &str) -> Option<SocketAddr> {
        let listeners = match version {
            ProtocolVersion::V5 => &self.v5,
            ProtocolVersion::V311 | ProtocolVersion::V31 => &self.v4,
        };
        if listeners.is_empty() {
            return None;
        }
        let slot = if client_id.is_empty() {
            self.next_anonymous.fetch_add(1, Ordering::Relaxed)
        } else {
            stable_hash(client_id) as usize
        };
        listeners.get(slot % listeners.len()).copied()
    }

    /// The first MQTT 3.1.1 listener (benchmarks compare the front door against it).
    pub fn first_v4(&self) -> Option<SocketAddr> {
        self.v4.first().copied()
    }

    pub fn v4(&self) -> &[SocketAddr] {
        &self.v4
    }
}

/// The same id gives the same number for the whole run (`DefaultHasher::new` has fixed keys).
fn stable_hash(client_id: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    client_id.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn addrs(base: u16, n: u16) -> Vec<SocketAddr> {
        (0..n)
            .map(|i| SocketAddr::from(([127, 0, 0, 1], base + i)))
            .collect()
    }

    fn listeners() -> InternalListeners {
        InternalListeners::new(addrs(40_000, 8), addrs(50_000, 8))
    }

    #[test]
    fn one_client_id_always_goes_to_the_same_listener() {
        let set = listeners();
        let first = set.pick(ProtocolVersion::V311, "sensor-7");
        for _ in 0..20 {
            assert_eq!(set.pick(ProtocolVersion::V311, "sensor-7"), first);
        }
        // MQTT 3.1 is carried to the 3.1.1 listeners.
        assert_eq!(set.pick(ProtocolVersion::V31, "sensor-7"), first);
    }

    #[test]
    fn versions_go_to_their_own_listeners() {
        let set = listeners();
        let v5 = set.pick(ProtocolVersion::V5, "x").map(|a| a.port());
        assert!(v5.is_some_and(|p| p >= 50_000));
        let v4 = set.pick(ProtocolVersion::V311, "x").map(|a| a.port());
        assert!(v4.is_some_and(|p| (40_000..50_000).contains(&p)));
    }

    #[test]
    fn many_clients_spread_over_every_listener() {
        let set = listeners();
        let used: HashSet<_> = (0..200)
            .filter_map(|i| set.pick(ProtocolVersion::V311, &format!("device-{i}")))
            .collect();
        assert_eq!(used.len(), 8);
        let anonymous: HashSet<_> = (0..8)
            .filter_map(|_| set.pick(ProtocolVersion::V5, ""))
            .collect();
        assert_eq!(anonymous.len(), 8, "clients without an id go round robin");
    }

    #[test]
    fn no_listener_no_address() {
        let set = InternalListeners::new(Vec::new(), addrs(50_000, 1));
        assert_eq!(set.pick(ProtocolVersion::V311, "a"), None);
    }
}
