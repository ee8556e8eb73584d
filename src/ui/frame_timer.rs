//! Frame times measured in the window itself: every ten seconds the log gets the frames drawn per
//! second and the median and 99th percentile of what each frame cost (`RUST_LOG=info` shows it).

use std::time::{Duration, Instant};

/// How often the figures are written out.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// A frame slower than this could not keep a 60 Hz display fed.
pub const SLOW_FRAME: Duration = Duration::from_micros(16_667);

/// Collects frame times between reports; bounded by the frames drawn in ten seconds.
pub struct FrameTimer {
    times: Vec<f32>,
    since: Instant,
}

impl Default for FrameTimer {
    fn default() -> Self {
        Self {
            times: Vec::with_capacity(1024),
            since: Instant::now(),
        }
    }
}

/// The figures for one report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameReport {
    pub frames: usize,
    /// The time the frames were drawn in (ten seconds or a little more: a report waits for a frame).
    pub span: Duration,
    pub p50_ms: f32,
    pub p99_ms: f32,
    pub max_ms: f32,
    /// Frames slower than [`SLOW_FRAME`].
    pub slow: usize,
}

impl FrameTimer {
    /// Records the previous frame's cost (eframe's `cpu_usage`: building and painting it).
    pub fn record(&mut self, seconds: Option<f32>) -> Option<FrameReport> {
        if let Some(seconds) = seconds.filter(|s| s.is_finite() && *s >= 0.0) {
            // A window left open for days still holds only one report's worth.
            if self.times.len() < 100_000 {
                self.times.push(seconds * 1000.0);
            }
        }
        let span = self.since.elapsed();
        if span < REPORT_EVERY {
            return None;
        }
        self.since = Instant::now();
        let report = summarise(&mut self.times, span);
        self.times.clear();
        report
    }
}

impl FrameReport {
    /// Frames drawn per second over the report's span.
    pub fn frames_per_s(&self) -> f32 {
        self.frames as f32 / self.span.as_secs_f32().max(f32::EPSILON)
    }
}

fn summarise(times: &mut [f32], span: Duration) -> Option<FrameReport> {
    if times.is_empty() {
        return None;
    }
    times.sort_by(f32::total_cmp);
    let at = |q: f32| times[((times.len() - 1) as f32 * q).round() as usize];
    let slow_ms = SLOW_FRAME.as_secs_f32() * 1000.0;
    Some(FrameReport {
        frames: times.len(),
        span,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: at(1.0),
        slow: times.iter().filter(|t| **t > slow_ms).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_frames() {
        let mut times: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        let report = summarise(&mut times, Duration::from_secs(20)).unwrap();
        assert_eq!(report.frames, 100);
        assert_eq!(report.p50_ms, 51.0);
        assert_eq!(report.p99_ms, 99.0);
        assert_eq!(report.max_ms, 100.0);
        assert_eq!(report.slow, 84, "frames over 16.7 ms");
        assert_eq!(report.frames_per_s(), 5.0);
        assert!(summarise(&mut [], Duration::from_secs(10)).is_none());
    }
}
