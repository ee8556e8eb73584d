//! The bounded subscriber log: keeps the newest messages within a message count and a byte budget.

use std::collections::VecDeque;
use std::collections::vec_deque;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use super::message::{DEFAULT_MAX_PAYLOAD_BYTES, LoggedMessage};

pub const DEFAULT_CAPACITY: usize = 100_000;
pub const MIN_CAPACITY: usize = 100;
pub const MAX_CAPACITY: usize = 1_000_000;
pub const DEFAULT_BYTE_BUDGET: usize = 256 * 1024 * 1024;
/// Below this the log could not even hold one default-sized payload.
pub const MIN_BYTE_BUDGET: usize = 1024 * 1024;

/// How much the log may hold. Out-of-range values are clamped, not rejected,
/// so a settings field can never put the log into a broken state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// Messages kept, between [`MIN_CAPACITY`] and [`MAX_CAPACITY`].
    pub capacity: usize,
    /// Payload plus topic bytes kept, at least [`MIN_BYTE_BUDGET`].
    pub byte_budget: usize,
    /// Per-message payload cap, at most the byte budget.
    pub max_payload_bytes: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            capacity: DEFAULT_CAPACITY,
            byte_budget: DEFAULT_BYTE_BUDGET,
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES,
        }
    }
}

impl LogLimits {
    fn clamped(self) -> LogLimits {
        let byte_budget = self.byte_budget.max(MIN_BYTE_BUDGET);
        LogLimits {
            capacity: self.capacity.clamp(MIN_CAPACITY, MAX_CAPACITY),
            byte_budget,
            max_payload_bytes: self.max_payload_bytes.min(byte_budget),
        }
    }
}

/// Totals that keep counting across eviction and clearing, for the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogCounters {
    pub total_received: u64,
    /// Dropped because the log was full (by count or bytes).
    pub total_evicted: u64,
    /// Dropped by the user clearing the log.
    pub total_cleared: u64,
    pub clear_count: u64,
    /// Every message with a smaller seq was removed by the latest clear.
    pub last_clear_before_seq: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct MessageLog {
    messages: VecDeque<LoggedMessage>,
    limits: LogLimits,
    stored_bytes: usize,
    next_seq: u64,
    counters: LogCounters,
}

impl Default for MessageLog {
    fn default() -> Self {
        MessageLog::new(LogLimits::default())
    }
}

impl MessageLog {
    pub fn new(limits: LogLimits) -> MessageLog {
        MessageLog {
            messages: VecDeque::new(),
            limits: limits.clamped(),
            stored_bytes: 0,
            next_seq: 0,
            counters: LogCounters::default(),
        }
    }

    pub fn limits(&self) -> LogLimits {
        self.limits
    }

    /// Sets the message capacity (clamped) and evicts at once if needed; returns the value applied.
    pub fn set_capacity(&mut self, capacity: usize) -> usize {
        self.limits = LogLimits {
            capacity,
            ..self.limits
        }
        .clamped();
        self.evict_over_limits();
        self.limits.capacity
    }

    /// Sets the byte budget (clamped) and evicts at once if needed; returns the value applied.
    pub fn set_byte_budget(&mut self, byte_budget: usize) -> usize {
        self.limits = LogLimits {
            byte_budget,
            ..self.limits
        }
        .clamped();
        self.evict_over_limits();
        self.limits.byte_budget
    }

    /// Sets the per-message payload cap for future messages; returns the value applied.
    pub fn set_max_payload_bytes(&mut self, max_payload_bytes: usize) -> usize {
        self.limits = LogLimits {
            max_payload_bytes,
            ..self.limits
        }
        .clamped();
        self.limits.max_payload_bytes
    }

    /// Logs a received message and returns the seq it was given.
    pub fn push(
        &mut self,
        received_at: SystemTime,
        topic: Arc<str>,
        qos: u8,
        retain: bool,
        payload: Bytes,
    ) -> u64 {
        self.push_message(LoggedMessage::new(
            received_at,
            topic,
            qos,
            retain,
            payload,
            self.limits.max_payload_bytes,
        ))
    }

