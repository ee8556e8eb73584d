//! The Course tab: start a course, follow its steps with snippets filled for this broker, and watch
//! the class's progress in the roster. It draws the engine's course snapshot and sends course commands.

mod address;
mod marks;
mod open;
mod roster;
mod status;
mod step_detail;
mod steps;
mod toolbar;

use std::path::Path;
use std::time::SystemTime;

use eframe::egui;

use super::file_dialog::FilePurpose;
use crate::engine::course::{
    CourseAccess, CourseCommand, CourseSnapshot, LearnerKey, Placeholders, fill_placeholders,
};
use crate::engine::display_text;
use crate::engine::{Command, Snapshot};

/// Course text with its placeholders filled in, or as written while the broker is stopped.
fn filled(text: &str, values: Option<&Placeholders>) -> String {
    match values {
        Some(values) => fill_placeholders(text, values),
        None => text.to_owned(),
    }
}

/// The two faces of an open course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CourseView {
    /// The steps and the chosen one's detail.
    #[default]
    Steps,
    /// The instructor's table of every learner.
    Roster,
}

/// What the panel asks of the app this frame.
#[derive(Default)]
pub struct CourseOutput {
    pub commands: Vec<Command>,
    pub files: Vec<FilePurpose>,
    /// "copied: …" for the Activity list.
    pub copied: Option<String>,
}

/// A destructive button waiting for its "yes".
#[derive(Debug, Clone, PartialEq)]
enum Confirm {
    /// Reset one learner's progress, or everyone's (`None`).
    Reset(Option<String>),
    Close,
}

/// The Course tab's state.
#[derive(Default)]
pub struct CoursePanel {
    view: CourseView,
    /// The step the user clicked; until then, the learner's current step.
    chosen_step: Option<usize>,
    /// Whose progress is shown: `Some` once the user picked (`Some(None)` is the whole class).
    chosen_learner: Option<Option<String>>,
    /// An open or a file was asked for and no answer came yet.
    waiting: bool,
    /// Why the last open was refused.
    problem: Option<String>,
    confirm: Option<Confirm>,
    roster: roster::Roster,
    address: address::SnippetAddress,
    /// The user name typed into "Your user name in these snippets" (a learner at their own laptop
    /// with sign-in off); empty: the stand-in.
    snippet_user: String,
    /// A fixed clock for "last activity" (pixel snapshots); the real one when `None`.
    fixed_now: Option<SystemTime>,
}

impl CoursePanel {
    /// Shows the steps or the roster.
    pub fn set_view(&mut self, view: CourseView) {
        self.view = view;
    }

    pub fn view(&self) -> CourseView {
        self.view
    }

    /// Shows this learner's progress (`None`: the whole class's).
    pub fn select_learner(&mut self, learner: Option<&str>) {
        self.chosen_learner = Some(learner.map(str::to_owned));
        self.chosen_step = None;
    }

    /// Shows this step's detail (from 0).
    pub fn select_step(&mut self, step: usize) {
        self.chosen_step = Some(step);
    }

    /// Counts "last activity" from this moment instead of the clock (for pixel snapshots).
    pub fn with_fixed_now(mut self, now: SystemTime) -> Self {
        self.fixed_now = Some(now);
        self
    }

    /// An open was sent from elsewhere (the `--course` flag): its refusal shows on the card.
    pub fn expect_answer(&mut self) {
        self.waiting = true;
        self.problem = None;
    }

    /// The engine refused a command; shown on the card when it answers an open from here.
    pub fn command_rejected(&mut self, why: &str) {
        if std::mem::take(&mut self.waiting) {
            self.problem = Some(display_text::escaped(why).into_owned());
        }
    }

    /// The course file was chosen.
    pub fn file_chosen(&mut self, path: &Path) -> Vec<Command> {
        self.expect_answer();
        vec![Command::Course(CourseCommand::Open(path.to_owned()))]
    }

    /// The file dialog was cancelled.
    pub fn file_cancelled(&mut self) {
        self.waiting = false;
    }

