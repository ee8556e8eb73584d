//! Recording: every message the subscriber receives appended to a JSON Lines file, flushed at least once a second.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::files::FileError;
use crate::engine::watch::{ExportError, LoggedMessage, write_jsonl};

/// How much a recording buffers before writing to disk (it also writes at every flush tick).
const RECORDING_BUFFER: usize = 256 * 1024;

/// An open recording file.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
    unflushed: bool,
}

impl Recorder {
    /// Opens `path` for appending (creating it), so an earlier recording is never overwritten.
    pub fn create(path: &Path) -> Result<Recorder, FileError> {
        if path.is_dir() {
            return Err(FileError::IsFolder(path.display().to_string()));
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| {
                FileError::Export(ExportError::write_failed(
                    &path.display().to_string(),
                    source,
                ))
            })?;
        Ok(Recorder {
            path: path.to_owned(),
            out: BufWriter::with_capacity(RECORDING_BUFFER, file),
            written: 0,
            unflushed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Messages written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends messages as JSON Lines (buffered; see [`Recorder::flush`]).
    pub fn append<'a>(
        &mut self,
        messages: impl IntoIterator<Item = &'a LoggedMessage>,
    ) -> Result<(), ExportError> {
        let destination = self.path.display().to_string();
        let count = write_jsonl(messages, KeepBuffered(&mut self.out), &destination)?;
        self.written += count as u64;
        self.unflushed |= count > 0;
        Ok(())
    }

    /// Writes what is buffered to the file, if anything.
    pub fn flush(&mut self) -> Result<(), ExportError> {
        if !self.unflushed {
            return Ok(());
        }
        self.unflushed = false;
        self.out
            .flush()
            .map_err(|error| ExportError::write_failed(&self.path.display().to_string(), error))
    }
}

/// Passes writes to the recording's buffer but keeps `write_jsonl`'s final flush from reaching the
/// disk, so a flood of small batches costs one write a tick, not one per batch.
struct KeepBuffered<'a>(&'a mut BufWriter<File>);

impl Write for KeepBuffered<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::*;

    fn message(topic: &str, payload: &str) -> LoggedMessage {
        LoggedMessage::new(
            SystemTime::now(),
            Arc::from(topic),
            1,
            false,
            Bytes::copy_from_slice(payload.as_bytes()),
            1024,
        )
    }

    #[test]
    fn appends_lines_and_keeps_earlier_recordings() {
        let dir = std::env::temp_dir().join(format!("monitor-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rec.jsonl");
        let _ = std::fs::remove_file(&path);
        for round in 0..2 {
            let mut recorder = Recorder::create(&path).unwrap();
            recorder
                .append(&[message("a", "1"), message("b", &format!("round {round}"))])
                .unwrap();
            recorder.flush().unwrap();
            assert_eq!(recorder.written(), 2);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.lines().last().unwrap().contains("round 1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_or_missing_folder_is_refused_in_words() {
        let error = Recorder::create(&std::env::temp_dir()).unwrap_err();
        assert!(error.to_string().contains("is a folder"), "{error}");
        let error = Recorder::create(Path::new("/no/such/folder/rec.jsonl")).unwrap_err();
        assert!(
            error.to_string().contains("the folder does not exist"),
            "{error}"
        );
    }
}