    /// Logs an already built message (e.g. imported), replacing its seq and applying the payload cap.
    pub fn push_message(&mut self, mut message: LoggedMessage) -> u64 {
        message.limit_payload(self.limits.max_payload_bytes);
        let seq = self.next_seq;
        message.seq = seq;
        self.next_seq += 1;
        self.counters.total_received += 1;
        self.stored_bytes += message.stored_bytes();
        self.messages.push_back(message);
        self.evict_over_limits();
        seq
    }

    fn evict_over_limits(&mut self) {
        // The newest message always stays, even alone over budget, so the user sees what just arrived.
        while self.messages.len() > 1
            && (self.messages.len() > self.limits.capacity
                || self.stored_bytes > self.limits.byte_budget)
        {
            let Some(oldest) = self.messages.pop_front() else {
                break;
            };
            self.stored_bytes = self.stored_bytes.saturating_sub(oldest.stored_bytes());
            self.counters.total_evicted += 1;
        }
    }

    /// Empties the log; counters and seq numbering carry on.
    pub fn clear(&mut self) {
        self.counters.total_cleared += self.messages.len() as u64;
        self.counters.clear_count += 1;
        self.counters.last_clear_before_seq = Some(self.next_seq);
        self.messages.clear();
        self.stored_bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Payload plus topic bytes currently held.
    pub fn stored_bytes(&self) -> usize {
        self.stored_bytes
    }

    pub fn counters(&self) -> LogCounters {
        self.counters
    }

    /// The seq the next pushed message will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn first_seq(&self) -> Option<u64> {
        self.messages.front().map(|message| message.seq)
    }

    pub fn last_seq(&self) -> Option<u64> {
        self.messages.back().map(|message| message.seq)
    }

    /// The message at `position`, 0 being the oldest kept.
    pub fn get(&self, position: usize) -> Option<&LoggedMessage> {
        self.messages.get(position)
    }

    pub fn get_by_seq(&self, seq: u64) -> Option<&LoggedMessage> {
        self.messages.get(self.position_of_seq(seq)?)
    }

    /// Seqs in the log are contiguous (only the oldest are ever removed), so this is O(1).
    pub fn position_of_seq(&self, seq: u64) -> Option<usize> {
        let offset = seq.checked_sub(self.first_seq()?)?;
        usize::try_from(offset)
            .ok()
            .filter(|&position| position < self.messages.len())
    }

