//! The course's step list: number, title, and where each step stands for the learner or the class.

use eframe::egui::{self, RichText};

use super::marks::{Mark, class_done, mark_icon};
use crate::engine::course::{CourseOverview, CourseSnapshot, LearnerProgress};

/// Draws the list; returns the step clicked, if any.
pub fn steps_ui(
    ui: &mut egui::Ui,
    course: &CourseOverview,
    snapshot: &CourseSnapshot,
    learner: Option<&LearnerProgress>,
    selected: usize,
) -> Option<usize> {
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("course-steps")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (index, step) in course.steps.iter().enumerate() {
                let text = format!(
                    "{}. {}{}",
                    index + 1,
                    step.title,
                    status_suffix(snapshot, learner, index)
                );
                let mark = match learner {
                    Some(l) => Mark::of(l, index, &snapshot.skipped_for_all),
                    None => class_mark(snapshot, index),
                };
                let mut rich = RichText::new(text);
                if let Some(color) = mark.color() {
                    rich = rich.color(color);
                }
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    mark_icon(ui, mark, 16.0, mark.word());
                    if ui
                        .selectable_label(selected == index, rich)
                        .on_hover_text(&step.check_summary)
                        .clicked()
                    {
                        clicked = Some(index);
                    }
                });
            }
        });
    clicked
}

/// The class's mark: done once every learner has done it, skipped when skipped for all.
fn class_mark(snapshot: &CourseSnapshot, step: usize) -> Mark {
    let (done, of) = class_done(snapshot, step);
    if snapshot.skipped_for_all.contains(&step) {
        Mark::Skipped
    } else if of > 0 && done == of {
        Mark::Done
    } else {
        Mark::Open
    }
}

/// "  done", "  skipped", "  try again" for a learner; "  17/25 done" for the class.
fn status_suffix(
    snapshot: &CourseSnapshot,
    learner: Option<&LearnerProgress>,
    step: usize,
) -> String {
    match learner {
        Some(learner) => match Mark::of(learner, step, &snapshot.skipped_for_all) {
            Mark::Done => "  done".to_owned(),
            Mark::Skipped => "  skipped".to_owned(),
            Mark::Missed => "  try again".to_owned(),
            Mark::Open => String::new(),
        },
        None => {
            let skipped = if snapshot.skipped_for_all.contains(&step) {
                "  skipped"
            } else {
                ""
            };
            let (done, of) = class_done(snapshot, step);
            if of == 0 {
                skipped.to_owned()
            } else {
                format!("{skipped}  {done}/{of} done")
            }
        }
    }
}
