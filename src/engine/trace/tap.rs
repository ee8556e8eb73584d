//! The course's tap on the trace: while a course runs, every connection's records are offered (with
//! who sent them) to a bounded queue the course reads; a full queue drops and counts, never waits.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::record::PacketRecord;

/// Who a tapped record belongs to: what the connection's CONNECT and socket said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapConnection {
    /// The user name the client signed in with, if any.
    pub username: Option<String>,
    /// Where the connection came from (unknown for traces built in tests).
    pub peer: Option<SocketAddr>,
    /// The MQTT version it speaks: "3.1", "3.1.1" or "5".
    pub protocol: &'static str,
}

/// One record offered to the course.
#[derive(Debug, Clone)]
pub struct TapRecord {
    pub record: Arc<PacketRecord>,
    pub who: Arc<TapConnection>,
}

/// The tap's switch, queue and loss counter, shared by every connection.
#[derive(Default)]
pub(super) struct Tap {
    /// The one check a connection makes per record batch while no course runs.
    open: AtomicBool,
    sender: Mutex<Option<mpsc::Sender<TapRecord>>>,
    dropped: Arc<AtomicU64>,
}

impl Tap {
    pub(super) fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// Opens the tap with a queue of `capacity` records; an earlier queue is closed.
    pub(super) fn open(&self, capacity: usize) -> (mpsc::Receiver<TapRecord>, Arc<AtomicU64>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        *self.sender.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
        self.dropped.store(0, Ordering::Relaxed);
        self.open.store(true, Ordering::Relaxed);
        (receiver, self.dropped.clone())
    }

    pub(super) fn close(&self) {
        self.open.store(false, Ordering::Relaxed);
        *self.sender.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Offers records; those that find the queue full are counted as dropped.
    pub(super) fn offer(&self, records: impl IntoIterator<Item = TapRecord>) {
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner());
        let Some(sender) = sender.as_ref() else {
            return;
        };
        for record in records {
            if sender.try_send(record).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
