//! The class roster: one row per learner with a tick per step, sorted so whoever is stuck is on top.
//! Only the rows in view are laid out, so hundreds of learners stay cheap.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::marks::{Mark, clock_time, mark_icon};
use crate::engine::course::{
    CourseOverview, CourseSnapshot, LearnerKey, LearnerProgress, StepState,
};
use crate::engine::display_text::{self, HOVER_CHARS, INLINE_CHARS};
use crate::ui::format;
use crate::ui::widgets::GOOD;

/// The roster's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RosterSort {
    /// Fewest steps done first: who is stuck is on top.
    #[default]
    Progress,
    Name,
}

/// The roster's state: its order, worked out once per snapshot rather than every frame.
#[derive(Default)]
pub struct Roster {
    pub sort: RosterSort,
    order: Vec<usize>,
    /// The snapshot (its address and version) and sort `order` was made for.
    ordered_for: Option<(usize, u64, RosterSort)>,
}

impl Roster {
    /// Draws the roster; returns the learner whose row was clicked. `connect_hint` tells where
    /// learners connect (shown while nobody has); `now` is the clock "last activity" counts from.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Arc<CourseSnapshot>,
        course: &CourseOverview,
        selected: Option<&str>,
        connect_hint: Option<&str>,
        now: SystemTime,
    ) -> Option<String> {
        let learners = &snapshot.learners;
        ui.horizontal_wrapped(|ui| {
            let connected = learners.iter().filter(|l| l.connected).count();
            let stuck = learners
                .iter()
                .filter(|l| {
                    (0..course.steps.len())
                        .any(|i| Mark::of(l, i, &snapshot.skipped_for_all) == Mark::Missed)
                })
                .count();
            ui.label(format!(
                "{} learners · {connected} connected · {stuck} with a step tried and missed",
                learners.len()
            ));
            ui.separator();
            ui.label("Sort by");
            ui.selectable_value(&mut self.sort, RosterSort::Progress, "fewest done first");
            ui.selectable_value(&mut self.sort, RosterSort::Name, "name");
        });
        ui.separator();
        if learners.is_empty() {
            ui.add_space(12.0);
            ui.label(RichText::new("No learners yet — they appear when they connect.").strong());
            match connect_hint {
                Some(hint) => ui.label(format!(
                    "Learners connect to {hint} (the Connect-here card in the broker column has \
                     ready commands and code; each step's snippets carry the address too)."
                )),
                None => ui.label("Start the broker: learners connect to it."),
            };
            return None;
        }
        self.reorder(snapshot);
        let mut clicked = None;
        let mut repaint_in: Option<Duration> = None;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let steps = course.steps.len();
        let tick_width = 16.0;
        TableBuilder::new(ui)
            .id_salt("course-roster")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .auto_shrink([false, false])
            .column(Column::initial(180.0).at_least(90.0).clip(true))
            .column(Column::exact(24.0))
            .column(Column::initial((steps as f32 * tick_width + 8.0).max(60.0)).clip(true))
            .column(Column::initial(60.0))
            .column(Column::initial(100.0))
            .columns(Column::initial(70.0).at_least(50.0), 2)
            .header(row_height, |mut header| {
                for title in [
                    "Learner",
                    "",
                    "Steps",
                    "Done",
                    "Last activity",
                    "Msgs in",
                    "Msgs out",
                ] {
                    header.col(|ui| {
                        if title == "Steps" {
                            step_numbers_ui(ui, course, tick_width);
                        } else {
                            ui.strong(title);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, self.order.len(), |mut row| {
                    let Some(learner) = self.order.get(row.index()).and_then(|&i| learners.get(i))
                    else {
                        return;
                    };
                    let is_selected = selected == Some(learner.learner.as_str());
                    row.set_selected(is_selected);
                    row.col(|ui| {
                        if name_cell(ui, learner, is_selected).clicked() {
                            clicked = Some(learner.learner.clone());
                        }
                    });
                    row.col(|ui| {
                        let (dot, word) = if learner.connected {
                            ("●", "connected")
                        } else {
                            ("○", "not connected")
                        };
                        let mut text = RichText::new(dot).monospace();
                        if learner.connected {
                            text = text.color(GOOD);
                        }
                        ui.add(egui::Label::new(text).selectable(false))
                            .on_hover_text(word);
                    });
                    row.col(|ui| {
                        ticks_ui(ui, learner, course, &snapshot.skipped_for_all, tick_width);
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(format!("{}/{steps}", learner.done_count()))
                                .selectable(false),
                        );
                    });
                    row.col(|ui| {
                        let text = match learner.last_activity {
                            Some(at) => {
                                let ago = now.duration_since(at).unwrap_or_default();
                                let next = format::until_duration_changes(ago);
                                repaint_in = Some(repaint_in.map_or(next, |r| r.min(next)));
                                format!("{} ago", format::duration(ago))
                            }
                            None => "—".to_owned(),
                        };
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    for value in [learner.messages_in, learner.messages_out] {
                        row.col(|ui| {
                            ui.add(egui::Label::new(format::count(value)).selectable(false));
                        });
                    }
                    if row.response().clicked() {
                        clicked = Some(learner.learner.clone());
                    }
                });
            });
        // "12s ago" moves on while the roster is on screen, at most once a second; nothing asks
        // for frames once it is hidden, because only drawing it asks.
        if let Some(next) = repaint_in {
            ui.ctx()
                .request_repaint_after(next.min(Duration::from_secs(1)));
        }
        clicked
    }

    fn reorder(&mut self, snapshot: &Arc<CourseSnapshot>) {
        let key = (Arc::as_ptr(snapshot) as usize, snapshot.version, self.sort);
        if self.ordered_for == Some(key) && self.order.len() == snapshot.learners.len() {
            return;
        }
        let learners = &snapshot.learners;
        let mut order: Vec<usize> = (0..learners.len()).collect();
        match self.sort {
            RosterSort::Progress => order.sort_by(|&a, &b| {
                let (a, b) = (&learners[a], &learners[b]);
                a.done_count()
                    .cmp(&b.done_count())
                    .then_with(|| a.learner.cmp(&b.learner))
            }),
            RosterSort::Name => {
                order.sort_by(|&a, &b| learners[a].learner.cmp(&learners[b].learner))
            }
        }
        self.order = order;
        self.ordered_for = Some(key);
    }
}

/// The learner's name (escaped, cut), which selects them when clicked.
fn name_cell(ui: &mut egui::Ui, learner: &LearnerProgress, selected: bool) -> egui::Response {
    let shown = display_text::clipped(&learner.learner, INLINE_CHARS);
    let changed = shown != learner.learner;
    let known_by = match learner.key {
        LearnerKey::UserName => "user name",
        LearnerKey::ClientId => "client id",
        LearnerKey::Address => "address",
    };
    let clients: Vec<String> = learner
        .client_ids
        .iter()
        .rev()
        .take(5)
        .map(|id| display_text::clipped(id, INLINE_CHARS).into_owned())
        .collect();
    let mut hover = format!("Click to see their steps. Known by their {known_by}");
    if !clients.is_empty() {
        hover.push_str(&format!("; clients, latest first: {}", clients.join(", ")));
    }
    if changed {
        hover = format!(
            "{}\n{hover}",
            display_text::clipped(&learner.learner, HOVER_CHARS)
        );
    }
    ui.selectable_label(selected, shown.as_ref())
        .on_hover_text(hover)
}

/// One small mark per step; hovering (or a screen reader) names the step and its state.
fn ticks_ui(
    ui: &mut egui::Ui,
    learner: &LearnerProgress,
    course: &CourseOverview,
    skipped_for_all: &[usize],
    width: f32,
) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for (index, step) in course.steps.iter().enumerate() {
            let mark = Mark::of(learner, index, skipped_for_all);
            // What the instructor wants on hover: who did it and when, or what went wrong.
            let detail = match (mark, learner.steps.get(index)) {
                (Mark::Done, Some(StepState::Done { client_id, at })) => format!(
                    " by client \"{}\" at {}",
                    display_text::clipped(client_id, INLINE_CHARS),
                    clock_time(*at)
                ),
                (Mark::Missed, Some(StepState::Missed { hint, .. })) => {
                    format!(" ({})", display_text::clipped(hint, HOVER_CHARS))
                }
                _ => String::new(),
            };
            mark_icon(
                ui,
                mark,
                width,
                &format!("{}. {}: {}{detail}", index + 1, step.title, mark.word()),
            );
        }
    });
}

/// The Steps column's header: each step's number above its marks, its title on hover.
fn step_numbers_ui(ui: &mut egui::Ui, course: &CourseOverview, width: f32) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for (index, step) in course.steps.iter().enumerate() {
            let (rect, response) = ui.allocate_exact_size(
                egui::vec2(width, ui.spacing().interact_size.y),
                egui::Sense::hover(),
            );
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                (index + 1).to_string(),
                egui::FontId::monospace(width * 0.6),
                ui.visuals().strong_text_color(),
            );
            response.on_hover_text(format!("Step {}: {}", index + 1, step.title));
        }
    });
}
