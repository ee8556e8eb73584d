//! The monitor as the engine loop owns it: carries out [`MonitorCommand`]s, follows the broker the
//! fleet targets (the embedded one wherever it listens, or an external one), and describes itself
//! for the snapshot.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::oneshot;

use super::files::{self, FileError};
use super::ingest::{self, Control, IngestHandle};
use super::recording::Recorder;
use super::series::{self, SeriesError};
use super::state::Totals;
use super::subscriber::{self, MAX_PACKET, Session, SessionSetup, Wanted};
use super::{LogAccess, MonitorCommand, MonitorSnapshot, SeriesId};
use crate::engine::events::{Event, EventSink};
use crate::engine::fleet::TargetError;
use crate::engine::fleet::device::ResolvedTarget;
use crate::engine::watch::message_log::{MAX_CAPACITY, MIN_CAPACITY};
use crate::engine::watch::topic_tree::MAX_STORED_PREVIEW_CHARS;
use crate::engine::watch::{
    FilterError, TopicFilter, TopicNameError, detect_kind, preview, validate_topic_name,
};

/// The subscription the subscriber starts with.
pub const DEFAULT_FILTER: &str = "#";
/// How long clearing retained messages may take before the rest are given up.
const CLEAR_RETAINED_PATIENCE: Duration = Duration::from_secs(30);

/// Why a monitor command was not carried out, worded so the user can act.
#[derive(Debug, Error)]
pub enum MonitorError {
    #[error("topic filter: {0}")]
    Filter(FilterError),
    #[error("QoS must be 0, 1 or 2, not {0}")]
    BadQos(u8),
    #[error(
        "the embedded broker disconnects any client that subscribes to $SYS topics, so the subscriber does not: choose another filter"
    )]
    SysOnEmbedded,
    #[error("the subscriber is not subscribed to \"{0}\"")]
    NotSubscribed(String),
    #[error("publish: {0}")]
    Topic(TopicNameError),
    #[error("the payload is {0} bytes; the most the app sends is 16 MiB")]
    PayloadTooLarge(usize),
    #[error("cannot {what}: {why}")]
    NotConnected { what: &'static str, why: String },
    #[error("the subscriber is busy sending earlier requests; try again in a moment")]
    Busy,
    #[error(
        "the log keeps between {MIN_CAPACITY} and {MAX_CAPACITY} messages; {0} is out of range"
    )]
    Capacity(usize),
    #[error(transparent)]
    Series(#[from] SeriesError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("already recording to {0}: stop that recording first")]
    AlreadyRecording(String),
    #[error("nothing is being recorded")]
    NotRecording,
    #[error("recording to {path} ended after {written} messages, but its last write failed: {why}")]
    RecordingLost {
        path: String,
        written: u64,
        why: String,
    },
    #[error("the subscriber's message store stopped unexpectedly; restart the app")]
    Gone,
}

/// Where the subscriber should connect, as the engine loop worked it out.
pub struct Destination {
    /// `Ok(None)` while the embedded broker is not running.
    pub resolved: Result<Option<ResolvedTarget>, TargetError>,
    /// "the embedded broker" or "mqtt://host:1883".
    pub label: String,
    pub embedded: bool,
}

/// The engine loop's side of the subscriber.
pub struct Monitor {
    store: LogAccess,
    totals: Arc<Totals>,
    wanted: Wanted,
    /// False until a front end asks for the subscriber (so a headless broker has no extra client).
    active: bool,
    destination: Option<Destination>,
    session: Option<(Session, ResolvedTarget)>,
    ingest: IngestHandle,
    sink: EventSink,
    next_series: u64,
    /// Where the subscriber's connection runs (below normal priority, see watch_runtime.rs).
    connection_runtime: tokio::runtime::Handle,
}

