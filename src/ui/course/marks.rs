//! How a step stands for one learner or the class, in the marks and words the Course tab and roster share.

use std::time::{SystemTime, UNIX_EPOCH};

use eframe::egui::{self, Color32};

use crate::engine::course::{CourseSnapshot, LearnerProgress, StepState};
use crate::ui::widgets::{GOOD, WARN};

/// One step's state as drawn: a learner's own state, with a skip for the whole class shown too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Done,
    Missed,
    Skipped,
    Open,
}

impl Mark {
    /// Where `step` stands for `learner`: their own state wins, except that an open step the whole
    /// class skipped shows as skipped (the engine may or may not copy class skips into each row).
    pub fn of(learner: &LearnerProgress, step: usize, skipped_for_all: &[usize]) -> Mark {
        match learner.steps.get(step) {
            Some(StepState::Done { .. }) => Mark::Done,
            Some(StepState::Skipped) => Mark::Skipped,
            _ if skipped_for_all.contains(&step) => Mark::Skipped,
            Some(StepState::Missed { .. }) => Mark::Missed,
            Some(StepState::Open) | None => Mark::Open,
        }
    }

    /// The word for a hover or a screen reader.
    pub fn word(self) -> &'static str {
        match self {
            Mark::Done => "done",
            Mark::Missed => "tried, not yet right",
            Mark::Skipped => "skipped",
            Mark::Open => "not started",
        }
    }

    /// `None` for the theme's own text colour.
    pub fn color(self) -> Option<Color32> {
        match self {
            Mark::Done => Some(GOOD),
            Mark::Missed => Some(WARN),
            Mark::Skipped | Mark::Open => None,
        }
    }
}

/// Draws the mark in a `size`-wide square, painted (the bundled fonts have no ✓): a tick for done,
/// `!` for a miss, a dash for skipped, a dot for not started. `says` is its hover text and what a
/// screen reader (and a test) reads.
pub fn mark_icon(ui: &mut egui::Ui, mark: Mark, size: f32, says: &str) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(size, ui.spacing().interact_size.y),
        egui::Sense::hover(),
    );
    let color = mark.color().unwrap_or_else(|| ui.visuals().text_color());
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        let c = rect.center();
        let h = size.min(rect.height()) * 0.5;
        match mark {
            Mark::Done => {
                let points = vec![
                    c + egui::vec2(-0.6 * h, 0.0),
                    c + egui::vec2(-0.2 * h, 0.45 * h),
                    c + egui::vec2(0.65 * h, -0.5 * h),
                ];
                painter.add(egui::Shape::line(points, egui::Stroke::new(2.0, color)));
            }
            Mark::Skipped => {
                painter.line_segment(
                    [c - egui::vec2(0.5 * h, 0.0), c + egui::vec2(0.5 * h, 0.0)],
                    egui::Stroke::new(1.5, color),
                );
            }
            Mark::Open => {
                painter.circle_filled(c, 1.5, color);
            }
            Mark::Missed => {
                painter.text(
                    c,
                    egui::Align2::CENTER_CENTER,
                    "!",
                    egui::FontId::monospace(h * 2.0),
                    color,
                );
            }
        }
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, says));
    response.on_hover_text(says)
}

/// How many learners have done `step`, out of how many learners there are.
pub fn class_done(snapshot: &CourseSnapshot, step: usize) -> (usize, usize) {
    let done = snapshot
        .learners
        .iter()
        .filter(|l| matches!(l.steps.get(step), Some(StepState::Done { .. })))
        .count();
    (done, snapshot.learners.len())
}

/// The learner's first step neither done nor skipped: where they are in the course.
pub fn current_step(learner: &LearnerProgress, steps: usize, skipped_for_all: &[usize]) -> usize {
    (0..steps)
        .find(|&i| {
            matches!(
                Mark::of(learner, i, skipped_for_all),
                Mark::Open | Mark::Missed
            )
        })
        .unwrap_or(0)
}

/// `HH:MM:SS UTC`, the clock the message log uses too (a class in one room shares it either way).
pub fn clock_time(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::course::LearnerKey;
    use std::time::Duration;

    fn learner(steps: Vec<StepState>) -> LearnerProgress {
        LearnerProgress {
            learner: "student01".into(),
            key: LearnerKey::UserName,
            client_ids: vec![],
            connected: true,
            steps,
            last_activity: None,
            messages_in: 0,
            messages_out: 0,
        }
    }

    #[test]
    fn a_class_skip_shows_on_open_steps_but_not_over_a_done_one() {
        let at = UNIX_EPOCH;
        let l = learner(vec![
            StepState::Done {
                client_id: "c".into(),
                at,
            },
            StepState::Open,
            StepState::Missed {
                hint: "h".into(),
                at,
            },
        ]);
        assert_eq!(Mark::of(&l, 0, &[0, 1]), Mark::Done);
        assert_eq!(Mark::of(&l, 1, &[0, 1]), Mark::Skipped);
        assert_eq!(Mark::of(&l, 2, &[0, 1]), Mark::Missed);
        assert_eq!(Mark::of(&l, 7, &[]), Mark::Open, "a short row is open");
        assert_eq!(current_step(&l, 3, &[1]), 2);
    }

    #[test]
    fn clock_time_is_utc_seconds() {
        let t = UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 10 * 3600 + 42 * 60 + 7);
        assert_eq!(clock_time(t), "10:42:07 UTC");
    }
}
