//! One direction of one traced connection: finds whole frames in the bytes the front door carries and
//! records them. Costs one atomic load per chunk while the client is not traced.

use std::sync::Arc;

use bytes::BytesMut;

use super::connection::ConnectionTrace;
use super::decode::{Decoded, decode_frame, malformed};
use super::record::TraceDirection;

/// Frames larger than this are recorded by type and length only, never buffered whole.
pub const MAX_DECODED_FRAME: usize = 256 * 1024;
/// The longest fixed header MQTT allows (type byte + four length bytes).
const MAX_FIXED_HEADER: usize = 5;

/// One direction's decoder; a detached leg (the default) records nothing.
#[derive(Default)]
pub struct Leg {
    connection: Option<Arc<ConnectionTrace>>,
    direction: Option<TraceDirection>,
    /// The broker's first packet (the CONNACK), which every connection's trace keeps, is still to come.
    first_pending: bool,
    /// The user watches this client: every record is kept in the store.
    watched: bool,
    /// A course is running: every record is offered to it (the store keeps only what it would anyway).
    tapping: bool,
    /// The stream could not be followed any further.
    broken: bool,
    generation: u64,
    /// True when the next byte starts a frame.
    at_frame_start: bool,
    buffer: BytesMut,
    /// Bytes of an oversized frame still to pass by.
    skipping: usize,
}

impl Leg {
    pub(super) fn new(
        connection: Arc<ConnectionTrace>,
        direction: TraceDirection,
        first_packet: bool,
    ) -> Self {
        Self {
            connection: Some(connection),
            direction: Some(direction),
            first_pending: first_packet,
            watched: false,
            tapping: false,
            broken: false,
            generation: u64::MAX,
            at_frame_start: true,
            buffer: BytesMut::new(),
            skipping: 0,
        }
    }

    fn decoding(&self) -> bool {
        !self.broken && (self.watched || self.tapping || self.first_pending)
    }

    /// Looks at the next chunk of the stream. `at_boundary_after` says whether the stream is at a frame
    /// boundary after this chunk (the front door's frame counter knows), so tracing switched on in the
    /// middle of a packet starts cleanly at the next one.
    pub fn feed(&mut self, chunk: &[u8], at_boundary_after: bool) {
        let (Some(connection), Some(direction)) = (&self.connection, self.direction) else {
            return;
        };
        let generation = connection.access().generation();
        if generation != self.generation {
            self.generation = generation;
            self.watched = connection.is_watched();
            self.tapping = connection.access().tapping();
            if !self.decoding() {
                self.buffer = BytesMut::new();
                self.skipping = 0;
            }
        }
        // Off, or switched on in the middle of a frame: wait for the stream's next boundary.
        if !self.decoding() || (!self.at_frame_start && !self.in_frame()) {
            self.at_frame_start = at_boundary_after;
            return;
        }
        let connection = connection.clone();
        let mut decoded = Vec::new();
        self.take_frames(chunk, &connection, &mut decoded);
        // While decoding, the leg knows its own boundaries as well as the front door does.
        self.at_frame_start = at_boundary_after || !self.in_frame();
        let keep = if self.watched {
            usize::MAX
        } else if self.first_pending && !decoded.is_empty() {
            1
        } else {
            0
        };
        if self.first_pending && !decoded.is_empty() {
            self.first_pending = false;
            if !self.decoding() {
                self.buffer = BytesMut::new();
            }
        }
        connection.record(direction, decoded, keep);
    }

    /// The stream ended: a packet cut off in the middle is recorded for what it was.
    pub fn finish(&mut self) {
        let (Some(connection), Some(direction)) = (&self.connection, self.direction) else {
            return;
        };
        if self.buffer.is_empty() || !(self.watched || self.tapping) || self.broken {
            return;
        }
        let expected = match frame_length(&self.buffer) {
            FrameLength::Known(length) => format!("{length}"),
            _ => "more".to_owned(),
        };
        let cut = malformed(
            &self.buffer,
            self.buffer.len(),
            &format!(
                "the connection ended in the middle of this packet ({} of {expected} bytes arrived)",
                self.buffer.len()
            ),
        );
        self.buffer = BytesMut::new();
        let keep = if self.watched { 1 } else { 0 };
        connection.record(direction, vec![cut], keep);
    }

