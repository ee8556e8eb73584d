//! The app's own subscriber: what it is asked to do, and what front ends read of what it saw.
//! The log lives in the engine (it keeps counting while the window is hidden or paused); front ends
//! read it through [`LogAccess`], a read-only view, and change it only by [`MonitorCommand`]s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use super::watch::{JsonPath, MessageLog, TopicTree};

mod control;
pub mod files;
mod ingest;
pub mod recording;
pub mod series;
mod state;
mod subscriber;
mod watch_runtime;

pub use control::{DEFAULT_FILTER, Destination, Monitor, MonitorError};
pub use files::FileError;
pub use series::{MAX_POINTS, MAX_SERIES, MAX_TOPICS_PER_SERIES, SeriesError};
pub use subscriber::MAX_PACKET;
pub use watch_runtime::{THREAD_NAME as WATCH_THREAD_NAME, WatchRuntime};

/// What a front end asks of the subscriber.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorCommand {
    /// Connects the subscriber (to the embedded broker, or the fleet's external one) and keeps it
    /// connected; with no subscription yet it subscribes to `#` at QoS 0. Subscribe, Publish,
    /// ClearRetained and StartRecording also start it. Until then the broker has no extra client.
    Start,
    /// Disconnects the subscriber; the log, subscriptions and series are kept.
    Stop,
    /// Adds (or changes the QoS of) a subscription; the filter is checked first.
    Subscribe {
        filter: String,
        qos: u8,
    },
    Unsubscribe {
        filter: String,
    },
    /// The manual publisher: sent by the app's own client.
    Publish {
        topic: String,
        payload: Vec<u8>,
        qos: u8,
        retain: bool,
    },
    /// Empties the log (totals are kept).
    ClearLog,
    /// How many messages the log keeps (100 to 1,000,000).
    SetLogCapacity(usize),
    /// Publishes an empty retained message to every retained topic at or under `topic`.
    ClearRetained {
        topic: String,
    },
    /// Plots the values of messages whose topic matches `filter`: the whole payload, or a JSON field.
    AddSeries {
        filter: String,
        field: Option<String>,
    },
    RemoveSeries {
        id: SeriesId,
    },
    ClearSeries,
    /// Writes every message from now on to a JSON Lines file (`serve --record`).
    StartRecording(PathBuf),
    StopRecording,
    /// Saves the log, or the messages `filter` lets through, as JSON Lines or CSV.
    Export {
        path: PathBuf,
        format: ExportFormat,
        filter: super::watch::LogFilter,
    },
    /// Loads a recorded JSON Lines file into the log.
    Import(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    JsonLines,
    Csv,
}

/// A plotted series' identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(pub u64);

/// One plotted series: which messages, which value, and one line of recent points per matching topic
/// (a filter with a wildcard matches many topics; merged into one line they would make a staircase).
#[derive(Debug, Clone)]
pub struct Series {
    pub id: SeriesId,
    pub filter: String,
    pub field: Option<JsonPath>,
    /// One line per topic, in the order the topics first appeared; at most
    /// [`series::MAX_TOPICS_PER_SERIES`] lines and [`series::MAX_POINTS`] points in all.
    pub lines: Vec<SeriesLine>,
    /// Messages that matched the filter but had no number where the series looks; the last reason.
    pub not_numeric: u64,
    pub last_problem: Option<String>,
}

impl Series {
    /// Points kept over all of the series' lines.
    pub fn point_count(&self) -> usize {
        self.lines.iter().map(|line| line.points.len()).sum()
    }

    /// The line of one topic, if the series has one.
    pub fn line(&self, topic: &str) -> Option<&SeriesLine> {
        self.lines.iter().find(|line| &*line.topic == topic)
    }
}

/// The values one topic gave a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLine {
    pub topic: Arc<str>,
    /// (seconds since the Unix epoch, value), oldest first.
    pub points: std::collections::VecDeque<(f64, f64)>,
}

/// Everything the subscriber keeps; front ends read it under a short lock.
#[derive(Debug, Default)]
pub struct LogStore {
    pub log: MessageLog,
    pub tree: TopicTree,
    pub series: Vec<Series>,
}

/// A read-only handle on the subscriber's store, cheap to clone.
#[derive(Clone, Default)]
pub struct LogAccess(pub(crate) Arc<Mutex<LogStore>>);

impl LogAccess {
    /// A handle on a store built elsewhere (UI tests draw panels from fixed data this way).
    pub fn from_store(store: LogStore) -> Self {
        Self(Arc::new(Mutex::new(store)))
    }

    /// Reads the store; keep the closure short (the subscriber waits meanwhile).
    pub fn read<T>(&self, reader: impl FnOnce(&LogStore) -> T) -> T {
        reader(&self.lock())
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, LogStore> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The subscriber as front ends draw it (the messages themselves are read through [`LogAccess`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitorSnapshot {
    /// True while the subscriber's connection is up.
    pub connected: bool,
    /// Connected, and the broker acknowledged every subscription sent since connecting.
    pub subscribed: bool,
    /// Where it is connected ("the embedded broker", "mqtt://host:1883").
    pub target: String,
    /// True when it watches the app's own broker (whose message rate the snapshot also has).
    pub embedded: bool,
    /// Filter and QoS, in the order added.
    pub subscriptions: Vec<(String, u8)>,
    /// Messages received since the app started (eviction and clearing do not lower it).
    pub received_total: u64,
    /// Messages received in the last complete second.
    pub received_per_s: u64,
    /// Why the subscriber is not connected, or the last thing that went wrong.
    pub last_error: Option<String>,
    pub recording: Option<PathBuf>,
    /// Bumped whenever the log changes, so a view knows when to look again.
    pub log_version: u64,
}
