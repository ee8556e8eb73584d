//! Reads JSON Lines exports back into messages, skipping and reporting bad lines.

use std::io::{self, BufRead};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde_json::{Map, Value};
use thiserror::Error;

use super::message::{DEFAULT_MAX_PAYLOAD_BYTES, LoggedMessage};
use super::rfc3339::parse_utc;
use super::topic_filter::{TopicNameError, validate_topic_name};

pub const DEFAULT_MAX_REPORTED_ERRORS: usize = 100;
/// Room for a base64-encoded 1 MiB payload many times over, while a file with no
/// line breaks at all cannot be read into memory whole.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
const UTF8_BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// Longer payloads are truncated as if they had just been received.
    pub max_payload_bytes: usize,
    /// Further bad lines are only counted, so a wrong file does not flood the user.
    pub max_reported_errors: usize,
    pub max_line_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES,
            max_reported_errors: DEFAULT_MAX_REPORTED_ERRORS,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// What is wrong with one line of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineProblem {
    #[error("longer than {limit} bytes, skipped")]
    TooLong { limit: usize },
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("not JSON: {reason}")]
    NotJson { reason: String },
    #[error("expected a JSON object such as {{\"time\": …, \"topic\": …, \"payload\": …}}")]
    NotAnObject,
    #[error("missing \"{field}\"")]
    Missing { field: &'static str },
    #[error("\"time\" must be an RFC 3339 UTC time such as \"2024-05-01T12:00:00.000Z\"")]
    BadTime,
    #[error("\"topic\" must be text")]
    TopicNotText,
    #[error("invalid \"topic\": {0}")]
    BadTopic(TopicNameError),
    #[error("qos must be 0, 1 or 2")]
    BadQos,
    #[error("retain must be true or false")]
    BadRetain,
    #[error("\"payload\" must be text; binary payloads go in \"payload_base64\"")]
    PayloadNotText,
    #[error("\"payload_base64\" is not valid base64: {reason}")]
    BadBase64 { reason: String },
    #[error("has both \"payload\" and \"payload_base64\": keep only one")]
    BothPayloads,
    #[error("missing \"payload\" (or \"payload_base64\" for binary data)")]
    NoPayload,
    #[error("\"truncated_from\" must be a whole number larger than the payload's size")]
    BadTruncatedFrom,
}

/// A skipped line, displayed as `line 17: missing "topic"`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    /// 1-based, as editors count.
    pub line: usize,
    pub problem: LineProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub lines_read: usize,
    pub messages_loaded: usize,
    /// The first bad lines, up to the reporting cap.
    pub errors: Vec<LineError>,
    /// Bad lines beyond the cap, counted only.
    pub unreported_errors: usize,
}

