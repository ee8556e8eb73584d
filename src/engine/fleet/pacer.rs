//! When a device publishes next: a fixed grid of send times, each nudged by jitter, so the average
//! rate is exact however late the device wakes and however much jitter it has.

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

/// The send schedule of one device.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    /// Jitter as a fraction of the interval (0 to 1); each send moves by up to ± this.
    jitter: f64,
    /// The grid's origin; send k is due at `origin + k × interval`, then jittered.
    origin: Instant,
    next_index: u64,
}

impl Pacer {
    /// A schedule whose first send is `phase` after `start`. Spreading phases across a group keeps a
    /// thousand devices from all publishing in the same millisecond.
    pub fn new(start: Instant, phase: Duration, interval: Duration, jitter_percent: f64) -> Self {
        Self {
            interval: interval.max(Duration::from_micros(100)),
            jitter: (jitter_percent / 100.0).clamp(0.0, 1.0),
            origin: start + phase,
            next_index: 0,
        }
    }

    /// The phase for device `index` of `count`: evenly spread over one interval.
    pub fn spread_phase(index: u32, count: u32, interval: Duration) -> Duration {
        if count <= 1 {
            return Duration::ZERO;
        }
        interval.mul_f64(f64::from(index % count) / f64::from(count))
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// When the next send is due (jitter drawn from `rng`), and advances the schedule.
    pub fn next_due(&mut self, rng: &mut ChaCha8Rng) -> Instant {
        let nominal = self.origin + self.interval.mul_f64(self.next_index as f64);
        self.next_index += 1;
        if self.jitter == 0.0 {
            return nominal;
        }
        let max_shift = self.interval.mul_f64(self.jitter).as_secs_f64();
        let shift = rng.gen_range(-max_shift..=max_shift);
        if shift >= 0.0 {
            nominal + Duration::from_secs_f64(shift)
        } else {
            nominal
                .checked_sub(Duration::from_secs_f64(-shift))
                .unwrap_or(nominal)
                .max(self.origin)
        }
    }

    /// After a pause or an outage: drop the sends that fell due meanwhile rather than bursting
    /// them all at once, and keep the grid (and so the rate) from `now` on.
    pub fn skip_missed(&mut self, now: Instant) -> u64 {
        if now <= self.origin {
            return 0;
        }
        let elapsed = now - self.origin;
        let due_index = (elapsed.as_secs_f64() / self.interval.as_secs_f64()).ceil() as u64;
        let skipped = due_index.saturating_sub(self.next_index);
        self.next_index = self.next_index.max(due_index);
        skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Counts the sends a pacer makes in `run_for`, sleeping on tokio's paused clock like a device does.
    async fn sends_within(mut pacer: Pacer, run_for: Duration) -> u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let end = Instant::now() + run_for;
        let mut sent = 0;
        loop {
            let due = pacer.next_due(&mut rng);
            if due >= end {
                return sent;
            }
            tokio::time::sleep_until(due).await;
            sent += 1;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ten_per_second_for_ten_seconds_is_exactly_one_hundred() {
        let pacer = Pacer::new(
            Instant::now(),
            Duration::ZERO,
            Duration::from_millis(100),
            0.0,
        );
        assert_eq!(sends_within(pacer, Duration::from_secs(10)).await, 100);
    }

    #[tokio::test(start_paused = true)]
    async fn a_phase_delays_the_first_send_but_not_the_rate() {
        let start = Instant::now();
        let mut pacer = Pacer::new(
            start,
            Duration::from_millis(40),
            Duration::from_secs(1),
            0.0,
        );
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(pacer.next_due(&mut rng) - start, Duration::from_millis(40));
        assert_eq!(
            pacer.next_due(&mut rng) - start,
            Duration::from_millis(1040)
        );
        let pacer = Pacer::new(
            Instant::now(),
            Duration::from_millis(40),
            Duration::from_secs(1),
            0.0,
        );
        assert_eq!(sends_within(pacer, Duration::from_secs(60)).await, 60);
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_moves_sends_but_keeps_the_count() {
        // ± 50% jitter on a 1 s grid: only the first or last send can cross the window's edges.
        let pacer = Pacer::new(
            Instant::now(),
            Duration::from_millis(500),
            Duration::from_secs(1),
            50.0,
        );
        let sent = sends_within(pacer, Duration::from_secs(100)).await;
        assert!((99..=101).contains(&sent), "{sent}");
    }

    #[test]
    fn jittered_sends_stay_within_their_band() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, Duration::ZERO, Duration::from_secs(3), 66.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut shifts = Vec::new();
        for k in 0..1000u32 {
            let due = pacer.next_due(&mut rng);
            let nominal = start + Duration::from_secs(3) * k;
            let shift = if due >= nominal {
                (due - nominal).as_secs_f64()
            } else {
                -(nominal - due).as_secs_f64()
            };
            assert!(shift.abs() <= 1.98 + 1e-9, "send {k} moved {shift}s");
            shifts.push(shift);
        }
        assert!(shifts.iter().any(|s| *s > 1.0) && shifts.iter().any(|s| *s < -1.0));
    }

    #[test]
    fn phases_spread_a_group_over_one_interval() {
        let interval = Duration::from_millis(100);
        assert_eq!(Pacer::spread_phase(0, 4, interval), Duration::ZERO);
        assert_eq!(
            Pacer::spread_phase(2, 4, interval),
            Duration::from_millis(50)
        );
        assert_eq!(Pacer::spread_phase(0, 1, interval), Duration::ZERO);
    }

    #[test]
    fn a_long_pause_skips_instead_of_bursting() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, Duration::ZERO, Duration::from_millis(100), 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        pacer.next_due(&mut rng);
        let skipped = pacer.skip_missed(start + Duration::from_millis(1050));
        assert_eq!(skipped, 10);
        assert_eq!(
            pacer.next_due(&mut rng) - start,
            Duration::from_millis(1100)
        );
    }
}