impl Monitor {
    /// Starts the ingest task; call on the engine's runtime. The subscriber connects once asked to,
    /// on `connection_runtime`.
    pub fn new(
        store: LogAccess,
        sink: EventSink,
        connection_runtime: tokio::runtime::Handle,
    ) -> Monitor {
        let totals = Arc::new(Totals::default());
        let ingest = ingest::spawn(store.clone(), totals.clone(), sink.clone());
        Monitor {
            store,
            totals,
            wanted: Wanted::default(),
            active: false,
            destination: None,
            session: None,
            ingest,
            sink,
            next_series: 1,
            connection_runtime,
        }
    }

    /// Follows the broker: connects when it starts, moves when it moves, waits while it is stopped.
    pub fn follow(&mut self, destination: Destination) {
        self.destination = Some(destination);
        self.reconcile();
    }

    /// Closes the connection before the broker goes away, so the subscriber reports no lost connection.
    pub fn broker_stopping(&mut self) {
        if let Some(Destination { embedded: true, .. }) = &self.destination
            && let Some((session, _)) = self.session.take()
        {
            session.close();
        }
    }

    fn target(&self) -> Option<&ResolvedTarget> {
        self.destination
            .as_ref()
            .and_then(|d| d.resolved.as_ref().ok())
            .and_then(Option::as_ref)
    }

    fn label(&self) -> String {
        match (&self.destination, self.target()) {
            (Some(d), Some(t)) if d.embedded => {
                format!("the embedded broker ({}:{})", t.host, t.port)
            }
            (Some(d), _) => d.label.clone(),
            (None, _) => "the embedded broker".to_owned(),
        }
    }

    /// Why there is no connection to try, if there is none.
    fn unreachable_reason(&self) -> Option<String> {
        match &self.destination {
            None
            | Some(Destination {
                resolved: Ok(None), ..
            }) => Some("the embedded broker is not running: start it first".to_owned()),
            Some(Destination {
                resolved: Err(error),
                ..
            }) => Some(error.to_string()),
            Some(_) => None,
        }
    }

    /// Opens, moves or closes the connection to match what is wanted and where the broker is.
    fn reconcile(&mut self) {
        let want = if self.active {
            self.target().cloned()
        } else {
            None
        };
        let current = self.session.as_ref().map(|(_, target)| target);
        let same = match (current, &want) {
            (Some(a), Some(b)) => {
                a.host == b.host
                    && a.port == b.port
                    && a.credentials == b.credentials
                    && a.tls.is_some() == b.tls.is_some()
                    && a.client_id_prefix == b.client_id_prefix
            }
            (None, None) => true,
            _ => false,
        };
        if same {
            return;
        }
        if let Some((session, _)) = self.session.take() {
            session.close();
        }
        if let Some(target) = want {
            let max_payload_bytes = self.store.lock().log.limits().max_payload_bytes;
            let session = Session::open(
                &self.connection_runtime,
                SessionSetup {
                    target: target.clone(),
                    label: self.label(),
                    wanted: self.wanted.clone(),
                    ingest: self.ingest.sender.clone(),
                    sink: self.sink.clone(),
                    max_payload_bytes,
                },
            );
            self.session = Some((session, target));
        }
    }

    fn wanted(&self) -> Vec<(String, u8)> {
        self.wanted.lock().map(|w| w.clone()).unwrap_or_default()
    }