impl ImportReport {
    pub fn bad_lines(&self) -> usize {
        self.errors.len() + self.unreported_errors
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportOutcome {
    /// In file order, `seq` numbered from 0; a log renumbers them on push.
    pub messages: Vec<LoggedMessage>,
    pub report: ImportReport,
}

/// Reading the input itself failed; nothing after that point was read.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("could not read {source_name} (after line {lines_read}): {source}")]
    Read {
        source_name: String,
        lines_read: usize,
        #[source]
        source: io::Error,
    },
}

/// Reads every good message into memory. For files larger than the log, prefer
/// [`read_jsonl_into`] and push straight into the log so memory stays bounded.
pub fn read_jsonl<R: BufRead>(
    input: R,
    source_name: &str,
    options: ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let mut messages = Vec::new();
    let report = read_jsonl_into(input, source_name, options, |message| {
        messages.push(message)
    })?;
    Ok(ImportOutcome { messages, report })
}

/// Hands each good message to `accept` as soon as its line is read.
pub fn read_jsonl_into<R: BufRead>(
    mut input: R,
    source_name: &str,
    options: ImportOptions,
    mut accept: impl FnMut(LoggedMessage),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut line_bytes = Vec::new();
    loop {
        let outcome = read_bounded_line(&mut input, &mut line_bytes, options.max_line_bytes)
            .map_err(|source| ImportError::Read {
                source_name: source_name.to_owned(),
                lines_read: report.lines_read,
                source,
            })?;
        let parsed = match outcome {
            LineOutcome::EndOfInput => break,
            LineOutcome::TooLong => {
                report.lines_read += 1;
                Err(LineProblem::TooLong {
                    limit: options.max_line_bytes,
                })
            }
            LineOutcome::Complete => {
                report.lines_read += 1;
                let content = if report.lines_read == 1 {
                    line_bytes
                        .strip_prefix(UTF8_BYTE_ORDER_MARK)
                        .unwrap_or(&line_bytes)
                } else {
                    &line_bytes
                };
                let content = content.strip_suffix(b"\r").unwrap_or(content);
                if content.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                parse_line(content, options.max_payload_bytes)
            }
        };
        match parsed {
            Ok(mut message) => {
                message.seq = report.messages_loaded as u64;
                report.messages_loaded += 1;
                accept(message);
            }
            Err(problem) if report.errors.len() < options.max_reported_errors => {
                report.errors.push(LineError {
                    line: report.lines_read,
                    problem,
                });
            }
            Err(_) => report.unreported_errors += 1,
        }
    }
    Ok(report)
}

enum LineOutcome {
    Complete,
    TooLong,
    EndOfInput,
}

/// Like `read_until(b'\n')`, but stops storing after `max_bytes` so one endless line
/// cannot exhaust memory; the rest of that line is skipped.
fn read_bounded_line<R: BufRead>(
    input: &mut R,
    line: &mut Vec<u8>,
    max_bytes: usize,
) -> io::Result<LineOutcome> {
    line.clear();
    let mut read_anything = false;
    let mut too_long = false;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(match (read_anything, too_long) {
                (false, _) => LineOutcome::EndOfInput,
                (true, true) => LineOutcome::TooLong,
                (true, false) => LineOutcome::Complete,
            });
        }
        read_anything = true;
        let newline = available.iter().position(|&byte| byte == b'\n');
        let content = available
            .get(..newline.unwrap_or(available.len()))
            .unwrap_or_default();
        if !too_long {
            if line.len() + content.len() > max_bytes {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(content);
            }
        }
        let consumed = newline.map_or(available.len(), |position| position + 1);
        input.consume(consumed);
        if newline.is_some() {
            return Ok(if too_long {
                LineOutcome::TooLong
            } else {
                LineOutcome::Complete
            });
        }
    }
}

fn parse_line(content: &[u8], max_payload_bytes: usize) -> Result<LoggedMessage, LineProblem> {
    let text = std::str::from_utf8(content).map_err(|_| LineProblem::NotUtf8)?;
    let value: Value = serde_json::from_str(text).map_err(|error| LineProblem::NotJson {
        reason: error.to_string(),
    })?;
    let Value::Object(mut record) = value else {
        return Err(LineProblem::NotAnObject);
    };

    let received_at = match record.get("time") {
        None => return Err(LineProblem::Missing { field: "time" }),
        Some(time) => time
            .as_str()
            .and_then(parse_utc)
            .ok_or(LineProblem::BadTime)?,
    };
    let topic = match record.get("topic") {
        None => return Err(LineProblem::Missing { field: "topic" }),
        Some(topic) => topic.as_str().ok_or(LineProblem::TopicNotText)?,
    };
    validate_topic_name(topic).map_err(LineProblem::BadTopic)?;
    let topic: Arc<str> = Arc::from(topic);
    let qos = match record.get("qos") {
        None => 0,
        Some(qos) => qos
            .as_u64()
            .and_then(|qos| u8::try_from(qos).ok())
            .filter(|&qos| qos <= 2)
            .ok_or(LineProblem::BadQos)?,
    };
    let retain = match record.get("retain") {
        None => false,
        Some(retain) => retain.as_bool().ok_or(LineProblem::BadRetain)?,
    };
    let payload = take_payload(&mut record)?;
    let truncated_from = match record.get("truncated_from") {
        None | Some(Value::Null) => None,
        Some(size) => Some(
            size.as_u64()
                .and_then(|size| usize::try_from(size).ok())
                .filter(|&size| size > payload.len())
                .ok_or(LineProblem::BadTruncatedFrom)?,
        ),
    };

    let mut message =
        LoggedMessage::new(received_at, topic, qos, retain, payload, max_payload_bytes);
    if truncated_from.is_some() {
        message.payload_truncated_from = truncated_from;
    }
    Ok(message)
}