    /// True while a frame is partly buffered or being skipped.
    fn in_frame(&self) -> bool {
        !self.buffer.is_empty() || self.skipping > 0
    }

    fn take_frames(&mut self, chunk: &[u8], connection: &ConnectionTrace, out: &mut Vec<Decoded>) {
        let mut rest = chunk;
        if self.skipping > 0 {
            let passed = self.skipping.min(rest.len());
            self.skipping -= passed;
            rest = &rest[passed..];
            if self.skipping > 0 {
                return;
            }
        }
        self.buffer.extend_from_slice(rest);
        loop {
            match frame_length(&self.buffer) {
                FrameLength::Incomplete => return,
                FrameLength::Broken(error) => {
                    out.push(malformed(&self.buffer, self.buffer.len(), &error));
                    // The stream cannot be followed any further (the front door closes it too).
                    self.buffer = BytesMut::new();
                    self.broken = true;
                    return;
                }
                FrameLength::Known(length) if length > MAX_DECODED_FRAME => {
                    out.push(malformed(
                        &self.buffer,
                        length,
                        &format!(
                            "too large to show here (the trace decodes packets up to {} KB)",
                            MAX_DECODED_FRAME / 1024
                        ),
                    ));
                    let here = self.buffer.len().min(length);
                    self.skipping = length - here;
                    let _ = self.buffer.split_to(here);
                }
                FrameLength::Known(length) if length <= self.buffer.len() => {
                    let frame = self.buffer.split_to(length);
                    out.push(decode_frame(connection.version(), &frame));
                }
                FrameLength::Known(_) => return,
            }
            if self.buffer.is_empty() {
                // Give back memory a large frame took.
                if self.buffer.capacity() > 64 * 1024 {
                    self.buffer = BytesMut::new();
                }
                return;
            }
        }
    }
}

pub(super) enum FrameLength {
    Incomplete,
    Known(usize),
    Broken(String),
}

