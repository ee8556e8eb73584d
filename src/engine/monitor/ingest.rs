//! The ingest task: takes what the connection received, in batches, and puts it in the store (log,
//! topic tree, series) under one short lock per batch, then into the recording file if one is open.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::LogAccess;
use super::recording::Recorder;
use super::series::SeriesFeeder;
use super::state::Totals;
use crate::engine::events::{Event, EventSink};
use crate::engine::watch::topic_tree::MAX_STORED_PREVIEW_CHARS;
use crate::engine::watch::{LoggedMessage, detect_kind, preview};

/// Batches that may wait between the connection and the store; a full queue makes the connection
/// wait (TCP pushes back on the broker), never drops.
const QUEUE_BATCHES: usize = 1024;
/// Bytes (in KiB) that may wait likewise, so big payloads cannot pile up unbounded.
const QUEUE_KIB: u32 = 64 * 1024;
/// What a queued message costs beyond its payload and topic (the message itself, allocations).
const PER_MESSAGE_OVERHEAD: usize = 128;
/// The most messages the connection hands over at once.
pub const DELIVERY_BATCH: usize = 512;
/// Batches stored per lock.
const BATCH: usize = 16;
/// A recording reaches the disk at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// A window is woken at most this often by new messages (the snapshot refresh wakes it too).
const WAKE_EVERY: Duration = Duration::from_millis(100);

/// Received messages on their way to the store, holding their share of the queue's byte budget.
pub struct Arrival {
    messages: Vec<LoggedMessage>,
    _budget: OwnedSemaphorePermit,
}

/// The connection's end of the queue.
#[derive(Clone)]
pub struct IngestSender {
    queue: mpsc::Sender<Arrival>,
    budget: Arc<Semaphore>,
}

impl IngestSender {
    /// Waits for room (never drops a message); false once the ingest task has ended.
    pub async fn deliver(&self, messages: Vec<LoggedMessage>) -> bool {
        let bytes: usize = messages
            .iter()
            .map(|m| m.stored_bytes() + PER_MESSAGE_OVERHEAD)
            .sum();
        let kib = u32::try_from(bytes / 1024 + 1)
            .unwrap_or(QUEUE_KIB)
            .min(QUEUE_KIB);
        let Ok(permit) = self.budget.clone().acquire_many_owned(kib).await else {
            return false;
        };
        self.queue
            .send(Arrival {
                messages,
                _budget: permit,
            })
            .await
            .is_ok()
    }
}

/// How a recording ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingEnded {
    pub path: PathBuf,
    pub written: u64,
    /// Why the last write failed, if it did.
    pub error: Option<String>,
}

/// Orders from the engine loop.
pub enum Control {
    /// Starts (`Some`) or ends (`None`) recording; the answer is the recording that ended, flushed.
    Record(Option<Recorder>, oneshot::Sender<Option<RecordingEnded>>),
}

/// The engine loop's handle on the ingest task.
pub struct IngestHandle {
    pub sender: IngestSender,
    pub control: mpsc::Sender<Control>,
    /// The file being recorded to, as the ingest task knows it (a failed write ends a recording).
    pub recording: Arc<Mutex<Option<PathBuf>>>,
    task: JoinHandle<()>,
}

impl Drop for IngestHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the ingest task on the current runtime: the engine's, at normal priority. It holds the
/// lock the window reads the log under; on the connection's thread below normal priority, a turn
/// preempted while holding it stalled the window until that thread's next turn (p99 frame time
/// 47–126 ms in a flood, against 24–59 ms). It stores only what the connection read, so it cannot
/// take more than the connection lets it.
pub fn spawn(store: LogAccess, totals: Arc<Totals>, sink: EventSink) -> IngestHandle {
    let (queue, messages) = mpsc::channel(QUEUE_BATCHES);
    let (control, orders) = mpsc::channel(8);
    let recording = Arc::new(Mutex::new(None));
    let ingest = Ingest {
        store,
        totals,
        sink,
        feeder: SeriesFeeder::default(),
        recorder: None,
        recording: recording.clone(),
        messages: Vec::new(),
        previews: Vec::new(),
        last_of_topic: HashMap::new(),
        last_wake: Instant::now(),
    };
    let task = tokio::spawn(ingest.run(messages, orders));
    IngestHandle {
        sender: IngestSender {
            queue,
            budget: Arc::new(Semaphore::new(QUEUE_KIB as usize)),
        },
        control,
        recording,
        task,
    }
}

