//! A step's status in words: who did it and when for a learner, the hint of a miss, or the class's count.

use eframe::egui::{self, RichText};

use super::marks::{Mark, class_done, clock_time, mark_icon};
use crate::engine::course::{CourseSnapshot, LearnerProgress, StepState};
use crate::engine::display_text::{self, HOVER_CHARS, INLINE_CHARS};
use crate::ui::widgets::{GOOD, WARN};

/// Names listed under a class status before "and N more".
const NAMES_SHOWN: usize = 12;

/// Draws the status of `step` for one learner.
pub fn learner_status_ui(
    ui: &mut egui::Ui,
    learner: &LearnerProgress,
    step: usize,
    skipped_for_all: &[usize],
) {
    let name = display_text::clipped(&learner.learner, INLINE_CHARS);
    match learner.steps.get(step) {
        Some(StepState::Done { client_id, at }) => {
            ui.horizontal(|ui| {
                mark_icon(ui, Mark::Done, 18.0, "done");
                ui.label(
                    RichText::new(format!(
                        "Done by client \"{}\" at {}",
                        display_text::clipped(client_id, INLINE_CHARS),
                        clock_time(*at)
                    ))
                    .color(GOOD)
                    .strong(),
                );
            });
        }
        _ if skipped_for_all.contains(&step) => {
            ui.label(RichText::new("Skipped for the whole class.").strong());
        }
        Some(StepState::Skipped) => {
            ui.label(RichText::new(format!("Skipped for {name}.")).strong());
        }
        Some(StepState::Missed { hint, at }) => {
            egui::Frame::group(ui.style())
                .stroke(egui::Stroke::new(1.5, WARN))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(format!(
                            "Not yet: {}",
                            display_text::clipped(hint, HOVER_CHARS)
                        ))
                        .color(WARN)
                        .strong()
                        .size(ui.text_style_height(&egui::TextStyle::Heading)),
                    );
                    ui.weak(format!("{name} tried at {}.", clock_time(*at)));
                });
        }
        Some(StepState::Open) | None => {
            ui.label(format!(
                "Not done yet by {name}: it ticks itself off when the broker sees it happen."
            ));
        }
    }
}

/// Draws the status of `step` for the whole class: how many did it, who, and who tried and missed.
pub fn class_status_ui(ui: &mut egui::Ui, snapshot: &CourseSnapshot, step: usize) {
    if snapshot.skipped_for_all.contains(&step) {
        ui.label(RichText::new("Skipped for the whole class.").strong());
    }
    let (done, of) = class_done(snapshot, step);
    if of == 0 {
        ui.label(
            "No learners yet: this step ticks itself off for each learner whose client does it.",
        );
        return;
    }
    ui.label(
        RichText::new(format!("{done} of {of} learners have done this step."))
            .strong()
            .color(if done == of {
                GOOD
            } else {
                ui.visuals().text_color()
            }),
    );
    let did: Vec<&str> = snapshot
        .learners
        .iter()
        .filter(|l| matches!(l.steps.get(step), Some(StepState::Done { .. })))
        .map(|l| l.learner.as_str())
        .collect();
    if !did.is_empty() {
        ui.label(format!("Done: {}", names(&did)));
    }
    let missed: Vec<(&str, &str)> = snapshot
        .learners
        .iter()
        .filter_map(|l| match l.steps.get(step) {
            Some(StepState::Missed { hint, .. }) => Some((l.learner.as_str(), hint.as_str())),
            _ => None,
        })
        .collect();
    if !missed.is_empty() {
        ui.label(
            RichText::new(format!("{} tried and missed:", missed.len()))
                .color(WARN)
                .strong(),
        );
        for (name, hint) in missed.iter().take(NAMES_SHOWN) {
            ui.label(
                RichText::new(format!(
                    "{}: {}",
                    display_text::clipped(name, INLINE_CHARS),
                    display_text::clipped(hint, HOVER_CHARS)
                ))
                .color(WARN),
            );
        }
        if missed.len() > NAMES_SHOWN {
            ui.weak(format!("and {} more", missed.len() - NAMES_SHOWN));
        }
    }
}

/// "a, b, c and 4 more", each name escaped.
fn names(all: &[&str]) -> String {
    let mut shown: Vec<String> = all
        .iter()
        .take(NAMES_SHOWN)
        .map(|n| display_text::clipped(n, INLINE_CHARS).into_owned())
        .collect();
    if all.len() > NAMES_SHOWN {
        shown.push(format!("and {} more", all.len() - NAMES_SHOWN));
    }
    shown.join(", ")
}
