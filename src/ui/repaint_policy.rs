//! When news from the engine repaints the window: coalesced to a bounded rate, one frame each.
//!
//! egui draws two frames for every `request_repaint()` (the second "to let things settle"), and
//! the engine has news many times a second under load. On a software renderer (llvmpipe) each
//! frame of the whole window costs tens of milliseconds, so the window asks for data repaints
//! through [`DataRepaints`]: at most one per [`DATA_REPAINT_EVERY`], always with a non-zero delay
//! (which egui serves with a single frame). Input (mouse, keys) is not affected: eframe repaints
//! for it at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

/// The fastest the window redraws for engine news alone: twice a second, the rate at which the
/// engine refreshes its counters anyway. At 1,000 msg/s on llvmpipe 4 a second cost ~0.55 of a core.
pub const DATA_REPAINT_EVERY: Duration = Duration::from_millis(500);
/// The delay of a data repaint after a quiet spell: non-zero, so egui draws it once, not twice.
pub const FIRST_REPAINT_DELAY: Duration = Duration::from_millis(1);

/// Spaces data repaints at least `every` apart; news in between joins the repaint already planned.
#[derive(Debug, Clone)]
pub struct RepaintCoalescer {
    every: Duration,
    planned: Option<Instant>,
}

impl RepaintCoalescer {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            planned: None,
        }
    }

    /// News arrived at `now`: how long until the frame that shows it (never zero).
    pub fn delay_for_news(&mut self, now: Instant) -> Duration {
        if let Some(planned) = self.planned.filter(|planned| *planned > now) {
            // A repaint is already on its way; it will show this news too.
            return planned - now;
        }
        let soonest = now + FIRST_REPAINT_DELAY;
        let at = match self.planned {
            Some(last) => soonest.max(last + self.every),
            None => soonest,
        };
        self.planned = Some(at);
        at - now
    }
}

/// The engine's waker for a window: coalesced, single-frame repaints of `ctx`.
pub fn data_waker(ctx: egui::Context) -> crate::engine::Waker {
    let coalescer = Mutex::new(RepaintCoalescer::new(DATA_REPAINT_EVERY));
    Arc::new(move || {
        let delay = coalescer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .delay_for_news(Instant::now());
        ctx.request_repaint_after(delay);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: Duration = Duration::from_millis(250);

    /// The instants the frames land on, for news arriving at these offsets (ms) from `start`.
    fn frames_for(news_ms: impl IntoIterator<Item = u64>) -> Vec<Duration> {
        let start = Instant::now();
        let mut coalescer = RepaintCoalescer::new(EVERY);
        let mut frames: Vec<Duration> = Vec::new();
        for ms in news_ms {
            let now = start + Duration::from_millis(ms);
            let delay = coalescer.delay_for_news(now);
            assert!(
                delay > Duration::ZERO,
                "a zero delay would cost egui two frames"
            );
            let at = now + delay - start;
            if frames.last() != Some(&at) {
                frames.push(at);
            }
        }
        frames
    }

    #[test]
    fn a_flood_of_news_repaints_at_most_four_times_a_second() {
        // 1,000 pieces of news a second for two seconds.
        let frames = frames_for(0..2_000);
        assert!(frames.len() <= 9, "{} frames: {frames:?}", frames.len());
        assert!(frames.len() >= 8, "news still shows: {frames:?}");
        for pair in frames.windows(2) {
            assert!(pair[1] - pair[0] >= EVERY, "{pair:?}");
        }
    }

    #[test]
    fn news_after_a_quiet_spell_shows_at_once() {
        let frames = frames_for([0, 5_000, 10_000]);
        assert_eq!(
            frames,
            [0, 5_000, 10_000].map(|ms| Duration::from_millis(ms) + FIRST_REPAINT_DELAY)
        );
    }

    #[test]
    fn the_waker_never_asks_egui_for_a_two_frame_repaint() {
        let ctx = egui::Context::default();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let record = asked.clone();
        ctx.set_request_repaint_callback(move |info| {
            record.lock().unwrap().push(info.delay);
        });
        let wake = data_waker(ctx.clone());
        for _ in 0..50 {
            wake();
        }
        let asked = asked.lock().unwrap();
        assert!(!asked.is_empty(), "the news asked for a repaint");
        assert!(
            asked.iter().all(|delay| *delay > Duration::ZERO),
            "an immediate repaint costs two frames: {asked:?}"
        );
    }

    #[test]
    fn news_soon_after_a_repaint_waits_for_the_next_slot() {
        let frames = frames_for([0, 100, 120, 600]);
        let first = FIRST_REPAINT_DELAY;
        assert_eq!(frames, [first, first + EVERY, Duration::from_millis(601)]);
    }
}