    fn set_wanted(&self, change: impl FnOnce(&mut Vec<(String, u8)>)) {
        let mut wanted = self.wanted.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut wanted);
    }

    /// Turns the subscriber on (with `#` if it has no subscription yet).
    fn activate(&mut self) {
        if self.wanted().is_empty() {
            self.set_wanted(|w| w.push((DEFAULT_FILTER.to_owned(), 0)));
        }
        self.active = true;
        self.reconcile();
    }

    /// The connection, or why there is none.
    fn session_for(&mut self, what: &'static str) -> Result<&Session, MonitorError> {
        if !self.active {
            self.activate();
        }
        if let Some(why) = self.unreachable_reason() {
            return Err(MonitorError::NotConnected { what, why });
        }
        self.session
            .as_ref()
            .map(|(session, _)| session)
            .ok_or(MonitorError::NotConnected {
                what,
                why: "the subscriber is not connected".to_owned(),
            })
    }

    /// Carries out a command; what it did is returned as a sentence for the activity log, if worth one.
    pub async fn execute(
        &mut self,
        command: MonitorCommand,
    ) -> Result<Option<String>, MonitorError> {
        match command {
            MonitorCommand::Start => {
                self.activate();
                Ok(Some(format!(
                    "the subscriber watches {} on {}",
                    quoted_filters(&self.wanted()),
                    self.label()
                )))
            }
            MonitorCommand::Stop => {
                self.active = false;
                self.reconcile();
                Ok(Some(
                    "the subscriber disconnected (the log is kept)".to_owned(),
                ))
            }
            MonitorCommand::Subscribe { filter, qos } => self.subscribe(filter, qos),
            MonitorCommand::Unsubscribe { filter } => {
                if !self.wanted().iter().any(|(f, _)| *f == filter) {
                    return Err(MonitorError::NotSubscribed(filter));
                }
                // The broker is asked first: if the client is too busy to ask, nothing changes
                // and the user can simply try again.
                if let Some((session, _)) = &self.session
                    && session.state.is_connected()
                {
                    session
                        .client
                        .try_unsubscribe(filter.clone())
                        .map_err(|_| MonitorError::Busy)?;
                }
                self.set_wanted(|w| w.retain(|(f, _)| *f != filter));
                Ok(Some(format!("unsubscribed from \"{filter}\"")))
            }
            MonitorCommand::Publish {
                topic,
                payload,
                qos,
                retain,
            } => {
                validate_topic_name(&topic).map_err(MonitorError::Topic)?;
                if qos > 2 {
                    return Err(MonitorError::BadQos(qos));
                }
                if payload.len() > MAX_PACKET - 64 * 1024 {
                    return Err(MonitorError::PayloadTooLarge(payload.len()));
                }
                let session = self.session_for("publish")?;
                session
                    .client
                    .try_publish(topic, subscriber::qos(qos), retain, payload)
                    .map_err(|_| MonitorError::Busy)?;
                Ok(None)
            }
            MonitorCommand::ClearLog => {
                self.store.lock().log.clear();
                self.totals.bump_version();
                Ok(None)
            }
            MonitorCommand::SetLogCapacity(capacity) => {
                if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
                    return Err(MonitorError::Capacity(capacity));
                }
                self.store.lock().log.set_capacity(capacity);
                self.totals.bump_version();
                Ok(Some(format!(
                    "the log now keeps the newest {capacity} messages"
                )))
            }
            MonitorCommand::ClearRetained { topic } => self.clear_retained(topic),
            MonitorCommand::AddSeries { filter, field } => {
                let id = SeriesId(self.next_series);
                series::add(&mut self.store.lock(), id, &filter, field.as_deref())?;
                self.next_series += 1;
                self.totals.bump_version();
                Ok(None)
            }
            MonitorCommand::RemoveSeries { id } => {
                series::remove(&mut self.store.lock(), id)?;
                self.totals.bump_version();
                Ok(None)
            }
            MonitorCommand::ClearSeries => {
                self.store.lock().series.clear();
                self.totals.bump_version();
                Ok(None)
            }
            MonitorCommand::StartRecording(path) => self.start_recording(path).await,
            MonitorCommand::StopRecording => self.stop_recording().await,
            MonitorCommand::Export {
                path,
                format,
                filter,
            } => {
                let messages: Vec<_> = {
                    let store = self.store.lock();
                    let matcher = filter.matcher();
                    store
                        .log
                        .iter()
                        .filter(|m| matcher.matches(m))
                        .cloned()
                        .collect()
                };
                let shown = path.display().to_string();
                let written = tokio::task::spawn_blocking(move || {
                    files::export_to_path(&messages, &path, format)
                })
                .await
                .map_err(|_| FileError::Interrupted)??;
                Ok(Some(format!("saved {written} messages to {shown}")))
            }
            MonitorCommand::Import(path) => self.import(path).await,
        }
    }

    fn subscribe(&mut self, filter: String, qos: u8) -> Result<Option<String>, MonitorError> {
        if qos > 2 {
            return Err(MonitorError::BadQos(qos));
        }
        TopicFilter::parse(&filter).map_err(MonitorError::Filter)?;
        let embedded = self.destination.as_ref().is_none_or(|d| d.embedded);
        if embedded && filter.starts_with("$SYS") {
            return Err(MonitorError::SysOnEmbedded);
        }
        let mut changed = false;
        self.set_wanted(|w| match w.iter_mut().find(|(f, _)| *f == filter) {
            Some(existing) => {
                changed = existing.1 != qos;
                existing.1 = qos;
            }
            None => w.push((filter.clone(), qos)),
        });
        // Wanted list first, then the connection: a reconnect in between subscribes from the list.
        self.active = true;
        self.reconcile();
        if let Some((session, _)) = &self.session {
            session
                .subscribe(&[(filter.clone(), qos)])
                .map_err(|_| MonitorError::Busy)?;
        }
        Ok(Some(if changed {
            format!("the subscription \"{filter}\" now uses QoS {qos}")
        } else {
            format!("subscribed to \"{filter}\" at QoS {qos}")
        }))
    }

    fn clear_retained(&mut self, topic: String) -> Result<Option<String>, MonitorError> {
        let topics = self.store.lock().tree.retained_topics_under(&topic);
        let place = if topic.is_empty() {
            "anywhere".to_owned()
        } else {
            format!("at or under \"{topic}\"")
        };
        if topics.is_empty() {
            return Ok(Some(format!("no retained messages seen {place}")));
        }
        let client = self.session_for("clear retained messages")?.client.clone();
        {
            let mut store = self.store.lock();
            for one in &topics {
                store.tree.remove_retained_marker(one);
            }
        }
        self.totals.bump_version();
        let count = topics.len();
        let sink = self.sink.clone();
        let done = format!("clearing {count} retained messages {place}");
        // Not the task that polls the connection, so awaiting a full request queue is safe here.
        tokio::spawn(async move {
            let mut cleared = 0;
            let sending = async {
                for one in topics {
                    if client
                        .publish(one, rumqttc::QoS::AtLeastOnce, true, Vec::new())
                        .await
                        .is_err()
                    {
                        break;
                    }
                    cleared += 1;
                }
            };
            let finished = tokio::time::timeout(CLEAR_RETAINED_PATIENCE, sending).await;
            if finished.is_err() || cleared < count {
                sink.send(Event::MonitorProblem(format!(
                    "cleared {cleared} of {count} retained messages {place}; the subscriber lost its connection meanwhile: try again"
                )));
            }
        });
        Ok(Some(done))
    }

    async fn start_recording(&mut self, path: PathBuf) -> Result<Option<String>, MonitorError> {
        if let Some(current) = self.recording() {
            return Err(MonitorError::AlreadyRecording(
                current.display().to_string(),
            ));
        }
        let recorder = Recorder::create(&path)?;
        // Waits until the ingest task holds the recorder, so a second start right after this one
        // already sees it recording.
        let (answer, taken) = oneshot::channel();
        self.order(Control::Record(Some(recorder), answer)).await?;
        taken.await.map_err(|_| MonitorError::Gone)?;
        if !self.active {
            self.activate();
        }
        Ok(Some(format!(
            "recording every message the subscriber receives to {}",
            path.display()
        )))
    }

    async fn stop_recording(&mut self) -> Result<Option<String>, MonitorError> {
        let (answer, ended) = oneshot::channel();
        self.order(Control::Record(None, answer)).await?;
        let ended = ended.await.map_err(|_| MonitorError::Gone)?;
        let Some(ended) = ended else {
            return Err(MonitorError::NotRecording);
        };
        let path = ended.path.display().to_string();
        match ended.error {
            Some(why) => Err(MonitorError::RecordingLost {
                path,
                written: ended.written,
                why,
            }),
            None => Ok(Some(format!(
                "recorded {} messages to {path}",
                ended.written
            ))),
        }
    }

    async fn order(&self, order: Control) -> Result<(), MonitorError> {
        self.ingest
            .control
            .send(order)
            .await
            .map_err(|_| MonitorError::Gone)
    }

    async fn import(&mut self, path: PathBuf) -> Result<Option<String>, MonitorError> {
        let (keep, max_payload_bytes) = {
            let store = self.store.lock();
            (
                store.log.limits().capacity,
                store.log.limits().max_payload_bytes,
            )
        };
        let shown = path.display().to_string();
        let imported = tokio::task::spawn_blocking(move || {
            files::import_from_path(&path, keep, max_payload_bytes)
        })
        .await
        .map_err(|_| FileError::Interrupted)??;
        let previews: Vec<String> = imported
            .messages
            .iter()
            .map(|m| {
                preview(
                    &m.payload,
                    detect_kind(&m.payload),
                    MAX_STORED_PREVIEW_CHARS,
                )
            })
            .collect();
        let loaded = imported.messages.len();
        {
            let mut store = self.store.lock();
            for (message, preview) in imported.messages.into_iter().zip(&previews) {
                // Recorded retain flags say nothing about what the broker holds now: no markers.
                store.tree.record(
                    &message.topic,
                    preview,
                    message.original_payload_len(),
                    false,
                    message.received_at,
                );
                store.log.push_message(message);
            }
        }
        self.totals.bump_version();
        let mut summary = format!("loaded {loaded} messages from {shown}");
        if imported.left_out > 0 {
            summary.push_str(&format!(
                " (the oldest {} did not fit in the log)",
                imported.left_out
            ));
        }
        let bad = imported.report.bad_lines();
        if bad > 0 {
            summary.push_str(&format!(
                "; skipped {bad} unreadable lines: {}",
                files::describe_problems(&imported.report)
            ));
        }
        Ok(Some(summary))
    }

    fn recording(&self) -> Option<PathBuf> {
        self.ingest
            .recording
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ends the recording (flushed) and the connection; for the engine's shutdown.
    pub async fn shutdown(&mut self) {
        if self.recording().is_some() {
            let _ = self.stop_recording().await;
        }
        self.active = false;
        self.reconcile();
    }

    /// Ends the topic tree's one-second rate window.
    pub fn close_second(&self) {
        self.store.lock().tree.close_second();
    }

    /// Messages received so far (for the rate meter).
    pub fn received_total(&self) -> u64 {
        self.totals.received.load(Ordering::SeqCst)
    }

    /// The subscriber as front ends draw it; `received_per_s` is left for the snapshot builder.
    pub fn snapshot(&self) -> MonitorSnapshot {
        let state = self.session.as_ref().map(|(session, _)| &session.state);
        let last_error = match state {
            Some(state) => state.problem(),
            None if self.active => self.unreachable_reason(),
            None => None,
        };
        MonitorSnapshot {
            connected: state.is_some_and(|s| s.is_connected()),
            subscribed: state.is_some_and(|s| s.is_subscribed()),
            target: self.label(),
            embedded: matches!(self.destination, Some(Destination { embedded: true, .. })),
            subscriptions: self.wanted(),
            received_total: self.received_total(),
            received_per_s: 0,
            last_error,
            recording: self.recording(),
            log_version: self.totals.log_version.load(Ordering::Relaxed),
        }
    }
}

fn quoted_filters(filters: &[(String, u8)]) -> String {
    filters
        .iter()
        .map(|(f, q)| format!("\"{f}\" (QoS {q})"))
        .collect::<Vec<_>>()
        .join(", ")
}
