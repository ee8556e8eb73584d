//! What a bench message carries: a marker, the run and publisher it came from, its sequence number and
//! the wall-clock time it was handed to the client (so another process on this computer can time it).

use std::time::{SystemTime, UNIX_EPOCH};

/// Marks a payload as a bench message (anything else is counted as "untracked").
const MAGIC: [u8; 4] = *b"MQPB";
/// Bytes the stamp takes: marker, run, publisher, sequence number, nanoseconds since 1970.
pub const STAMP_LEN: usize = 4 + 4 + 4 + 8 + 8;

/// Who sent a message and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Random per `bench pub`/`latency` run, so one subscriber can tell two runs' publisher 0 apart.
    pub run: u32,
    pub publisher: u32,
    pub sequence: u64,
    pub sent_ns: u64,
}

/// Nanoseconds since 1970 on this computer's clock (0 if the clock is before 1970).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A payload of `size` bytes: the stamp (when it fits) then padding.
pub fn encode(stamp: Stamp, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size.max(STAMP_LEN));
    if size >= STAMP_LEN {
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&stamp.run.to_le_bytes());
        out.extend_from_slice(&stamp.publisher.to_le_bytes());
        out.extend_from_slice(&stamp.sequence.to_le_bytes());
        out.extend_from_slice(&stamp.sent_ns.to_le_bytes());
    }
    out.resize(size, b'x');
    out
}

/// The stamp of a bench payload, or `None` for any other payload.
pub fn decode(payload: &[u8]) -> Option<Stamp> {
    let head = payload.get(..STAMP_LEN)?;
    if head[..4] != MAGIC {
        return None;
    }
    let u32_at = |at: usize| head[at..at + 4].try_into().ok().map(u32::from_le_bytes);
    let u64_at = |at: usize| head[at..at + 8].try_into().ok().map(u64::from_le_bytes);
    Some(Stamp {
        run: u32_at(4)?,
        publisher: u32_at(8)?,
        sequence: u64_at(12)?,
        sent_ns: u64_at(20)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_the_round_trip_and_the_size_is_exact() {
        let stamp = Stamp {
            run: 7,
            publisher: 3,
            sequence: u64::MAX - 1,
            sent_ns: 1_700_000_000_000_000_000,
        };
        let payload = encode(stamp, 64);
        assert_eq!(payload.len(), 64);
        assert_eq!(decode(&payload), Some(stamp));
    }

    #[test]
    fn small_and_foreign_payloads_carry_no_stamp() {
        let stamp = Stamp {
            run: 1,
            publisher: 1,
            sequence: 1,
            sent_ns: 1,
        };
        let small = encode(stamp, 10);
        assert_eq!(small.len(), 10);
        assert_eq!(decode(&small), None);
        assert_eq!(decode(&[b'y'; 64]), None);
        assert_eq!(decode(b""), None);
    }
}