    /// Oldest to newest.
    pub fn iter(&self) -> vec_deque::Iter<'_, LoggedMessage> {
        self.messages.iter()
    }

    /// Messages at the given positions; positions past the end are simply left out.
    pub fn range(&self, positions: impl RangeBounds<usize>) -> vec_deque::Iter<'_, LoggedMessage> {
        let len = self.messages.len();
        let start = match positions.start_bound() {
            Bound::Included(&start) => start,
            Bound::Excluded(&start) => start.saturating_add(1),
            Bound::Unbounded => 0,
        }
        .min(len);
        let end = match positions.end_bound() {
            Bound::Included(&end) => end.saturating_add(1),
            Bound::Excluded(&end) => end,
            Bound::Unbounded => len,
        }
        .clamp(start, len);
        self.messages.range(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_log(capacity: usize) -> MessageLog {
        MessageLog::new(LogLimits {
            capacity,
            ..LogLimits::default()
        })
    }

    fn push_text(log: &mut MessageLog, topic: &str, payload: &str) -> u64 {
        log.push(
            SystemTime::UNIX_EPOCH,
            Arc::from(topic),
            0,
            false,
            Bytes::from(payload.to_owned()),
        )
    }

    fn payloads(log: &MessageLog) -> Vec<String> {
        log.iter()
            .map(|m| String::from_utf8(m.payload.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn evicts_oldest_first_by_count_and_keeps_counting() {
        let mut log = small_log(100);
        for i in 0..250 {
            assert_eq!(push_text(&mut log, "t", &i.to_string()), i);
        }
        assert_eq!(log.len(), 100);
        assert_eq!(log.first_seq(), Some(150));
        assert_eq!(log.last_seq(), Some(249));
        assert_eq!(payloads(&log).first().map(String::as_str), Some("150"));
        let counters = log.counters();
        assert_eq!(counters.total_received, 250);
        assert_eq!(counters.total_evicted, 150);
        assert!(log.get_by_seq(149).is_none());
        assert_eq!(log.get_by_seq(200).map(|m| m.seq), Some(200));
        assert_eq!(log.position_of_seq(200), Some(50));
        assert!(log.get_by_seq(250).is_none());
    }

    #[test]
    fn evicts_by_byte_budget() {
        let mut log = MessageLog::new(LogLimits {
            capacity: 1000,
            byte_budget: MIN_BYTE_BUDGET,
            max_payload_bytes: MIN_BYTE_BUDGET,
        });
        let quarter = "x".repeat(MIN_BYTE_BUDGET / 4 - 1); // plus the one-byte topic = exactly a quarter
        for _ in 0..4 {
            push_text(&mut log, "t", &quarter);
        }
        assert_eq!(log.len(), 4);
        assert_eq!(log.stored_bytes(), MIN_BYTE_BUDGET);
        push_text(&mut log, "t", "y");
        assert_eq!(log.len(), 4);
        assert_eq!(log.first_seq(), Some(1));
        assert_eq!(log.counters().total_evicted, 1);
        assert_eq!(log.stored_bytes(), 3 * MIN_BYTE_BUDGET / 4 + 2);
    }

    #[test]
    fn capacity_is_clamped_and_shrinking_evicts() {
        let mut log = small_log(5);
        assert_eq!(log.limits().capacity, MIN_CAPACITY);
        assert_eq!(log.set_capacity(10_000_000), MAX_CAPACITY);
        for i in 0..300 {
            push_text(&mut log, "t", &i.to_string());
        }
        assert_eq!(log.set_capacity(150), 150);
        assert_eq!(log.len(), 150);
        assert_eq!(log.first_seq(), Some(150));
        assert_eq!(log.counters().total_evicted, 150);
    }

    #[test]
    fn pushed_payloads_are_capped() {
        let mut log = MessageLog::default();
        log.set_max_payload_bytes(10);
        push_text(&mut log, "t", &"z".repeat(100));
        let message = log.get(0).unwrap();
        assert_eq!(message.payload.len(), 10);
        assert_eq!(message.payload_truncated_from, Some(100));
    }

    #[test]
    fn clear_keeps_totals_and_numbering() {
        let mut log = small_log(100);
        for i in 0..10 {
            push_text(&mut log, "t", &i.to_string());
        }
        log.clear();
        assert!(log.is_empty());
        assert_eq!(log.stored_bytes(), 0);
        assert_eq!(push_text(&mut log, "t", "after"), 10);
        let counters = log.counters();
        assert_eq!(counters.total_received, 11);
        assert_eq!(counters.total_cleared, 10);
        assert_eq!(counters.clear_count, 1);
        assert_eq!(counters.last_clear_before_seq, Some(10));
        assert_eq!(log.position_of_seq(10), Some(0));
    }

    #[test]
    fn range_clamps_out_of_bounds_positions() {
        let mut log = small_log(100);
        for i in 0..10 {
            push_text(&mut log, "t", &i.to_string());
        }
        let seqs =
            |range: vec_deque::Iter<'_, LoggedMessage>| range.map(|m| m.seq).collect::<Vec<_>>();
        assert_eq!(seqs(log.range(2..5)), vec![2, 3, 4]);
        assert_eq!(seqs(log.range(8..100)), vec![8, 9]);
        assert_eq!(seqs(log.range(50..)), Vec::<u64>::new());
        assert_eq!(seqs(log.range(7..=7)), vec![7]);
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = log.range(5..2);
        assert_eq!(seqs(backwards), Vec::<u64>::new());
        assert_eq!(seqs(log.range(..)).len(), 10);
    }
}
