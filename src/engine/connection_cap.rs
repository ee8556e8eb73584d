//! The front door's cap on concurrent connections: who gets in, how the excess is turned away, and
//! how refusals and a full descriptor table are reported (summarised, never one line per connection).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::events::{Event, EventSink};
use super::limits::thousands;
use super::mqtt_wire::{self, ConnectRead, Refusal};

/// How long refusals gather before they are reported as one line.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(5);
/// Over-cap connections answered with a CONNACK at once; past this they are just closed, so a
/// flood cannot pin descriptors waiting for CONNECTs.
const ANSWERED_AT_ONCE: usize = 32;
/// How long an over-cap client has to send its CONNECT before it is simply closed.
const REFUSAL_READ: Duration = Duration::from_secs(2);
/// A refused client's CONNECT is only read to learn its protocol version: a small one suffices.
const REFUSAL_CONNECT_LEN: usize = 64 * 1024;
/// Back-off after a failed accept (out of descriptors): doubles up to the most.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(20);
const ACCEPT_BACKOFF_MOST: Duration = Duration::from_secs(1);

/// Counts open connections against the cap; shared by the TCP and WebSocket ports of one broker run.
pub struct ConnectionGate {
    cap: usize,
    open: AtomicUsize,
    /// Refusals since the last report.
    pending: AtomicU64,
    /// True while refusals are being gathered for a summary.
    gathering: AtomicBool,
    answering: Arc<Semaphore>,
}

/// One admitted connection; dropping it frees its place.
pub struct Permit(Arc<ConnectionGate>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the accept loop should do about a refusal's report.
#[derive(Debug, PartialEq, Eq)]
pub enum Report {
    /// The first refusal after a quiet spell: reported at once; a summary is due in [`SUMMARY_EVERY`].
    Now,
    /// Counted for the summary already due.
    Later,
}

impl ConnectionGate {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            open: AtomicUsize::new(0),
            pending: AtomicU64::new(0),
            gathering: AtomicBool::new(false),
            answering: Arc::new(Semaphore::new(ANSWERED_AT_ONCE)),
        })
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Connections holding a place now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// A place for one more connection, or `None` when the cap is reached.
    pub fn try_enter(self: &Arc<Self>) -> Option<Permit> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.cap).then_some(open + 1)
            })
            .ok()
            .map(|_| Permit(self.clone()))
    }

    /// Counts a refusal and says whether to report it now.
    pub fn note_refusal(&self) -> Report {
        if self.gathering.swap(true, Ordering::AcqRel) {
            self.pending.fetch_add(1, Ordering::AcqRel);
            Report::Later
        } else {
            Report::Now
        }
    }

    /// Ends a gathering spell: returns the refusals to summarise; with none, the spell is over and
    /// the next refusal is reported at once again. Returns whether another summary is due.
    pub fn close_summary(&self, events: &EventSink) -> bool {
        let refused = self.pending.swap(0, Ordering::AcqRel);
        if refused == 0 {
            self.gathering.store(false, Ordering::Release);
            return false;
        }
        events.send(Event::ConnectionsOverCap {
            first_peer: None,
            refused,
            cap: self.cap,
        });
        true
    }

    /// Turns an over-cap connection away: an MQTT client over TCP gets a CONNACK "server
    /// unavailable" when it sends its CONNECT promptly (and few are waiting); others are closed.
    pub fn turn_away(&self, socket: TcpStream, answer: bool) {
        if !answer {
            drop(socket);
            return;
        }
        let Ok(slot) = self.answering.clone().try_acquire_owned() else {
            drop(socket);
            return;
        };
        tokio::spawn(async move {
            let _slot = slot;
            let _ = tokio::time::timeout(REFUSAL_READ, answer_server_unavailable(socket)).await;
        });
    }
}

/// Reads the CONNECT (to learn the protocol version) and answers "server unavailable".
async fn answer_server_unavailable(mut socket: TcpStream) {
    let mut buffer = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    let version = loop {
        match mqtt_wire::read_connect(&buffer, REFUSAL_CONNECT_LEN) {
            Ok(ConnectRead::Complete { info, .. }) => break info.version,
            Ok(ConnectRead::Incomplete { .. }) => {}
            Err(_) => return,
        }
        match socket.read(&mut chunk).await {
            Ok(n) if n > 0 => buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            _ => return,
        }
    };
    let _ = socket
        .write_all(&mqtt_wire::connack_refusal(
            version,
            Refusal::ServerUnavailable,
        ))
        .await;
    let _ = socket.shutdown().await;
}

