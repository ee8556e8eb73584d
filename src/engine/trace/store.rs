//! The trace's memory: every client's recent records, bounded per client and in total (count and bytes).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::record::PacketRecord;

/// Records kept per client.
pub const PER_CLIENT_RECORDS: usize = 5_000;
/// Records kept over all clients.
pub const TOTAL_RECORDS: usize = 50_000;
/// Bytes (approximate) kept over all clients.
pub const TOTAL_BYTES: usize = 32 * 1024 * 1024;

/// One client's records, oldest first.
#[derive(Debug, Default)]
pub struct ClientTrace {
    pub records: VecDeque<Arc<PacketRecord>>,
    /// Records this client lost to the bounds (oldest first go).
    pub evicted: u64,
}

/// Every traced client's records.
#[derive(Debug)]
pub struct TraceStore {
    clients: HashMap<Arc<str>, ClientTrace>,
    /// Arrival order over all clients, for evicting the oldest first; entries whose record is already
    /// gone (evicted by its client's own bound) are skipped, and compacted when they pile up.
    order: VecDeque<(Arc<str>, u64)>,
    next_seq: u64,
    live: usize,
    bytes: usize,
    per_client: usize,
    total: usize,
    byte_budget: usize,
    /// Bumped on every change, so a view knows when to look again.
    version: u64,
}

impl Default for TraceStore {
    fn default() -> Self {
        Self::with_bounds(PER_CLIENT_RECORDS, TOTAL_RECORDS, TOTAL_BYTES)
    }
}

impl TraceStore {
    pub fn with_bounds(per_client: usize, total: usize, byte_budget: usize) -> Self {
        Self {
            clients: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 1,
            live: 0,
            bytes: 0,
            per_client: per_client.max(1),
            total: total.max(1),
            byte_budget,
            version: 0,
        }
    }

    /// Adds a record (its `seq` is assigned here) and returns it as stored.
    pub fn push(&mut self, mut record: PacketRecord) -> Arc<PacketRecord> {
        record.seq = self.next_seq;
        self.next_seq += 1;
        let record = Arc::new(record);
        let client = record.client.clone();
        self.bytes += record.approximate_bytes();
        self.live += 1;
        self.order.push_back((client.clone(), record.seq));
        let trace = self.clients.entry(client).or_default();
        trace.records.push_back(record.clone());
        if trace.records.len() > self.per_client
            && let Some(old) = trace.records.pop_front()
        {
            trace.evicted += 1;
            self.live -= 1;
            self.bytes = self.bytes.saturating_sub(old.approximate_bytes());
        }
        while self.live > self.total || self.bytes > self.byte_budget {
            if !self.evict_oldest() {
                break;
            }
        }
        if self.order.len() > 2 * self.total.max(self.live) {
            self.compact_order();
        }
        self.version += 1;
        record
    }

    fn evict_oldest(&mut self) -> bool {
        while let Some((client, seq)) = self.order.pop_front() {
            let Some(trace) = self.clients.get_mut(&client) else {
                continue;
            };
            if trace.records.front().is_some_and(|r| r.seq == seq)
                && let Some(old) = trace.records.pop_front()
            {
                trace.evicted += 1;
                self.live -= 1;
                self.bytes = self.bytes.saturating_sub(old.approximate_bytes());
                if trace.records.is_empty() {
                    self.clients.remove(&client);
                }
                return true;
            }
        }
        false
    }

    fn compact_order(&mut self) {
        let clients = &self.clients;
        self.order.retain(|(client, seq)| {
            clients
                .get(client)
                .and_then(|t| t.records.front())
                .is_some_and(|first| first.seq <= *seq)
        });
    }

    /// Forgets every record.
    pub fn clear(&mut self) {
        self.clients.clear();
        self.order.clear();
        self.live = 0;
        self.bytes = 0;
        self.version += 1;
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// Records kept, and their approximate bytes.
    pub fn size(&self) -> (usize, usize) {
        (self.live, self.bytes)
    }

    /// One client's trace.
    pub fn client(&self, client: &str) -> Option<&ClientTrace> {
        self.clients.get(client)
    }

    /// Every client with records, sorted by id.
    pub fn client_ids(&self) -> Vec<Arc<str>> {
        let mut ids: Vec<Arc<str>> = self.clients.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Every record kept, in arrival order (for export and the journey of a message).
    pub fn all_in_order(&self) -> Vec<Arc<PacketRecord>> {
        let mut all = self.unsorted();
        all.sort_by_key(|r| r.seq);
        all
    }

    /// Every record kept, in no particular order (cheap to take under a lock, sorted outside it).
    pub fn unsorted(&self) -> Vec<Arc<PacketRecord>> {
        let mut all = Vec::with_capacity(self.live);
        for trace in self.clients.values() {
            all.extend(trace.records.iter().cloned());
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::TraceDirection;
    use super::*;
    use std::time::SystemTime;

    fn record(client: &str) -> PacketRecord {
        PacketRecord {
            seq: 0,
            time: SystemTime::UNIX_EPOCH,
            client: client.into(),
            connection: 0,
            direction: TraceDirection::In,
            packet: "PINGREQ",
            label: "PINGREQ".into(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn bounds_hold_per_client_and_in_total() {
        let mut store = TraceStore::with_bounds(3, 5, usize::MAX);
        for _ in 0..10 {
            store.push(record("a"));
        }
        assert_eq!(store.client("a").map(|t| t.records.len()), Some(3));
        for _ in 0..4 {
            store.push(record("b"));
        }
        assert_eq!(store.size().0, 5);
        // The oldest go first: "a" lost one more, "b" kept its last three.
        assert_eq!(store.client("a").map(|t| t.records.len()), Some(2));
        assert_eq!(store.client("b").map(|t| t.records.len()), Some(3));
        let seqs: Vec<u64> = store.all_in_order().iter().map(|r| r.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_byte_budget_holds_and_order_stays_bounded() {
        let one = record("a").approximate_bytes();
        let mut store = TraceStore::with_bounds(1_000, 1_000, one * 4);
        for i in 0..10_000 {
            store.push(record(if i % 2 == 0 { "a" } else { "b" }));
        }
        assert!(store.size().1 <= one * 4);
        assert!(store.order.len() <= 2_000);
    }
}
