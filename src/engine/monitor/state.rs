//! Counters and flags the subscriber's tasks share with the engine loop, which draws them in the snapshot.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// For the monitor's whole life: what reached the log.
#[derive(Debug, Default)]
pub struct Totals {
    /// Messages received from the broker and put in the log (imports are not counted).
    pub received: AtomicU64,
    /// Bumped whenever the log, the tree or the series change.
    pub log_version: AtomicU64,
}

impl Totals {
    pub fn bump_version(&self) {
        self.log_version.fetch_add(1, Ordering::Relaxed);
    }
}

/// One connection's life: a new connection (new broker, new port) gets a fresh one, so a closing
/// old connection cannot paint over the new one's state.
#[derive(Debug, Default)]
pub struct SessionState {
    pub connected: AtomicBool,
    /// SUBSCRIBE requests sent on the current connection, and SUBACKs received for them.
    pub subscribes_sent: AtomicU64,
    pub subscribes_acked: AtomicU64,
    problem: Mutex<Option<Problem>>,
}

#[derive(Debug, Clone)]
struct Problem {
    text: String,
    /// Connection problems vanish once connected again; message problems (too large) stay until replaced.
    clears_on_connect: bool,
}

impl SessionState {
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Connected, and the broker has acknowledged every subscription sent since connecting.
    pub fn is_subscribed(&self) -> bool {
        let sent = self.subscribes_sent.load(Ordering::SeqCst);
        self.is_connected() && sent > 0 && self.subscribes_acked.load(Ordering::SeqCst) >= sent
    }

    pub fn problem(&self) -> Option<String> {
        self.lock().as_ref().map(|p| p.text.clone())
    }

    pub fn connection_problem(&self, text: String) {
        *self.lock() = Some(Problem {
            text,
            clears_on_connect: true,
        });
    }

    pub fn message_problem(&self, text: String) {
        *self.lock() = Some(Problem {
            text,
            clears_on_connect: false,
        });
    }

    pub fn on_connected(&self) {
        self.subscribes_sent.store(0, Ordering::SeqCst);
        self.subscribes_acked.store(0, Ordering::SeqCst);
        self.connected.store(true, Ordering::SeqCst);
        let mut problem = self.lock();
        if problem.as_ref().is_some_and(|p| p.clears_on_connect) {
            *problem = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Problem>> {
        self.problem.lock().unwrap_or_else(|p| p.into_inner())
    }
}
