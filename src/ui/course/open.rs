//! The Course tab with no course open: what a course is, and the two ways to start one.

use eframe::egui::{self, RichText};

use crate::engine::course::BUILT_IN_COURSE_NAME;
use crate::ui::widgets::WARN;

/// What the card asks for this frame.
pub enum OpenChoice {
    BuiltIn,
    File,
}

/// Draws the card; `waiting` while an open is on its way, `problem` the last refusal in words.
pub fn open_card_ui(ui: &mut egui::Ui, waiting: bool, problem: Option<&str>) -> Option<OpenChoice> {
    let mut choice = None;
    ui.add_space(12.0);
    egui::Frame::group(ui.style())
        .inner_margin(16.0)
        .show(ui, |ui| {
            ui.set_max_width(640.0);
            ui.heading("Follow a course");
            ui.add_space(4.0);
            ui.label(
                "A course is a list of small MQTT exercises: connect a client, subscribe with a \
                 wildcard, publish at QoS 1, leave a last will… Each step explains itself, gives a \
                 command to copy (filled with this broker's address), and ticks itself off when \
                 the broker sees a learner do it, in any order. A wrong attempt gets a hint.",
            );
            ui.add_space(4.0);
            ui.label(
                "With learners connected, the roster shows who has done what, so whoever is \
                 stuck is at the top.",
            );
            ui.add_space(10.0);
            let built_in = format!("Start the built-in course “{BUILT_IN_COURSE_NAME}”");
            if ui
                .add_enabled(
                    !waiting,
                    egui::Button::new(RichText::new(built_in).strong()),
                )
                .on_hover_text("Twelve steps from a first connection to MQTT 5 properties")
                .clicked()
            {
                choice = Some(OpenChoice::BuiltIn);
            }
            ui.add_space(4.0);
            if ui
                .add_enabled(!waiting, egui::Button::new("Open a course file…"))
                .on_hover_text("A course written in TOML (see the README's \"Course files\")")
                .clicked()
            {
                choice = Some(OpenChoice::File);
            }
            if waiting {
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Opening the course…");
                });
            }
            if let Some(problem) = problem {
                ui.add_space(6.0);
                ui.label(
                    RichText::new(format!("The course could not be opened: {problem}")).color(WARN),
                );
            }
        });
    choice
}
