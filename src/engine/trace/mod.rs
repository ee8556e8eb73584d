//! The protocol trace: packets of both directions decoded at the front door (by rumqttc's maintained
//! MQTT parser), kept per client in bounded memory, read by front ends through [`TraceAccess`] and
//! changed only by [`TraceCommand`]s; `serve --trace FILE` writes every record as JSON Lines.

mod connection;
mod decode;
mod decode_v4;
mod decode_v5;
pub mod fields;
pub mod flow;
mod journey;
mod leg;
mod record;
mod sink;
mod store;
mod tap;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use connection::{ConnectionEnd, ConnectionTrace};
pub use decode::{Decoded, decode_frame, packet_type_name};
pub use journey::{DELIVERY_WINDOW, Delivery, Journey, Missed, find_publish, follow};
pub use leg::{Leg, MAX_DECODED_FRAME};
pub use record::{CONNECTION_END, MALFORMED, PacketRecord, TraceDirection};
pub use sink::{TraceFileError, export};
pub use store::{ClientTrace, PER_CLIENT_RECORDS, TOTAL_BYTES, TOTAL_RECORDS, TraceStore};
pub use tap::{TapConnection, TapRecord};

use sink::FileSink;

/// What a front end asks of the trace.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceCommand {
    /// Decode every packet of these clients (by their own ids) from now on; replaces the earlier set.
    /// Every connection's CONNECT, CONNACK and end are recorded whatever is watched.
    Watch(Vec<String>),
    /// Decode every packet of every client (`serve --trace`, the Trace tab's "all clients").
    WatchAll(bool),
    /// Forgets every record.
    Clear,
    /// Appends every record from now on to a JSON Lines file.
    StartFile(PathBuf),
    StopFile,
    /// Writes the records kept (one client's, or all) to a JSON Lines file.
    Export {
        path: PathBuf,
        client: Option<String>,
    },
}

/// Which clients get every packet decoded.
#[derive(Debug, Default)]
struct Watching {
    all: bool,
    clients: HashSet<String>,
}

#[derive(Default)]
struct Shared {
    store: Mutex<TraceStore>,
    watching: Mutex<Watching>,
    /// Bumped when `watching` changes; legs compare it per chunk (one atomic load) and look again.
    generation: AtomicU64,
    file: Mutex<Option<FileSink>>,
    /// The running course's view of every connection's packets (closed while no course runs).
    tap: tap::Tap,
}

/// A handle on the trace, cheap to clone: the front door writes through it, views read through it.
#[derive(Clone, Default)]
pub struct TraceAccess(Arc<Shared>);

impl std::fmt::Debug for TraceAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceAccess")
    }
}

/// The trace as the snapshot shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceSnapshot {
    /// Bumped whenever records change, so a view knows when to read again.
    pub version: u64,
    pub records: usize,
    pub bytes: usize,
    pub watching_all: bool,
    pub watched: Vec<String>,
    /// The file `serve --trace` writes, with records written and records lost to a slow disk.
    pub file: Option<(PathBuf, u64, u64)>,
}

impl TraceAccess {
    /// A handle on a store built elsewhere (UI tests draw the trace from fixed data this way).
    pub fn from_store(store: TraceStore) -> Self {
        let access = Self::default();
        *access.store() = store;
        access
    }

    /// Reads the store; keep the closure short (connections being traced wait meanwhile).
    pub fn read<T>(&self, reader: impl FnOnce(&TraceStore) -> T) -> T {
        reader(&self.store())
    }

    /// Every record kept, in arrival order; only the copying happens under the lock.
    pub fn all_records(&self) -> Vec<Arc<PacketRecord>> {
        let mut all = self.read(|store| store.unsorted());
        all.sort_by_key(|r| r.seq);
        all
    }

    fn store(&self) -> MutexGuard<'_, TraceStore> {
        self.0.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn watching(&self) -> MutexGuard<'_, Watching> {
        self.0.watching.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn file(&self) -> MutexGuard<'_, Option<FileSink>> {
        self.0.file.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Relaxed)
    }

    /// True while a course reads every connection's records (one atomic load).
    pub(crate) fn tapping(&self) -> bool {
        self.0.tap.is_open()
    }

    /// Starts offering every connection's records, fully decoded, to a queue of `capacity` records
    /// (the course reads it); returns the queue and the count of records it had no room for. The
    /// store keeps only what it keeps without a course.
    pub fn open_course_tap(
        &self,
        capacity: usize,
    ) -> (
        tokio::sync::mpsc::Receiver<TapRecord>,
        Arc<std::sync::atomic::AtomicU64>,
    ) {
        let opened = self.0.tap.open(capacity);
        self.0.generation.fetch_add(1, Ordering::Relaxed);
        opened
    }

    /// Stops the course's tap; unwatched connections go back to costing one atomic load per chunk.
    pub fn close_course_tap(&self) {
        self.0.tap.close();
        self.0.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn offer_to_tap(&self, records: impl IntoIterator<Item = TapRecord>) {
        self.0.tap.offer(records);
    }

    fn is_watched(&self, client: &str) -> bool {
        let watching = self.watching();
        watching.all || watching.clients.contains(client)
    }

    /// Adds records (as one batch, under one lock) and hands them to the trace file if one is open;
    /// returns them as stored.
    pub fn push_all(
        &self,
        records: impl IntoIterator<Item = PacketRecord>,
    ) -> Vec<Arc<PacketRecord>> {
        let stored: Vec<Arc<PacketRecord>> = {
            let mut store = self.store();
            records.into_iter().map(|r| store.push(r)).collect()
        };
        if let Some(file) = self.file().as_ref() {
            for record in &stored {
                file.offer(record.clone());
            }
        }
        stored
    }

    /// Carries out a command; the error is in words a user can act on.
    pub fn execute(&self, command: TraceCommand) -> Result<(), TraceFileError> {
        match command {
            TraceCommand::Watch(clients) => {
                self.watching().clients = clients.into_iter().collect();
                self.0.generation.fetch_add(1, Ordering::Relaxed);
            }
            TraceCommand::WatchAll(all) => {
                self.watching().all = all;
                self.0.generation.fetch_add(1, Ordering::Relaxed);
            }
            TraceCommand::Clear => self.store().clear(),
            TraceCommand::StartFile(path) => {
                let sink = FileSink::start(&path)?;
                *self.file() = Some(sink);
            }
            TraceCommand::StopFile => {
                let sink = self.file().take();
                // Dropped outside the lock: it waits for the writer to drain.
                drop(sink);
            }
            TraceCommand::Export { path, client } => {
                let records = self.read(|store| match &client {
                    Some(id) => store
                        .client(id)
                        .map(|t| t.records.iter().cloned().collect())
                        .unwrap_or_default(),
                    None => Vec::new(),
                });
                let records = if client.is_some() {
                    records
                } else {
                    self.all_records()
                };
                export(&path, &records)?;
            }
        }
        Ok(())
    }

    /// The trace's state for the snapshot.
    pub fn snapshot(&self) -> TraceSnapshot {
        let (version, (records, bytes)) = self.read(|s| (s.version(), s.size()));
        let (watching_all, mut watched) = {
            let w = self.watching();
            (w.all, w.clients.iter().cloned().collect::<Vec<_>>())
        };
        watched.sort();
        let file = self.file().as_ref().map(|f| {
            (
                f.path.clone(),
                f.written.load(Ordering::Relaxed),
                f.dropped.load(Ordering::Relaxed),
            )
        });
        TraceSnapshot {
            version,
            records,
            bytes,
            watching_all,
            watched,
            file,
        }
    }
}