/// The whole frame's length, read with the maintained parser's fixed-header check.
pub(super) fn frame_length(buffer: &[u8]) -> FrameLength {
    use rumqttc::mqttbytes::{Error, check};
    if buffer.is_empty() {
        return FrameLength::Incomplete;
    }
    match check(buffer.iter(), usize::MAX) {
        Ok(header) => FrameLength::Known(header.frame_length()),
        // With a whole fixed header in hand, the shortfall is the body's.
        Err(Error::InsufficientBytes(more)) if buffer.len() >= MAX_FIXED_HEADER => {
            FrameLength::Known(buffer.len() + more)
        }
        Err(Error::InsufficientBytes(_)) => FrameLength::Incomplete,
        Err(other) => FrameLength::Broken(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TraceAccess, TraceCommand};
    use super::*;
    use crate::engine::mqtt_wire::{ConnectInfo, ProtocolVersion};

    fn info(id: &str) -> ConnectInfo {
        ConnectInfo {
            version: ProtocolVersion::V311,
            client_id: id.to_owned(),
            username: None,
            password: None,
            keep_alive_secs: 30,
            clean_start: true,
            will: None,
        }
    }

    /// A QoS 1 PUBLISH of `a/b` with packet id 7 and payload `x`.
    const PUBLISH: [u8; 10] = [0x32, 0x08, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07, b'x'];

    fn packets(access: &TraceAccess, id: &str) -> Vec<String> {
        access.read(|s| {
            s.client(id)
                .map(|t| t.records.iter().map(|r| r.label.clone()).collect())
                .unwrap_or_default()
        })
    }

    #[test]
    fn a_packet_split_over_chunks_is_one_record_and_nothing_is_decoded_unwatched() {
        let access = TraceAccess::default();
        let trace = ConnectionTrace::begin(&access, &info("dev"), 1, &[]);
        let mut leg = trace.client_leg(&[], true);
        leg.feed(&PUBLISH, true);
        assert_eq!(
            packets(&access, "dev").len(),
            1,
            "only the CONNECT (unwatched)"
        );
        access
            .execute(TraceCommand::Watch(vec!["dev".into()]))
            .unwrap();
        leg.feed(&PUBLISH[..3], false);
        leg.feed(&PUBLISH[3..8], false);
        leg.feed(&PUBLISH[8..], true);
        let labels = packets(&access, "dev");
        assert_eq!(
            labels.last().map(String::as_str),
            Some("PUBLISH a/b QoS 1 id 7")
        );
        assert_eq!(labels.len(), 2);
    }

    #[test]
    fn watching_from_the_middle_of_a_packet_starts_at_the_next_one() {
        let access = TraceAccess::default();
        let trace = ConnectionTrace::begin(&access, &info("late"), 1, &[]);
        let mut leg = trace.client_leg(&[], true);
        leg.feed(&PUBLISH[..4], false);
        access.execute(TraceCommand::WatchAll(true)).unwrap();
        // The rest of the first packet is not mistaken for a packet of its own.
        leg.feed(&PUBLISH[4..], true);
        leg.feed(&[0xC0, 0x00], true);
        let labels = packets(&access, "late");
        assert_eq!(
            labels.get(1..),
            Some(&["PINGREQ".to_owned()][..]),
            "{labels:?}"
        );
    }

    #[test]
    fn an_oversized_packet_is_named_and_skipped_without_being_buffered() {
        let access = TraceAccess::default();
        access.execute(TraceCommand::WatchAll(true)).unwrap();
        let trace = ConnectionTrace::begin(&access, &info("big"), 1, &[]);
        let mut leg = trace.client_leg(&[], true);
        // A PUBLISH of MAX_DECODED_FRAME + 1 bytes of remaining length.
        let remaining = MAX_DECODED_FRAME + 1;
        let mut header = vec![0x30];
        let mut n = remaining;
        loop {
            let mut byte = (n % 128) as u8;
            n /= 128;
            if n > 0 {
                byte |= 0x80;
            }
            header.push(byte);
            if n == 0 {
                break;
            }
        }
        header.extend_from_slice(&[0x00, 0x01, b't']);
        leg.feed(&header, false);
        let body = vec![b'z'; remaining - 3];
        for chunk in body.chunks(16 * 1024) {
            leg.feed(chunk, false);
            assert!(leg.buffer.len() < 64, "the big packet is not buffered");
        }
        leg.feed(&[0xC0, 0x00], true);
        let labels = packets(&access, "big");
        assert!(labels[1].starts_with("PUBLISH?"), "{labels:?}");
        assert!(labels[1].contains("too large"), "{labels:?}");
        assert_eq!(labels[2], "PINGREQ");
    }

    #[test]
    fn a_course_tap_gets_every_packet_while_the_store_keeps_only_what_it_kept() {
        let access = TraceAccess::default();
        let (mut tapped, dropped) = access.open_course_tap(16);
        let trace = ConnectionTrace::begin(&access, &info("learner"), 1, &[]);
        let mut client = trace.client_leg(&[], true);
        let mut broker = trace.broker_leg();
        broker.feed(&[0x20, 0x02, 0x00, 0x00], true);
        client.feed(&PUBLISH, true);
        broker.feed(&[0x40, 0x02, 0x00, 0x07], true);
        // (The test's CONNECT frame is empty, so its record is a MALFORMED one.)
        assert_eq!(
            packets(&access, "learner").get(1..),
            Some(&["CONNACK accepted".to_owned()][..]),
            "the store keeps what it keeps without a course"
        );
        let mut seen = Vec::new();
        while let Ok(tap) = tapped.try_recv() {
            seen.push(tap.record.label.clone());
        }
        assert_eq!(
            seen.get(1..).unwrap_or_default(),
            vec!["CONNACK accepted", "PUBLISH a/b QoS 1 id 7", "PUBACK id 7"]
        );
        // A full queue drops and counts, and never waits.
        for _ in 0..20 {
            client.feed(&PUBLISH, true);
        }
        assert_eq!(dropped.load(std::sync::atomic::Ordering::Relaxed), 4);
        access.close_course_tap();
        while tapped.try_recv().is_ok() {}
        client.feed(&PUBLISH, true);
        assert!(tapped.try_recv().is_err(), "a closed tap gets nothing");
    }
}