/// A refusal reported as it happens (the first of a spell).
pub fn first_refusal(peer: SocketAddr, cap: usize) -> Event {
    Event::ConnectionsOverCap {
        first_peer: Some(peer),
        refused: 1,
        cap,
    }
}

/// The words for [`Event::ConnectionsOverCap`].
pub fn describe_over_cap(first_peer: Option<SocketAddr>, refused: u64, cap: usize) -> String {
    match first_peer {
        Some(peer) => format!(
            "connection from {peer} refused: the broker already has {} connections, its cap (--max-connections; see Diagnostics); further refusals are summarised every {} s",
            thousands(cap as u64),
            SUMMARY_EVERY.as_secs()
        ),
        None => format!(
            "{} more connections refused in the last {} s: the broker is at its cap of {} connections",
            thousands(refused),
            SUMMARY_EVERY.as_secs(),
            thousands(cap as u64)
        ),
    }
}

/// Accept failures (out of descriptors, mostly): backs off and reports once per spell.
#[derive(Default)]
pub struct AcceptTrouble {
    backoff: Option<Duration>,
}

impl AcceptTrouble {
    /// Notes a failed accept; returns how long to wait before the next. The first failure of a
    /// spell is reported (in Activity and the log); the rest only wait.
    pub fn failed(&mut self, err: &std::io::Error, events: &EventSink) -> Duration {
        let next = match self.backoff {
            None => {
                let why = if is_out_of_descriptors(err) {
                    let limit = super::limits::open_files_limit()
                        .map(|l| format!(" ({})", thousands(l.soft)))
                        .unwrap_or_default();
                    format!(
                        "new connections are waiting: the open-files limit{limit} is used up ({err}); close some clients or raise the limit (`ulimit -n`) and restart"
                    )
                } else {
                    format!("new connections are waiting: accepting failed ({err})")
                };
                events.send(Event::BrokerProblem(why));
                ACCEPT_BACKOFF_FIRST
            }
            Some(last) => (last * 2).min(ACCEPT_BACKOFF_MOST),
        };
        self.backoff = Some(next);
        next
    }

    /// Notes a successful accept; reports the recovery once.
    pub fn succeeded(&mut self) {
        if self.backoff.take().is_some() {
            tracing::info!("accepting connections again");
        }
    }
}

fn is_out_of_descriptors(err: &std::io::Error) -> bool {
    // EMFILE (process) and ENFILE (system) on Unix; WSAEMFILE on Windows.
    matches!(err.raw_os_error(), Some(24 | 23 | 10024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_admits_that_many_and_a_leaving_one_frees_a_place() {
        let gate = ConnectionGate::new(2);
        let a = gate.try_enter().expect("first");
        let _b = gate.try_enter().expect("second");
        assert!(gate.try_enter().is_none(), "third is over the cap");
        drop(a);
        assert!(gate.try_enter().is_some(), "a place was freed");
    }

    #[test]
    fn refusals_are_reported_once_then_summarised() {
        let gate = ConnectionGate::new(1);
        let (sink, events) = super::super::events::event_queue();
        assert_eq!(gate.note_refusal(), Report::Now);
        for _ in 0..99 {
            assert_eq!(gate.note_refusal(), Report::Later);
        }
        assert!(gate.close_summary(&sink), "99 to summarise");
        match events.next_timeout(Duration::from_secs(1)) {
            Some(Event::ConnectionsOverCap { refused, .. }) => assert_eq!(refused, 99),
            other => panic!("expected a summary, got {other:?}"),
        }
        assert!(!gate.close_summary(&sink), "quiet: the spell ends");
        assert_eq!(gate.note_refusal(), Report::Now, "a new spell starts");
    }

    #[test]
    fn accept_failures_back_off_and_are_reported_once() {
        let (sink, events) = super::super::events::event_queue();
        let mut trouble = AcceptTrouble::default();
        let emfile = std::io::Error::from_raw_os_error(24);
        let mut waits = Vec::new();
        for _ in 0..10 {
            waits.push(trouble.failed(&emfile, &sink));
        }
        assert_eq!(waits[0], ACCEPT_BACKOFF_FIRST);
        assert!(waits.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*waits.last().unwrap(), ACCEPT_BACKOFF_MOST);
        match events.try_next() {
            Some(Event::BrokerProblem(why)) => assert!(why.contains("open-files limit"), "{why}"),
            other => panic!("expected one report, got {other:?}"),
        }
        assert_eq!(events.try_next(), None, "reported once, not ten times");
        trouble.succeeded();
        assert_eq!(trouble.failed(&emfile, &sink), ACCEPT_BACKOFF_FIRST);
        assert!(events.try_next().is_some(), "a new spell is reported again");
    }
}
