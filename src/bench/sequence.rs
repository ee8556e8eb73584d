//! Loss, duplicates and order of one publisher's messages as one subscriber saw them (sequence numbers
//! from 0, kept as a bitset: 1 bit per message sent).

/// What one subscriber saw of one publisher's sequence numbers.
#[derive(Debug, Default, Clone)]
pub struct SequenceTracker {
    seen: Vec<u64>,
    /// Distinct sequence numbers received.
    pub unique: u64,
    /// Messages whose sequence number had arrived before.
    pub duplicates: u64,
    /// Messages that arrived after one with a higher sequence number.
    pub out_of_order: u64,
    /// The highest sequence number received, if any.
    pub highest: Option<u64>,
    /// The lowest (a subscriber that joined late starts above 0).
    pub lowest: Option<u64>,
}

impl SequenceTracker {
    pub fn record(&mut self, sequence: u64) {
        let (word, bit) = ((sequence / 64) as usize, sequence % 64);
        if word >= self.seen.len() {
            // Grows by doubling; a sequence number far ahead of the rest (a corrupt or foreign
            // payload) would cost memory, so anything over 2^32 is counted but not placed.
            if sequence > u64::from(u32::MAX) {
                self.unique += 1;
                return;
            }
            self.seen.resize((word + 1).next_power_of_two(), 0);
        }
        let mask = 1u64 << bit;
        if self.seen[word] & mask != 0 {
            self.duplicates += 1;
            return;
        }
        self.seen[word] |= mask;
        self.unique += 1;
        self.lowest = Some(self.lowest.map_or(sequence, |l| l.min(sequence)));
        match self.highest {
            Some(highest) if sequence < highest => self.out_of_order += 1,
            _ => self.highest = Some(sequence),
        }
    }

    /// Distinct sequence numbers below `sent` that arrived.
    pub fn unique_below(&self, sent: u64) -> u64 {
        let full_words = (sent / 64) as usize;
        let mut count: u64 = self
            .seen
            .iter()
            .take(full_words)
            .map(|w| u64::from(w.count_ones()))
            .sum();
        if let Some(word) = self.seen.get(full_words) {
            let rest = sent % 64;
            if rest > 0 {
                count += u64::from((word & ((1u64 << rest) - 1)).count_ones());
            }
        }
        count
    }

    /// Messages missing between the lowest and the highest received (what a subscriber alone can tell
    /// of loss: it cannot see what was lost after the last one that arrived).
    pub fn gaps(&self) -> u64 {
        match (self.lowest, self.highest) {
            (Some(low), Some(high)) => (high - low + 1)
                .saturating_sub(self.unique_below(high + 1) - self.unique_below(low)),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_loss_duplicates_and_order() {
        let mut tracker = SequenceTracker::default();
        for n in [0, 1, 2, 4, 3, 3, 7, 100] {
            tracker.record(n);
        }
        assert_eq!(tracker.unique, 7);
        assert_eq!(tracker.duplicates, 1);
        assert_eq!(tracker.out_of_order, 1);
        assert_eq!(tracker.unique_below(8), 6);
        assert_eq!(tracker.unique_below(200), 7);
        // 0..=100 is 101 numbers, 7 arrived.
        assert_eq!(tracker.gaps(), 94);
        let mut late = SequenceTracker::default();
        for n in [50, 51, 53] {
            late.record(n);
        }
        assert_eq!(
            late.gaps(),
            1,
            "a late joiner misses nothing before its first"
        );
        assert_eq!(tracker.unique_below(0), 0);
        assert_eq!(tracker.unique_below(64), 6);
    }

    #[test]
    fn nothing_received_is_no_gap() {
        let tracker = SequenceTracker::default();
        assert_eq!(tracker.gaps(), 0);
        assert_eq!(tracker.unique_below(10), 0);
    }
}
