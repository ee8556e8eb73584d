//! Saving the log to a file (JSON Lines or CSV, written under a temporary name, then renamed) and
//! loading a recorded JSON Lines file back, with failures worded for the user.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::ExportFormat;
use crate::engine::limited_read::{LimitedReadError, open_regular};
use crate::engine::watch::{
    ExportError, ImportError, ImportOptions, ImportReport, LoggedMessage, read_jsonl_into,
    write_csv, write_jsonl,
};

/// How many skipped lines an import names in its summary (the rest are counted).
const LINES_NAMED: usize = 3;

/// Why a file could not be saved, recorded to or loaded.
#[derive(Debug, Error)]
pub enum FileError {
    #[error("{0} is a folder: type a file name such as messages.jsonl")]
    IsFolder(String),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("could not open {path}: {why}")]
    Open { path: String, why: String },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(
        "{path} has no messages this app can read ({problems}): open a file saved by Export as JSON Lines or by `serve --record`"
    )]
    NothingReadable { path: String, problems: String },
    #[error("the file work stopped unexpectedly; try again")]
    Interrupted,
}

/// Writes `messages` to `path` in `format`; the file appears whole or not at all.
pub fn export_to_path(
    messages: &[LoggedMessage],
    path: &Path,
    format: ExportFormat,
) -> Result<usize, FileError> {
    let destination = path.display().to_string();
    if path.is_dir() {
        return Err(FileError::IsFolder(destination));
    }
    let temporary = temporary_name(path);
    let file =
        File::create(&temporary).map_err(|error| ExportError::write_failed(&destination, error))?;
    let written = match format {
        ExportFormat::JsonLines => write_jsonl(messages, &file, &destination),
        ExportFormat::Csv => write_csv(messages, &file, &destination),
    }
    .and_then(|written| {
        file.sync_all()
            .map_err(|error| ExportError::write_failed(&destination, error))?;
        drop(file);
        std::fs::rename(&temporary, path)
            .map_err(|error| ExportError::write_failed(&destination, error))?;
        Ok(written)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    Ok(written?)
}

/// `dir/.name.partial-<pid>`: same folder (so the rename is atomic), hidden, not clashing with another app.
fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_owned());
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// What an import read: the newest `keep` messages in file order, and the report on every line.
#[derive(Debug)]
pub struct Imported {
    pub messages: VecDeque<LoggedMessage>,
    /// Good messages left out because the log could not hold them all (the oldest ones).
    pub left_out: usize,
    pub report: ImportReport,
}

/// Reads a JSON Lines recording, keeping at most `keep` messages (the newest) so memory stays bounded.
pub fn import_from_path(
    path: &Path,
    keep: usize,
    max_payload_bytes: usize,
) -> Result<Imported, FileError> {
    let name = path.display().to_string();
    if path.is_dir() {
        return Err(FileError::IsFolder(name));
    }
    // Regular files only: a pipe would hang the open, a device would stream forever.
    let file = open_regular(path).map_err(|error| match error {
        LimitedReadError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    });
    let file = file.map_err(|error| FileError::Open {
        path: name.clone(),
        why: match error.kind() {
            std::io::ErrorKind::NotFound => "there is no such file — check the name".to_owned(),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied — choose a file you may read".to_owned()
            }
            _ => error.to_string(),
        },
    })?;
    let mut messages = VecDeque::new();
    let mut left_out = 0;
    let options = ImportOptions {
        max_payload_bytes,
        ..ImportOptions::default()
    };
    let report = read_jsonl_into(BufReader::new(file), &name, options, |message| {
        if messages.len() == keep.max(1) {
            messages.pop_front();
            left_out += 1;
        }
        messages.push_back(message);
    })?;
    if report.messages_loaded == 0 && report.bad_lines() > 0 {
        return Err(FileError::NothingReadable {
            path: name,
            problems: describe_problems(&report),
        });
    }
    Ok(Imported {
        messages,
        left_out,
        report,
    })
}

/// `line 3: not JSON: …; line 9: missing "topic"; and 4 more`.
pub fn describe_problems(report: &ImportReport) -> String {
    let mut parts: Vec<String> = report
        .errors
        .iter()
        .take(LINES_NAMED)
        .map(ToString::to_string)
        .collect();
    let more = report.bad_lines().saturating_sub(parts.len());
    if more > 0 {
        parts.push(format!("and {more} more"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use bytes::Bytes;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("monitor-files-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn message(topic: &str, payload: &[u8], retain: bool) -> LoggedMessage {
        LoggedMessage::new(
            UNIX_EPOCH + Duration::from_millis(1_714_564_800_123),
            Arc::from(topic),
            1,
            retain,
            Bytes::copy_from_slice(payload),
            1024,
        )
    }

    #[test]
    fn export_then_import_gives_the_same_messages() {
        let dir = scratch("roundtrip");
        let path = dir.join("log.jsonl");
        let messages = vec![
            message("a/b", b"21.5", false),
            message("bin", &[0, 0xff, 7], true),
            message("json", br#"{"t": 1}"#, false),
        ];
        assert_eq!(
            export_to_path(&messages, &path, ExportFormat::JsonLines).unwrap(),
            3
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        let imported = import_from_path(&path, 100, 1024).unwrap();
        assert_eq!(imported.report.messages_loaded, 3);
        for (got, sent) in imported.messages.iter().zip(&messages) {
            assert_eq!(got.topic, sent.topic);
            assert_eq!(got.payload, sent.payload);
            assert_eq!(got.retain, sent.retain);
            assert_eq!(got.received_at, sent.received_at);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn import_keeps_the_newest_and_reports_bad_lines() {
        let dir = scratch("partial");
        let path = dir.join("mixed.jsonl");
        let good = |n: usize| {
            format!(
                r#"{{"time":"2024-05-01T12:00:00.000Z","topic":"t","qos":0,"retain":false,"payload":"{n}"}}"#
            )
        };
        let text = [
            good(1),
            "not json".to_owned(),
            good(2),
            good(3),
            "{}".to_owned(),
        ]
        .join("\n");
        std::fs::write(&path, text).unwrap();
        let imported = import_from_path(&path, 2, 1024).unwrap();
        let payloads: Vec<_> = imported
            .messages
            .iter()
            .map(|m| m.payload.clone())
            .collect();
        assert_eq!(payloads, vec![Bytes::from("2"), Bytes::from("3")]);
        assert_eq!(imported.left_out, 1);
        assert_eq!(imported.report.bad_lines(), 2);
        let summary = describe_problems(&imported.report);
        assert!(summary.starts_with("line 2: not JSON"), "{summary}");
        assert!(summary.contains("line 5: missing \"time\""), "{summary}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unreadable_and_unwritable_paths_are_worded() {
        let dir = scratch("bad");
        let garbage = dir.join("garbage.jsonl");
        std::fs::write(&garbage, "hello\nworld\n").unwrap();
        let error = import_from_path(&garbage, 10, 1024).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("has no messages this app can read"),
            "{error}"
        );
        let error = import_from_path(&dir.join("missing.jsonl"), 10, 1024).unwrap_err();
        assert!(
            error.to_string().contains("there is no such file"),
            "{error}"
        );
        let error =
            export_to_path(&[], Path::new("/no/such/folder/x.csv"), ExportFormat::Csv).unwrap_err();
        assert!(
            error.to_string().contains("the folder does not exist"),
            "{error}"
        );
        let error = export_to_path(&[], &dir, ExportFormat::Csv).unwrap_err();
        assert!(error.to_string().contains("is a folder"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
