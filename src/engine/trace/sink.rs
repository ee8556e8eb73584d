//! `serve --trace FILE`: every record appended to a JSON Lines file by a thread of its own, through a
//! bounded queue, so a slow disk never slows a connection (records that find the queue full are counted).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use super::record::PacketRecord;

/// Records waiting for the disk.
const QUEUE: usize = 16_384;
/// The file is flushed at least this often while records come.
const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// Why a trace file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TraceFileError {
    #[error("{0} is a folder; name a file such as trace.jsonl")]
    IsFolder(String),
    #[error("could not open {path} for writing the trace: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write the trace to {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Opens (appending) a file for JSON Lines.
pub fn open_append(path: &Path) -> Result<File, TraceFileError> {
    if path.is_dir() {
        return Err(TraceFileError::IsFolder(path.display().to_string()));
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| TraceFileError::Open {
            path: path.display().to_string(),
            source,
        })
}

/// Writes records as JSON Lines to `path` (replacing it): the trace view's export.
pub fn export(path: &Path, records: &[Arc<PacketRecord>]) -> Result<usize, TraceFileError> {
    if path.is_dir() {
        return Err(TraceFileError::IsFolder(path.display().to_string()));
    }
    let write_failed = |source| TraceFileError::Write {
        path: path.display().to_string(),
        source,
    };
    let file = File::create(path).map_err(|source| TraceFileError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = BufWriter::new(file);
    for record in records {
        writeln!(out, "{}", record.to_json_line()).map_err(write_failed)?;
    }
    out.flush().map_err(write_failed)?;
    Ok(records.len())
}

/// A running trace file.
pub struct FileSink {
    pub path: PathBuf,
    sender: Option<SyncSender<Arc<PacketRecord>>>,
    writer: Option<JoinHandle<()>>,
    pub dropped: Arc<AtomicU64>,
    pub written: Arc<AtomicU64>,
}

impl FileSink {
    pub fn start(path: &Path) -> Result<Self, TraceFileError> {
        let file = open_append(path)?;
        let (sender, receiver) = sync_channel(QUEUE);
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let shown = path.display().to_string();
        let writer = std::thread::Builder::new()
            .name("trace-file".into())
            .spawn(move || write_loop(file, receiver, &counter, &shown))
            .map_err(|source| TraceFileError::Open {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            sender: Some(sender),
            writer: Some(writer),
            dropped: Arc::new(AtomicU64::new(0)),
            written,
        })
    }

    /// Queues a record; never waits.
    pub fn offer(&self, record: Arc<PacketRecord>) {
        if let Some(sender) = &self.sender
            && let Err(TrySendError::Full(_)) = sender.try_send(record)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        // Closing the queue lets the writer drain it, flush and end.
        self.sender = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn write_loop(file: File, records: Receiver<Arc<PacketRecord>>, written: &AtomicU64, shown: &str) {
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let mut unflushed = false;
    let mut last_flush = std::time::Instant::now();
    loop {
        match records.recv_timeout(FLUSH_EVERY) {
            Ok(record) => {
                if writeln!(out, "{}", record.to_json_line()).is_err() {
                    tracing::error!("could not write the trace to {shown}; trace file stopped");
                    return;
                }
                written.fetch_add(1, Ordering::Relaxed);
                unflushed = true;
                if last_flush.elapsed() >= FLUSH_EVERY {
                    let _ = out.flush();
                    unflushed = false;
                    last_flush = std::time::Instant::now();
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if unflushed {
                    let _ = out.flush();
                    unflushed = false;
                    last_flush = std::time::Instant::now();
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = out.flush();
                return;
            }
        }
    }
}
