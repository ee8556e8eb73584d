//! The read-only picture of the engine that front ends draw from, rebuilt only when something changed.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::broker::{BrokerError, BrokerHost, RunningInfo};
use super::clients::{ClientRegistry, ClientRow};
use super::events::EventSink;
use super::fleet::{Fleet, FleetSnapshot};
use super::stats::RateMeter;

/// The broker's state as a user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BrokerStatus {
    #[default]
    Stopped,
    Starting,
    Running(RunningInfo),
    /// Disconnecting clients and closing ports.
    Stopping,
    Failed(BrokerError),
}

/// Broker-wide counters since the app started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub connections_accepted: u64,
    pub connections_refused: u64,
}

/// Everything a front end draws, as of the engine's last look.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub broker: BrokerStatus,
    /// Connected clients, oldest connection first.
    pub clients: Vec<ClientRow>,
    /// PUBLISH packets clients sent to the broker in the last complete second.
    pub messages_in_per_s: u64,
    /// PUBLISH packets the broker sent to clients in the last complete second.
    pub messages_out_per_s: u64,
    pub totals: Totals,
    /// Events lost because the front end fell behind.
    pub events_dropped: u64,
    /// The simulated devices.
    pub fleet: FleetSnapshot,
}

/// Keeps the rate meters and publishes a new snapshot only when it differs from the last.
pub struct SnapshotBuilder {
    status: BrokerStatus,
    messages_in: RateMeter,
    messages_out: RateMeter,
    next_second: Instant,
}

impl Default for SnapshotBuilder {
    fn default() -> Self {
        Self {
            status: BrokerStatus::Stopped,
            messages_in: RateMeter::default(),
            messages_out: RateMeter::default(),
            next_second: Instant::now(),
        }
    }
}

impl SnapshotBuilder {
    pub fn set_status(&mut self, status: BrokerStatus) {
        self.status = status;
    }

    pub fn refresh(
        &mut self,
        host: &BrokerHost,
        registry: &ClientRegistry,
        fleet: &mut Fleet,
        published: &Arc<Mutex<Arc<Snapshot>>>,
        sink: &EventSink,
    ) {
        // The host is the truth about running; the status only adds Starting/Failed on top.
        if host.running().is_none() && matches!(self.status, BrokerStatus::Running(_)) {
            self.status = BrokerStatus::Stopped;
        }
        let t = &registry.totals;
        let traffic = registry.traffic();
        let totals = Totals {
            messages_in: traffic.messages_in,
            messages_out: traffic.messages_out,
            bytes_in: traffic.bytes_in,
            bytes_out: traffic.bytes_out,
            connections_accepted: t.connections_accepted.load(Ordering::Relaxed),
            connections_refused: t.connections_refused.load(Ordering::Relaxed),
        };
        let now = Instant::now();
        if now >= self.next_second {
            self.messages_in.close_second(totals.messages_in);
            self.messages_out.close_second(totals.messages_out);
            fleet.close_second();
            self.next_second += Duration::from_secs(1);
            if self.next_second < now {
                // The engine was held up; restart the second grid instead of closing a burst of buckets.
                self.next_second = now + Duration::from_secs(1);
            }
        }
        let next = Snapshot {
            broker: self.status.clone(),
            clients: registry.rows(),
            messages_in_per_s: self.messages_in.per_second(),
            messages_out_per_s: self.messages_out.per_second(),
            totals,
            events_dropped: sink.dropped(),
            fleet: fleet.snapshot(),
        };
        let mut slot = published.lock().unwrap_or_else(|p| p.into_inner());
        if **slot != next {
            *slot = Arc::new(next);
            drop(slot);
            sink.wake();
        }
    }
}