fn take_payload(record: &mut Map<String, Value>) -> Result<Bytes, LineProblem> {
    match (record.remove("payload"), record.remove("payload_base64")) {
        (Some(_), Some(_)) => Err(LineProblem::BothPayloads),
        (None, None) => Err(LineProblem::NoPayload),
        (Some(Value::String(text)), None) => Ok(Bytes::from(text.into_bytes())),
        (Some(_), None) => Err(LineProblem::PayloadNotText),
        (None, Some(Value::String(encoded))) => BASE64
            .decode(encoded.as_bytes())
            .map(Bytes::from)
            .map_err(|error| LineProblem::BadBase64 {
                reason: error.to_string(),
            }),
        (None, Some(_)) => Err(LineProblem::BadBase64 {
            reason: "it is not a string".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::time::{Duration, UNIX_EPOCH};

    use super::super::export::write_jsonl;
    use super::*;

    fn message(topic: &str, payload: &[u8], qos: u8, retain: bool, millis: u64) -> LoggedMessage {
        LoggedMessage::new(
            UNIX_EPOCH + Duration::from_millis(millis),
            Arc::from(topic),
            qos,
            retain,
            Bytes::copy_from_slice(payload),
            DEFAULT_MAX_PAYLOAD_BYTES,
        )
    }

    fn import(text: &str) -> ImportOutcome {
        read_jsonl(
            Cursor::new(text.as_bytes()),
            "test.jsonl",
            ImportOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn jsonl_round_trip_is_exact() {
        let mut truncated = message("big/blob", &[0xAB; 64], 2, false, 1_700_000_000_999);
        truncated.payload_truncated_from = Some(10 * 1024 * 1024);
        let originals: Vec<LoggedMessage> = [
            message(
                "home/text",
                "plain text, with \"quotes\"\nand ünïcode".as_bytes(),
                0,
                false,
                1_714_564_800_123,
            ),
            message(
                "home/json",
                br#"{"temperature": 21.5, "tags": ["a", "b"]}"#,
                1,
                true,
                1_714_564_800_456,
            ),
            message("home/binary", &[0, 1, 2, 0xff, 0xfe, b'\n'], 2, false, 0),
            message("home/empty", b"", 1, true, 1_714_564_801_000),
            truncated,
        ]
        .into_iter()
        .enumerate()
        .map(|(index, mut message)| {
            message.seq = index as u64;
            message
        })
        .collect();

        let mut file = Vec::new();
        write_jsonl(&originals, &mut file, "memory").unwrap();
        let outcome = read_jsonl(Cursor::new(file), "memory", ImportOptions::default()).unwrap();
        assert_eq!(outcome.report.errors, Vec::new());
        assert_eq!(outcome.report.messages_loaded, 5);
        assert_eq!(outcome.messages, originals);
    }

    #[test]
    fn bad_lines_are_reported_by_number_and_good_lines_survive() {
        let text = [
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"ok/1","payload":"a"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","payload":"no topic"}"#,
            r#"this is not json"#,
            "",
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"q","qos":3,"payload":"x"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"ok/2","qos":2,"retain":true,"payload_base64":"AAE="}"#,
            r#"[1,2]"#,
            r#"{"topic":"t","payload":"x"}"#,
            r#"{"time":"noon","topic":"t","payload":"x"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"a/+","payload":"x"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","retain":"yes","payload":"x"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload":5}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload_base64":"!!"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload":"x","payload_base64":"AA=="}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t"}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload":"xy","truncated_from":2}"#,
            r#"{"time":"2024-05-01T12:00:00.000Z","topic":7,"payload":"x"}"#,
            "{\"time\":\"2024-05-01T12:00:00.000Z\",\"topic\":\"ok/3\",\"payload\":\"crlf\"}\r",
        ]
        .join("\n");
        let outcome = import(&text);
        let topics: Vec<&str> = outcome.messages.iter().map(|m| &*m.topic).collect();
        assert_eq!(topics, vec!["ok/1", "ok/2", "ok/3"]);
        assert_eq!(outcome.messages[1].qos, 2);
        assert!(outcome.messages[1].retain);
        assert_eq!(&outcome.messages[1].payload[..], &[0, 1]);
        assert_eq!(
            outcome.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );

        let errors: Vec<String> = outcome
            .report
            .errors
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors[0], "line 2: missing \"topic\"");
        assert!(errors[1].starts_with("line 3: not JSON: "), "{}", errors[1]);
        assert_eq!(errors[2], "line 5: qos must be 0, 1 or 2");
        assert_eq!(
            &errors[3..],
            &[
                "line 7: expected a JSON object such as {\"time\": …, \"topic\": …, \"payload\": …}",
                "line 8: missing \"time\"",
                "line 9: \"time\" must be an RFC 3339 UTC time such as \"2024-05-01T12:00:00.000Z\"",
                "line 10: invalid \"topic\": the topic contains \"+\", which only subscription filters may use: \
                 publish to a concrete topic such as \"sensors/kitchen/temperature\"",
                "line 11: retain must be true or false",
                "line 12: \"payload\" must be text; binary payloads go in \"payload_base64\"",
                "line 13: \"payload_base64\" is not valid base64: Invalid symbol 33, offset 0.",
                "line 14: has both \"payload\" and \"payload_base64\": keep only one",
                "line 15: missing \"payload\" (or \"payload_base64\" for binary data)",
                "line 16: \"truncated_from\" must be a whole number larger than the payload's size",
                "line 17: \"topic\" must be text",
            ]
        );
        assert_eq!(outcome.report.lines_read, 18);
        assert_eq!(outcome.report.bad_lines(), 14);
    }

    #[test]
    fn reported_errors_are_capped() {
        let text = "bad\n".repeat(10);
        let options = ImportOptions {
            max_reported_errors: 3,
            ..ImportOptions::default()
        };
        let outcome = read_jsonl(Cursor::new(text), "x", options).unwrap();
        assert_eq!(outcome.report.errors.len(), 3);
        assert_eq!(outcome.report.unreported_errors, 7);
        assert_eq!(outcome.report.bad_lines(), 10);
    }

    #[test]
    fn overlong_lines_are_skipped_without_losing_the_next() {
        let good = r#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload":"x"}"#;
        let text = format!("{}\n{good}\n{}", "y".repeat(500), "z".repeat(500));
        let options = ImportOptions {
            max_line_bytes: 100,
            ..ImportOptions::default()
        };
        // A tiny buffer makes the long lines arrive in many pieces.
        let reader = io::BufReader::with_capacity(16, Cursor::new(text));
        let outcome = read_jsonl(reader, "x", options).unwrap();
        assert_eq!(outcome.messages.len(), 1);
        let errors: Vec<String> = outcome
            .report
            .errors
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            vec![
                "line 1: longer than 100 bytes, skipped",
                "line 3: longer than 100 bytes, skipped"
            ]
        );
    }

    #[test]
    fn byte_order_mark_and_non_utf8_lines() {
        let mut bytes = UTF8_BYTE_ORDER_MARK.to_vec();
        bytes
            .extend_from_slice(br#"{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload":"x"}"#);
        bytes.extend_from_slice(b"\n\xff\xfe\n");
        let outcome = read_jsonl(Cursor::new(bytes), "x", ImportOptions::default()).unwrap();
        assert_eq!(outcome.messages.len(), 1);
        assert_eq!(
            outcome.report.errors[0].to_string(),
            "line 2: not UTF-8 text"
        );
    }

    #[test]
    fn imported_payloads_respect_the_cap() {
        let line = format!(
            r#"{{"time":"2024-05-01T12:00:00.000Z","topic":"t","payload":"{}"}}"#,
            "a".repeat(50)
        );
        let options = ImportOptions {
            max_payload_bytes: 10,
            ..ImportOptions::default()
        };
        let outcome = read_jsonl(Cursor::new(line), "x", options).unwrap();
        assert_eq!(outcome.messages[0].payload.len(), 10);
        assert_eq!(outcome.messages[0].payload_truncated_from, Some(50));
    }

    struct BrokenReader;

    impl io::Read for BrokenReader {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("device unplugged"))
        }
    }

    #[test]
    fn read_failures_name_the_source() {
        let error = read_jsonl(
            io::BufReader::new(BrokenReader),
            "/tmp/in.jsonl",
            ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "could not read /tmp/in.jsonl (after line 0): device unplugged"
        );
    }
}
