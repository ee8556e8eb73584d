//! The read-only picture of the engine that front ends draw from, rebuilt only when something changed.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::broker::{BrokerHost, RunningInfo};
use super::broker_error::BrokerError;
use super::clients::{ClientRegistry, ClientRow};
use super::events::EventSink;
use super::fleet::{Fleet, FleetSnapshot};
use super::monitor::{Monitor, MonitorSnapshot};
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
    /// The app's own subscriber.
    pub monitor: super::monitor::MonitorSnapshot,
    /// Messages per second into the broker, one bucket a second, oldest first (up to ten minutes).
    pub history_in: RateHistory,
    /// Messages per second out of the broker, likewise.
    pub history_out: RateHistory,
    /// The open-files limit in force and how many connections fit in it.
    pub limits: super::limits::Capacity,
    /// The protocol trace's size and what it watches (the records are read through `Engine::trace`).
    pub trace: super::trace::TraceSnapshot,
}

/// One-second rate buckets, oldest first, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RateHistory(Arc<Vec<u64>>);

impl From<Vec<u64>> for RateHistory {
    fn from(buckets: Vec<u64>) -> Self {
        Self(Arc::new(buckets))
    }
}

impl std::ops::Deref for RateHistory {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        &self.0
    }
}

/// Two histories of nothing but silence draw the same flat line, however long they are: so an idle
/// broker's history growing by a zero each second is no change, and wakes no window.
impl PartialEq for RateHistory {
    fn eq(&self, other: &Self) -> bool {
        let silent = |h: &[u64]| h.iter().all(|v| *v == 0);
        (silent(&self.0) && silent(&other.0)) || self.0 == other.0
    }
}

/// Keeps the rate meters and publishes a new snapshot only when it differs from the last.
pub struct SnapshotBuilder {
    status: BrokerStatus,
    messages_in: RateMeter,
    messages_out: RateMeter,
    /// Messages the app's own subscriber received, per second.
    monitor_received: RateMeter,
    next_second: Instant,
    /// Per connection: its message totals at the last second boundary, and its rates over that second.
    client_rates: super::client_rates::ClientRates,
}

impl Default for SnapshotBuilder {
    fn default() -> Self {
        Self {
            status: BrokerStatus::Stopped,
            messages_in: RateMeter::default(),
            messages_out: RateMeter::default(),
            monitor_received: RateMeter::default(),
            next_second: Instant::now(),
            client_rates: Default::default(),
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
        monitor: &Monitor,
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
        let mut clients = registry.rows();
        let now = Instant::now();
        let second_closed = now >= self.next_second;
        if second_closed {
            self.client_rates.close_second(&clients);
        }
        self.client_rates.fill(&mut clients);
        if second_closed {
            self.messages_in.close_second(totals.messages_in);
            self.messages_out.close_second(totals.messages_out);
            fleet.close_second();
            self.monitor_received.close_second(monitor.received_total());
            monitor.close_second();
            self.next_second += Duration::from_secs(1);
            if self.next_second < now {
                // The engine was held up; restart the second grid instead of closing a burst of buckets.
                self.next_second = now + Duration::from_secs(1);
            }
        }
        let mut next = Snapshot {
            broker: self.status.clone(),
            clients,
            messages_in_per_s: self.messages_in.per_second(),
            messages_out_per_s: self.messages_out.per_second(),
            totals,
            events_dropped: sink.dropped(),
            fleet: fleet.snapshot(),
            monitor: MonitorSnapshot {
                received_per_s: self.monitor_received.per_second(),
                ..monitor.snapshot()
            },
            history_in: self
                .messages_in
                .history(super::stats::HISTORY_SECONDS)
                .into(),
            history_out: self
                .messages_out
                .history(super::stats::HISTORY_SECONDS)
                .into(),
            // One getrlimit call: cheap, and it follows a limit raised or lowered while running.
            limits: super::limits::Capacity::current(),
            trace: registry.trace.snapshot(),
        };
        // Compared outside the lock: the window takes the same lock every frame, and a snapshot with
        // thousands of device rows takes a while to compare. Only this loop writes the slot.
        let current = published.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if *current != next {
            let wake = !only_history_moved(&current, &mut next);
            *published.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
            // The rate history shifts every second for ten minutes after any traffic; only the
            // Plots tab draws it, and that tab repaints itself once a second while it is shown.
            if wake {
                sink.wake();
            }
        }
    }
}

/// Whether `next` differs from `current` in its rate histories alone (compared without cloning
/// the rest: `next`'s histories are swapped out for the comparison and back).
fn only_history_moved(current: &Snapshot, next: &mut Snapshot) -> bool {
    let history_in = std::mem::replace(&mut next.history_in, current.history_in.clone());
    let history_out = std::mem::replace(&mut next.history_out, current.history_out.clone());
    let rest_same = *current == *next;
    next.history_in = history_in;
    next.history_out = history_out;
    rest_same
}

#[cfg(test)]
mod tests {
    use super::{RateHistory, Snapshot, only_history_moved};

    #[test]
    fn silent_histories_are_alike_and_traffic_is_a_change() {
        let quiet: RateHistory = vec![0, 0, 0].into();
        let longer_quiet: RateHistory = vec![0, 0, 0, 0].into();
        assert_eq!(quiet, longer_quiet, "a zero more is no change");
        let busy: RateHistory = vec![0, 0, 5].into();
        let busier: RateHistory = vec![0, 0, 5, 7].into();
        assert_ne!(quiet, busy);
        assert_ne!(busy, busier);
        assert_eq!(busy, vec![0, 0, 5].into());
    }

    #[test]
    fn a_moving_history_alone_is_no_news_for_the_window() {
        let current = Snapshot::default();
        let mut next = Snapshot {
            history_in: vec![0, 3, 1].into(),
            ..Snapshot::default()
        };
        assert!(only_history_moved(&current, &mut next));
        assert_eq!(*next.history_in, [0, 3, 1], "the history is put back");
        let mut busier = Snapshot {
            history_in: vec![0, 3, 1].into(),
            messages_in_per_s: 1,
            ..Snapshot::default()
        };
        assert!(!only_history_moved(&current, &mut busier));
    }
}