    /// The learner whose progress is shown (`None`: the whole class), as of `course`.
    pub fn shown_learner(&self, course: &CourseSnapshot) -> Option<String> {
        match &self.chosen_learner {
            Some(Some(name)) if course.learners.iter().any(|l| &l.learner == name) => {
                Some(name.clone())
            }
            Some(None) => None,
            // Nobody picked, or the one picked is gone (the course was closed, say): a learner
            // alone at their laptop sees their own ticks, a class is shown whole.
            _ if course.learners.len() == 1 => Some(course.learners[0].learner.clone()),
            _ => None,
        }
    }

    /// Draws the tab.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        course: &CourseAccess,
    ) -> CourseOutput {
        let mut out = CourseOutput::default();
        let state = course.snapshot();
        let Some(overview) = state.course.clone() else {
            self.confirm = None;
            match open::open_card_ui(ui, self.waiting, self.problem.as_deref()) {
                Some(open::OpenChoice::BuiltIn) => {
                    self.expect_answer();
                    out.commands
                        .push(Command::Course(CourseCommand::OpenBuiltIn));
                }
                Some(open::OpenChoice::File) => {
                    self.waiting = true;
                    self.problem = None;
                    out.files.push(FilePurpose::OpenCourse);
                }
                None => {}
            }
            return out;
        };
        if self.waiting || self.problem.is_some() {
            // A course is running now: whatever was asked for got its answer.
            self.waiting = false;
            self.problem = None;
            self.chosen_step = None;
        }
        let shown = self.shown_learner(&state);
        let learner = shown
            .as_deref()
            .and_then(|name| state.learners.iter().find(|l| l.learner == name));
        self.toolbar(ui, &state, &overview, shown.as_deref(), &mut out);
        let values = self.address.placeholders(
            snapshot,
            learner
                .filter(|l| l.key == LearnerKey::UserName)
                .map(|l| l.learner.as_str()),
            &self.snippet_user,
        );
        match self.view {
            CourseView::Roster => {
                let hint = values.as_ref().map(|v| format!("{}:{}", v.host, v.port));
                let now = self.fixed_now.unwrap_or_else(SystemTime::now);
                if let Some(picked) = self.roster.ui(
                    ui,
                    &state,
                    &overview,
                    shown.as_deref(),
                    hint.as_deref(),
                    now,
                ) {
                    // From "who is stuck" straight to what they are stuck on.
                    self.select_learner(Some(&picked));
                    self.view = CourseView::Steps;
                }
            }
            CourseView::Steps => {
                if overview.steps.is_empty() {
                    ui.label("This course has no steps.");
                    return out;
                }
                let last = overview.steps.len() - 1;
                let step = self
                    .chosen_step
                    .unwrap_or_else(|| match learner {
                        Some(l) => {
                            marks::current_step(l, overview.steps.len(), &state.skipped_for_all)
                        }
                        None => 0,
                    })
                    .min(last);
                // The list never takes more than about half the width: at projector zoom in a
                // small window the step's detail would otherwise be squeezed to one letter a line.
                let list_max = (ui.available_width() * 0.45).max(160.0);
                egui::Panel::left("course-step-list")
                    .frame(crate::ui::panel_frame::side(ui.style()))
                    .resizable(true)
                    .default_size(300.0_f32.min(list_max))
                    .max_size(list_max)
                    .show(ui, |ui| {
                        if !overview.description.is_empty() {
                            ui.add_space(4.0);
                            ui.weak(filled(&overview.description, values.as_ref()));
                            ui.add_space(4.0);
                        }
                        if let Some(clicked) = steps::steps_ui(ui, &overview, &state, learner, step)
                        {
                            self.chosen_step = Some(clicked);
                        }
                    });
                egui::ScrollArea::vertical()
                    .id_salt("course-step-detail")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        ui.add_space(4.0);
                        let detail = step_detail::detail_ui(
                            ui,
                            &state,
                            (step, overview.steps.len()),
                            &overview.steps[step],
                            learner,
                            values.as_ref(),
                            &mut self.snippet_user,
                        );
                        out.commands.extend(detail.command.map(Command::Course));
                        out.copied = detail.copied;
                    });
            }
        }
        out
    }
}
