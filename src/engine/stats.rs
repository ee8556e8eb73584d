//! Rate meters: totals turned into per-second rates, kept as a ring of one-second buckets.

use std::collections::VecDeque;
use std::time::Instant;

/// How many one-second buckets a meter keeps (ten minutes).
pub const HISTORY_SECONDS: usize = 600;

/// Per-second rates of one ever-growing counter.
#[derive(Debug, Clone, Default)]
pub struct RateMeter {
    last_total: Option<u64>,
    last_close: Option<Instant>,
    buckets: VecDeque<u64>,
}

impl RateMeter {
    /// Closes a one-second bucket given the counter's current total.
    pub fn close_second(&mut self, total: u64) {
        self.close_at(total, Instant::now());
    }

    /// Closes a bucket at `now`. A busy engine closes buckets a little late; the count is scaled by
    /// the time that really passed, so a 1.3 s bucket does not show 30% more than the true rate.
    pub fn close_at(&mut self, total: u64, now: Instant) {
        // The first reading only sets the baseline; a counter that went backwards (a reset) starts over.
        let delta = match self.last_total {
            Some(last) if total >= last => total - last,
            _ => 0,
        };
        let seconds = self
            .last_close
            .map(|last| now.saturating_duration_since(last).as_secs_f64())
            .filter(|s| *s >= 0.5)
            .unwrap_or(1.0);
        let delta = (delta as f64 / seconds).round() as u64;
        self.last_total = Some(total);
        self.last_close = Some(now);
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

    use std::time::Duration;

    /// Closes buckets one second apart, as the engine does when it is on time.
    fn close_each_second(meter: &mut RateMeter, totals: &[u64]) {
        let start = Instant::now();
        for (i, total) in totals.iter().enumerate() {
            meter.close_at(*total, start + Duration::from_secs(i as u64));
        }
    }

    #[test]
    fn buckets_hold_the_difference_between_readings() {
        let mut meter = RateMeter::default();
        close_each_second(&mut meter, &[100]);
        assert_eq!(meter.per_second(), 0, "the first reading is the baseline");
        let mut meter = RateMeter::default();
        close_each_second(&mut meter, &[100, 150, 150, 400]);
        assert_eq!(meter.per_second(), 250);
        assert_eq!(meter.history(3), vec![50, 0, 250]);
        assert_eq!(meter.history(100), vec![0, 50, 0, 250]);
    }

    #[test]
    fn history_is_bounded_and_survives_resets() {
        let mut meter = RateMeter::default();
        let totals: Vec<u64> = (0..(HISTORY_SECONDS as u64 + 50)).map(|i| i * 2).collect();
        close_each_second(&mut meter, &totals);
        assert_eq!(meter.history(usize::MAX).len(), HISTORY_SECONDS);
        let start = Instant::now() + Duration::from_secs(10_000);
        meter.close_at(0, start);
        assert_eq!(meter.per_second(), 0);
        meter.close_at(7, start + Duration::from_secs(1));
        assert_eq!(meter.per_second(), 7);
    }

    #[test]
    fn a_late_bucket_is_scaled_to_a_second() {
        let mut meter = RateMeter::default();
        let start = Instant::now();
        meter.close_at(0, start);
        meter.close_at(13_000, start + Duration::from_millis(1300));
        assert_eq!(meter.per_second(), 10_000);
    }
}
