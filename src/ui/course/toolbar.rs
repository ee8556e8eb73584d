//! The Course tab's toolbar: the course's title, Steps or roster, whose progress is shown, and Reset
//! and Close behind a confirm.

use std::sync::Arc;

use eframe::egui::{self, RichText};

use super::{Confirm, CourseOutput, CoursePanel, CourseView};
use crate::engine::Command;
use crate::engine::course::{CourseCommand, CourseOverview, CourseSnapshot};
use crate::engine::display_text::{self, INLINE_CHARS};
use crate::ui::widgets::WARN;

impl CoursePanel {
    /// Title, Steps/Roster, whose progress, Reset and Close (each with a confirm).
    pub(super) fn toolbar(
        &mut self,
        ui: &mut egui::Ui,
        state: &Arc<CourseSnapshot>,
        overview: &CourseOverview,
        shown: Option<&str>,
        out: &mut CourseOutput,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.heading(&overview.title).on_hover_text(format!(
                "{}\n\nFrom: {}",
                overview.description, overview.source
            ));
            ui.separator();
            ui.selectable_value(&mut self.view, CourseView::Steps, "Steps");
            ui.selectable_value(&mut self.view, CourseView::Roster, "Class roster");
            ui.separator();
            self.learner_picker(ui, state, shown);
            ui.separator();
            let reset = match shown {
                Some(name) => format!(
                    "Reset {}'s progress…",
                    display_text::clipped(name, INLINE_CHARS)
                ),
                None => "Reset everyone's progress…".to_owned(),
            };
            if ui.button(reset).clicked() {
                self.confirm = Some(Confirm::Reset(shown.map(str::to_owned)));
            }
            if ui.button("Close course…").clicked() {
                self.confirm = Some(Confirm::Close);
            }
        });
        if let Some(confirm) = self.confirm.clone() {
            ui.horizontal_wrapped(|ui| {
                let (question, yes, command) = match &confirm {
                    Confirm::Reset(Some(name)) => (
                        format!(
                            "Forget every step {} has done or skipped?",
                            display_text::clipped(name, INLINE_CHARS)
                        ),
                        "Yes, reset",
                        CourseCommand::Reset {
                            learner: Some(name.clone()),
                        },
                    ),
                    Confirm::Reset(None) => (
                        "Forget every learner's progress?".to_owned(),
                        "Yes, reset everyone",
                        CourseCommand::Reset { learner: None },
                    ),
                    Confirm::Close => (
                        "Close the course? Everyone's progress is forgotten.".to_owned(),
                        "Yes, close",
                        CourseCommand::Close,
                    ),
                };
                ui.label(RichText::new(question).color(WARN).strong());
                if ui.button(yes).clicked() {
                    out.commands.push(Command::Course(command));
                    self.confirm = None;
                    self.chosen_step = None;
                }
                if ui.button("Cancel").clicked() {
                    self.confirm = None;
                }
            });
        }
        ui.separator();
    }

    /// "Progress of: Whole class / student01 / …"; only the rows in view are laid out when open.
    fn learner_picker(&mut self, ui: &mut egui::Ui, state: &CourseSnapshot, shown: Option<&str>) {
        let label = ui.label("Progress of");
        let selected_text = match shown {
            Some(name) => display_text::clipped(name, 40).into_owned(),
            None => "Whole class".to_owned(),
        };
        let mut picked: Option<Option<String>> = None;
        egui::ComboBox::from_id_salt("course-learner")
            .selected_text(selected_text)
            .height(400.0)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(shown.is_none(), "Whole class")
                    .clicked()
                {
                    picked = Some(None);
                }
                let row_height = ui.text_style_height(&egui::TextStyle::Button) + 4.0;
                egui::ScrollArea::vertical()
                    .id_salt("course-learner-rows")
                    .max_height(360.0)
                    .show_rows(ui, row_height, state.learners.len(), |ui, rows| {
                        for learner in &state.learners[rows] {
                            let on = shown == Some(learner.learner.as_str());
                            let text = format!(
                                "{}  ({}/{})",
                                display_text::clipped(&learner.learner, INLINE_CHARS),
                                learner.done_count(),
                                learner.steps.len()
                            );
                            if ui.selectable_label(on, text).clicked() {
                                picked = Some(Some(learner.learner.clone()));
                            }
                        }
                    });
            })
            .response
            .labelled_by(label.id);
        if let Some(choice) = picked {
            self.select_learner(choice.as_deref());
        }
    }
}