struct Ingest {
    store: LogAccess,
    totals: Arc<Totals>,
    sink: EventSink,
    feeder: SeriesFeeder,
    recorder: Option<Recorder>,
    recording: Arc<Mutex<Option<PathBuf>>>,
    /// The messages of the batches being stored, in arrival order.
    messages: Vec<LoggedMessage>,
    previews: Vec<String>,
    /// Per batch: where each topic's last message is.
    last_of_topic: HashMap<Arc<str>, usize>,
    last_wake: Instant,
}

impl Ingest {
    async fn run(
        mut self,
        mut messages: mpsc::Receiver<Arrival>,
        mut orders: mpsc::Receiver<Control>,
    ) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                Some(order) = orders.recv() => self.obey(order),
                received = messages.recv_many(&mut batch, BATCH) => {
                    if received == 0 {
                        break;
                    }
                    self.take(&mut batch);
                }
                _ = flush.tick() => self.flush(),
            }
        }
        self.end_recording();
    }

    fn obey(&mut self, order: Control) {
        match order {
            Control::Record(next, answer) => {
                let ended = self.end_recording();
                if let Some(recorder) = next {
                    *self.recording_slot() = Some(recorder.path().to_owned());
                    self.recorder = Some(recorder);
                }
                let _ = answer.send(ended);
            }
        }
    }

    fn take(&mut self, arrivals: &mut Vec<Arrival>) {
        self.messages.clear();
        for arrival in arrivals.iter_mut() {
            self.messages.append(&mut arrival.messages);
        }
        // The queue's budget is given back here; what is taken now is bounded by BATCH deliveries.
        arrivals.clear();
        let batch = std::mem::take(&mut self.messages);
        self.store_batch(&batch);
        self.messages = batch;
        self.messages.clear();
        if self.last_wake.elapsed() >= WAKE_EVERY {
            self.last_wake = Instant::now();
            self.sink.wake();
        }
    }

    fn store_batch(&mut self, batch: &[LoggedMessage]) {
        // Previews are made before locking, so readers of the store wait as little as possible, and
        // only for the last message of each topic in the batch: the tree keeps just the last one.
        self.previews.clear();
        self.previews.resize(batch.len(), String::new());
        self.last_of_topic.clear();
        for (index, message) in batch.iter().enumerate() {
            self.last_of_topic.insert(message.topic.clone(), index);
        }
        for &index in self.last_of_topic.values() {
            if let (Some(message), Some(slot)) = (batch.get(index), self.previews.get_mut(index)) {
                let payload = &message.payload;
                *slot = preview(payload, detect_kind(payload), MAX_STORED_PREVIEW_CHARS);
            }
        }
        {
            let mut store = self.store.lock();
            let store = &mut *store;
            for (message, preview) in batch.iter().zip(&self.previews) {
                store.tree.record(
                    &message.topic,
                    preview,
                    message.original_payload_len(),
                    message.retain,
                    message.received_at,
                );
                self.feeder.feed(&mut store.series, message);
                store.log.push_message(message.clone());
            }
            self.totals
                .received
                .fetch_add(batch.len() as u64, Ordering::SeqCst);
            self.totals.bump_version();
        }
        if let Some(recorder) = &mut self.recorder
            && let Err(error) = recorder.append(batch)
        {
            self.recording_failed(error.to_string());
        }
    }

    fn flush(&mut self) {
        if let Some(recorder) = &mut self.recorder
            && let Err(error) = recorder.flush()
        {
            self.recording_failed(error.to_string());
        }
    }

    fn recording_failed(&mut self, why: String) {
        if let Some(ended) = self.end_recording() {
            self.sink.send(Event::MonitorProblem(format!(
                "recording stopped after {} messages: {why}",
                ended.written
            )));
        }
    }

    fn end_recording(&mut self) -> Option<RecordingEnded> {
        let mut recorder = self.recorder.take()?;
        *self.recording_slot() = None;
        let error = recorder.flush().err().map(|e| e.to_string());
        Some(RecordingEnded {
            path: recorder.path().to_owned(),
            written: recorder.written(),
            error,
        })
    }

    fn recording_slot(&self) -> std::sync::MutexGuard<'_, Option<PathBuf>> {
        self.recording.lock().unwrap_or_else(|p| p.into_inner())
    }
}
