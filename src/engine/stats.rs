//! Rate meters: totals turned into per-second rates, kept as a ring of one-second buckets.

use std::collections::VecDeque;

/// How many one-second buckets a meter keeps (ten minutes).
pub const HISTORY_SECONDS: usize = 600;

/// Per-second rates of one ever-growing counter.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    last_total: Option<u64>,
    buckets: VecDeque<u64>,
}

impl RateMeter {
    /// Closes a one-second bucket given the counter's current total.
    pub fn close_second(&mut self, total: u64) {
        // The first reading only sets the baseline; a counter that went backwards (a reset) starts over.
        let delta = match self.last_total {
            Some(last) if total >= last => total - last,
            _ => 0,
        };
        self.last_total = Some(total);
        if self.buckets.len() == HISTORY_SECONDS {
            self.buckets.pop_front();
        }
        self.buckets.push_back(delta);
    }

    /// The rate over the last complete second.
    pub fn per_second(&self) -> u64 {
        self.buckets.back().copied().unwrap_or(0)
    }

    /// The newest `seconds` buckets, oldest first.
    pub fn history(&self, seconds: usize) -> Vec<u64> {
        let skip = self.buckets.len().saturating_sub(seconds);
        self.buckets.iter().skip(skip).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_the_difference_between_readings() {
        let mut meter = RateMeter::default();
        meter.close_second(100);
        assert_eq!(meter.per_second(), 0, "the first reading is the baseline");
        meter.close_second(150);
        meter.close_second(150);
        meter.close_second(400);
        assert_eq!(meter.per_second(), 250);
        assert_eq!(meter.history(3), vec![50, 0, 250]);
        assert_eq!(meter.history(100), vec![0, 50, 0, 250]);
    }

    #[test]
    fn history_is_bounded_and_survives_resets() {
        let mut meter = RateMeter::default();
        for i in 0..(HISTORY_SECONDS as u64 + 50) {
            meter.close_second(i * 2);
        }
        assert_eq!(meter.history(usize::MAX).len(), HISTORY_SECONDS);
        meter.close_second(0);
        assert_eq!(meter.per_second(), 0);
        meter.close_second(7);
        assert_eq!(meter.per_second(), 7);
    }
}
