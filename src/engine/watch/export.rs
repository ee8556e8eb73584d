//! Writes logged messages to JSON Lines or CSV, with write failures worded for the user.

use std::io::{self, BufWriter, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use thiserror::Error;

use super::message::LoggedMessage;
use super::payload_view::is_text;
use super::rfc3339::format_utc_millis;

pub const CSV_HEADER: &str = "time,topic,qos,retain,payload,payload_encoding";
/// RFC 4180 line ending, which spreadsheets expect.
const CSV_LINE_END: &str = "\r\n";

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("could not write to {destination}: {}", describe_write_failure(.source))]
    Write {
        destination: String,
        #[source]
        source: io::Error,
    },
}

impl ExportError {
    /// Also for failures before writing starts, e.g. creating the file, so they read the same.
    pub fn write_failed(destination: &str, source: io::Error) -> ExportError {
        ExportError::Write {
            destination: destination.to_owned(),
            source,
        }
    }
}

fn describe_write_failure(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied => "permission denied — choose another folder".to_owned(),
        io::ErrorKind::NotFound => "the folder does not exist — choose another folder".to_owned(),
        io::ErrorKind::StorageFull => {
            "the disk is full — free some space or choose another drive".to_owned()
        }
        io::ErrorKind::ReadOnlyFilesystem => {
            "the drive is read-only — choose another folder".to_owned()
        }
        io::ErrorKind::FileTooLarge => {
            "the file is too large for this drive — export fewer messages or choose another drive"
                .to_owned()
        }
        _ => format!("{error} — check the drive and try again"),
    }
}

/// One JSON Lines record. Exactly one of `payload` / `payload_base64` is present.
#[derive(Serialize)]
struct JsonlRecord<'a> {
    time: String,
    topic: &'a str,
    qos: u8,
    retain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated_from: Option<usize>,
}

/// Writes one JSON object per line; UTF-8 payloads as text, others as base64.
/// `destination` names the target (usually the file path) in error messages.
/// Returns how many messages were written.
pub fn write_jsonl<'a, W: Write>(
    messages: impl IntoIterator<Item = &'a LoggedMessage>,
    out: W,
    destination: &str,
) -> Result<usize, ExportError> {
    let mut out = BufWriter::new(out);
    let mut written = 0;
    for message in messages {
        let text_payload = std::str::from_utf8(&message.payload).ok();
        let record = JsonlRecord {
            time: format_utc_millis(message.received_at),
            topic: &message.topic,
            qos: message.qos,
            retain: message.retain,
            payload: text_payload,
            payload_base64: match text_payload {
                Some(_) => None,
                None => Some(BASE64.encode(&message.payload)),
            },
            truncated_from: message.payload_truncated_from,
        };
        serde_json::to_writer(&mut out, &record)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|error| ExportError::write_failed(destination, error))?;
        written += 1;
    }
    out.flush()
        .map_err(|error| ExportError::write_failed(destination, error))?;
    Ok(written)
}

/// Writes RFC 4180 CSV with a header row; text payloads as `utf8`, binary ones as `base64`.
/// CSV has no column for truncation; use JSON Lines to keep that.
pub fn write_csv<'a, W: Write>(
    messages: impl IntoIterator<Item = &'a LoggedMessage>,
    out: W,
    destination: &str,
) -> Result<usize, ExportError> {
    let mut out = BufWriter::new(out);
    let mut row = String::new();
    row.push_str(CSV_HEADER);
    row.push_str(CSV_LINE_END);
    out.write_all(row.as_bytes())
        .map_err(|error| ExportError::write_failed(destination, error))?;
    let mut written = 0;
    for message in messages {
        row.clear();
        push_csv_row(&mut row, message);
        out.write_all(row.as_bytes())
            .map_err(|error| ExportError::write_failed(destination, error))?;
        written += 1;
    }
    out.flush()
        .map_err(|error| ExportError::write_failed(destination, error))?;
    Ok(written)
}

fn push_csv_row(row: &mut String, message: &LoggedMessage) {
    row.push_str(&format_utc_millis(message.received_at));
    row.push(',');
    push_csv_field(row, &message.topic);
    row.push(',');
    row.push_str(&message.qos.to_string());
    row.push(',');
    row.push_str(if message.retain { "true" } else { "false" });
    row.push(',');
    // Raw control bytes would upset spreadsheet tools, so "text" here means printable text.
    match std::str::from_utf8(&message.payload) {
        Ok(text) if is_text(&message.payload) => {
            push_csv_field(row, text);
            row.push_str(",utf8");
        }
        _ => {
            row.push_str(&BASE64.encode(&message.payload));
            row.push_str(",base64");
        }
    }
    row.push_str(CSV_LINE_END);
}

fn push_csv_field(row: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        row.push('"');
        row.push_str(&field.replace('"', "\"\""));
        row.push('"');
    } else {
        row.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use bytes::Bytes;

    use super::*;

    fn message(topic: &str, payload: &[u8]) -> LoggedMessage {
        LoggedMessage::new(
            UNIX_EPOCH + Duration::from_millis(1_714_564_800_123),
            Arc::from(topic),
            1,
            true,
            Bytes::copy_from_slice(payload),
            1024,
        )
    }

    #[test]
    fn jsonl_records_text_binary_and_truncation() {
        let mut truncated = message("big", &[b'x'; 2000]);
        truncated.seq = 3;
        let messages = [
            message("t/a", b"hi \"there\""),
            message("t/b", &[0, 0xff]),
            truncated,
        ];
        let mut out = Vec::new();
        assert_eq!(write_jsonl(&messages, &mut out, "test").unwrap(), 3);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"time":"2024-05-01T12:00:00.123Z","topic":"t/a","qos":1,"retain":true,"payload":"hi \"there\""}"#
        );
        assert_eq!(
            lines[1],
            r#"{"time":"2024-05-01T12:00:00.123Z","topic":"t/b","qos":1,"retain":true,"payload_base64":"AP8="}"#
        );
        assert!(lines[2].ends_with(r#","truncated_from":2000}"#));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        let messages = [
            message("plain", b"21.5"),
            message("a,b", b"say \"hi\", then\nleave"),
            message("bin", &[0x00, 0x01, 0xfe]),
            message("ctl", b"a\x07b"),
        ];
        let mut out = Vec::new();
        assert_eq!(write_csv(&messages, &mut out, "test").unwrap(), 4);
        let expected = "time,topic,qos,retain,payload,payload_encoding\r\n\
            2024-05-01T12:00:00.123Z,plain,1,true,21.5,utf8\r\n\
            2024-05-01T12:00:00.123Z,\"a,b\",1,true,\"say \"\"hi\"\", then\nleave\",utf8\r\n\
            2024-05-01T12:00:00.123Z,bin,1,true,AAH+,base64\r\n\
            2024-05-01T12:00:00.123Z,ctl,1,true,YQdi,base64\r\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    struct FailingWriter(io::ErrorKind);

    impl Write for FailingWriter {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }

        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(self.0))
        }
    }

    #[test]
    fn write_failures_are_worded_for_the_user() {
        let messages = [message("t", b"x")];
        let error = write_jsonl(
            &messages,
            FailingWriter(io::ErrorKind::PermissionDenied),
            "/data/log.jsonl",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not write to /data/log.jsonl: permission denied — choose another folder"
        );
        let error = write_csv(
            &messages,
            FailingWriter(io::ErrorKind::StorageFull),
            "out.csv",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not write to out.csv: the disk is full — free some space or choose another drive"
        );
    }
}
