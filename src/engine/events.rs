//! What the engine tells its front ends: events in a bounded queue, and a waker so a window repaints only on change.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use super::broker_error::BrokerError;
use super::clients::Transport;
use super::display_text;
use super::mqtt_wire::ProtocolVersion;

/// How many events may wait for a front end before new ones are dropped (and counted).
pub const EVENT_QUEUE_LEN: usize = 4096;

/// Something that happened in the engine, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    BrokerStarted {
        tcp: SocketAddr,
        websocket: Option<SocketAddr>,
    },
    BrokerStopped,
    BrokerFailed(BrokerError),
    /// A command could not be carried out; the message says why and what to do.
    CommandRejected(String),
    /// The device fleet did what it was asked (a sentence saying what).
    FleetChanged(String),
    /// The app's own subscriber did what it was asked, or connected again (a sentence saying what).
    MonitorChanged(String),
    /// The subscriber hit a problem it works around (lost connection, oversized message, failed recording).
    MonitorProblem(String),
    ClientConnected {
        peer: SocketAddr,
        client_id: String,
        version: ProtocolVersion,
        transport: Transport,
    },
    ClientDisconnected {
        peer: SocketAddr,
        client_id: String,
        /// True when the client sent DISCONNECT; false when the connection was lost (its will fires).
        clean: bool,
    },
    /// A client that sent a valid CONNECT but was turned away.
    ClientRefused {
        peer: SocketAddr,
        client_id: String,
        reason: String,
    },
    /// A connection that never became an MQTT client (wrong protocol, garbage, timeout).
    ConnectionRejected {
        peer: SocketAddr,
        reason: String,
    },
    /// The broker's port hit trouble it works around (out of open files: it waits and tries again).
    BrokerProblem(String),
    /// Connections turned away because the broker is at its connection cap: the first of a spell
    /// (with its address), then one summary every few seconds while it lasts.
    ConnectionsOverCap {
        first_peer: Option<SocketAddr>,
        refused: u64,
        cap: usize,
    },
    /// Wrong sign-ins from one address, summed up (at most one line per address every few seconds).
    WrongPasswords {
        ip: std::net::IpAddr,
        wrong_total: u64,
        /// True when sign-ins from there are now answered slowly.
        slowed: bool,
    },
    /// A learner finished a course step (the check saw them do it).
    StepCompleted {
        learner: String,
        client_id: String,
        /// The step's place in the course, from 0.
        step: usize,
        title: String,
    },
    /// The course did what it was asked (opened, closed, a skip, a reset: a sentence saying what).
    CourseChanged(String),
}

impl Event {
    /// One line for a log or the terminal: client text escaped (a newline in a client id cannot
    /// forge a line), client ids cut to [`display_text::INLINE_CHARS`].
    pub fn describe(&self) -> String {
        self.describe_within(display_text::INLINE_CHARS)
    }

    /// [`Event::describe`] with client ids cut to `id_chars` (the window's hover shows more).
    pub fn describe_within(&self, id_chars: usize) -> String {
        let shown_id = |client_id: &str| display_text::clipped(client_id, id_chars).into_owned();
        let text = match self {
            Event::BrokerStarted { tcp, websocket } => match websocket {
                Some(ws) => format!("broker running: MQTT on {tcp}, WebSocket on {ws}"),
                None => format!("broker running: MQTT on {tcp}"),
            },
            Event::BrokerStopped => "broker stopped".to_owned(),
            Event::BrokerFailed(err) => format!("broker failed: {err}"),
            Event::CommandRejected(why) => why.clone(),
            Event::FleetChanged(what) => what.clone(),
            Event::MonitorChanged(what) | Event::MonitorProblem(what) => what.clone(),
            Event::ClientConnected {
                peer,
                client_id,
                version,
                transport,
            } => format!(
                "client \"{}\" connected from {peer} (MQTT {}, {})",
                shown_id(client_id),
                version.label(),
                transport.label()
            ),
            Event::ClientDisconnected {
                peer,
                client_id,
                clean,
            } => {
                let how = if *clean {
                    "disconnected"
                } else {
                    "lost its connection (its last will, if any, is published)"
                };
                format!("client \"{}\" from {peer} {how}", shown_id(client_id))
            }
            Event::ClientRefused {
                peer,
                client_id,
                reason,
            } => format!(
                "client \"{}\" from {peer} refused: {reason}",
                shown_id(client_id)
            ),
            Event::ConnectionRejected { peer, reason } => {
                format!("connection from {peer} closed: {reason}")
            }
            Event::BrokerProblem(what) | Event::CourseChanged(what) => what.clone(),
            Event::ConnectionsOverCap {
                first_peer,
                refused,
                cap,
            } => super::connection_cap::describe_over_cap(*first_peer, *refused, *cap),
            Event::WrongPasswords {
                ip,
                wrong_total,
                slowed,
            } => {
                let pace = if *slowed {
                    "; sign-ins from there are now answered slowly (password guessing?)"
                } else {
                    ""
                };
                format!("{wrong_total} wrong passwords from {ip}{pace}")
            }
            Event::StepCompleted {
                learner,
                client_id,
                step,
                title,
            } => {
                // An empty client id (the broker assigned one) says nothing worth printing.
                let by = if learner == client_id || client_id.is_empty() {
                    String::new()
                } else {
                    format!(" (client \"{}\")", shown_id(client_id))
                };
                format!(
                    "{} completed step {}: {title}{by}",
                    display_text::clipped(learner, id_chars),
                    step + 1
                )
            }
        };
        display_text::escaped(&text).into_owned()
    }
}

/// Called after the engine has news, so an idle window sleeps until something changes.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The engine's end of the event queue.
#[derive(Clone)]
pub struct EventSink {
    sender: SyncSender<Event>,
    waker: Arc<Mutex<Option<Waker>>>,
    dropped: Arc<AtomicU64>,
}

/// The front end's end of the event queue.
pub struct EventSource {
    receiver: Receiver<Event>,
    dropped: Arc<AtomicU64>,
}

pub fn event_queue() -> (EventSink, EventSource) {
    let (sender, receiver) = sync_channel(EVENT_QUEUE_LEN);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        EventSink {
            sender,
            waker: Arc::new(Mutex::new(None)),
            dropped: dropped.clone(),
        },
        EventSource { receiver, dropped },
    )
}

impl EventSink {
    /// Queues an event without ever waiting; a full queue drops it and counts the loss.
    pub fn send(&self, event: Event) {
        // What Activity shows also goes to the log file (see diagnostics::trace_event).
        super::diagnostics::trace_event(&event);
        match self.sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
        self.wake();
    }

    /// Tells the front end to look again (a new snapshot, say).
    pub fn wake(&self) {
        let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(waker) = waker {
            waker();
        }
    }

    /// Events lost so far because the front end fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn set_waker(&self, waker: Waker) {
        *self.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker);
    }
}

impl EventSource {
    /// The next event if one is waiting; never blocks.
    pub fn try_next(&self) -> Option<Event> {
        self.receiver.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (for the headless CLI and tests, never the UI thread).
    pub fn next_timeout(&self, timeout: std::time::Duration) -> Option<Event> {
        self.receiver.recv_timeout(timeout).ok()
    }

    /// Events lost because the front end did not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
