//! The chosen step in full: its explanation, its snippets filled for this broker with a Copy button,
//! what the check looks for, where it stands, and Skip / Unskip.

use eframe::egui::{self, RichText};

use super::marks::Mark;
use super::status;
use crate::engine::course::{
    CourseCommand, CourseSnapshot, LearnerKey, LearnerProgress, Placeholders, StepInfo,
};
use crate::engine::display_text::{self, INLINE_CHARS};

/// What the detail asks for this frame.
#[derive(Default)]
pub struct DetailOutput {
    pub command: Option<CourseCommand>,
    /// "copied: …" for the Activity list.
    pub copied: Option<String>,
}

/// Draws step `index` of `of` steps.
pub fn detail_ui(
    ui: &mut egui::Ui,
    snapshot: &CourseSnapshot,
    (index, of): (usize, usize),
    step: &StepInfo,
    learner: Option<&LearnerProgress>,
    values: Option<&Placeholders>,
    typed_user: &mut String,
) -> DetailOutput {
    let mut out = DetailOutput::default();
    ui.heading(format!("Step {} of {of}: {}", index + 1, step.title));
    ui.add_space(4.0);
    match learner {
        Some(learner) => status::learner_status_ui(ui, learner, index, &snapshot.skipped_for_all),
        None => status::class_status_ui(ui, snapshot, index),
    }
    ui.add_space(8.0);
    let text = super::filled(&step.text, values);
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        ui.label(paragraph);
        ui.add_space(4.0);
    }
    if values.is_none() && !step.snippets.is_empty() {
        ui.weak("Start the broker to fill {host} and {port} in with its address.");
    }
    if learner.is_none_or(|l| l.key != LearnerKey::UserName)
        && step
            .snippets
            .iter()
            .any(|s| s.template.contains("{username}"))
        && values.is_some()
    {
        typed_user_ui(ui, typed_user);
    }
    for snippet in &step.snippets {
        let text = super::filled(&snippet.template, values);
        ui.add_space(4.0);
        let title = ui.horizontal(|ui| {
            let title = ui.strong(&snippet.label);
            if ui
                .small_button("Copy")
                .on_hover_text("Copy to the clipboard")
                .clicked()
            {
                ui.ctx().copy_text(text.clone());
                out.copied = Some(format!(
                    "copied: {} (step {}: {})",
                    snippet.label,
                    index + 1,
                    step.title
                ));
            }
            title.id
        });
        // A read-only text box: selectable like a terminal, but nothing to edit.
        let mut shown = text.as_str();
        ui.add(
            egui::TextEdit::multiline(&mut shown)
                .code_editor()
                .desired_rows(1)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(title.inner);
    }
    if !step.check_summary.is_empty() {
        ui.add_space(8.0);
        ui.label(RichText::new(format!("How it ticks: {}", step.check_summary)).italics());
    }
    ui.add_space(8.0);
    out.command = skip_button(ui, snapshot, index, learner);
    out
}

/// "Your user name in these snippets": a learner alone at their laptop (or the instructor trying a
/// step) types their own, so the snippets they copy make their progress theirs.
fn typed_user_ui(ui: &mut egui::Ui, typed_user: &mut String) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let label = ui.label("Your user name in these snippets:");
        let edit = ui
            .add(
                egui::TextEdit::singleline(typed_user)
                    .hint_text(super::address::STAND_IN_USER)
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
        if edit.changed() {
            *typed_user = super::address::cleaned_user_name(typed_user);
        }
    });
    ui.weak(
        "Each learner puts in their own (their account's, or any name of their own when sign-in is \
         off), so their progress is theirs.",
    );
}

/// Skip or Unskip, for the chosen learner or the whole class.
fn skip_button(
    ui: &mut egui::Ui,
    snapshot: &CourseSnapshot,
    step: usize,
    learner: Option<&LearnerProgress>,
) -> Option<CourseCommand> {
    let (skipped, whom, name) = match learner {
        // A skip for the whole class is taken back for the whole class, whoever is shown.
        Some(_) if snapshot.skipped_for_all.contains(&step) => {
            (true, "for the whole class".to_owned(), None)
        }
        Some(l) => (
            matches!(Mark::of(l, step, &[]), Mark::Skipped),
            format!("for {}", display_text::clipped(&l.learner, INLINE_CHARS)),
            Some(l.learner.clone()),
        ),
        None => (
            snapshot.skipped_for_all.contains(&step),
            "for the whole class".to_owned(),
            None,
        ),
    };
    let (label, hover) = if skipped {
        (format!("Unskip {whom}"), "Count this step again")
    } else {
        (
            format!("Skip this step {whom}"),
            "Mark it skipped: it no longer holds anyone up",
        )
    };
    let command = if skipped {
        CourseCommand::Unskip {
            learner: name,
            step,
        }
    } else {
        CourseCommand::Skip {
            learner: name,
            step,
        }
    };
    ui.button(label)
        .on_hover_text(hover)
        .clicked()
        .then_some(command)
}
