//! The activity list: a bounded, newest-last record of what the engine reported, in words.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use eframe::egui;

use crate::engine::Event;
use crate::engine::fleet::FleetSnapshot;

use super::device_activity::{DeviceActivity, Shown, Tone as SummaryTone};
use crate::engine::display_text::{self, HOVER_CHARS};

/// How many lines the list keeps; older ones are dropped.
pub const ACTIVITY_LINES: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tone {
    Normal,
    Good,
    Warning,
}

struct Line {
    at: Instant,
    /// One line: client text in it is escaped and cut (see [`display_text`]).
    text: String,
    /// The line with longer client ids, shown on hover when it says more than `text`.
    full: Option<String>,
    tone: Tone,
}

/// What happened, for the bottom of the window.
pub struct Activity {
    lines: VecDeque<Line>,
    started: Instant,
    /// Folds the app's own devices' connects into a line per group.
    devices: DeviceActivity,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            lines: VecDeque::with_capacity(64),
            started: Instant::now(),
            devices: DeviceActivity::default(),
        }
    }
}

impl Activity {
    pub fn record(&mut self, event: &Event) {
        let tone = match event {
            Event::BrokerStarted { .. }
            | Event::ClientConnected { .. }
            | Event::FleetChanged(_)
            | Event::MonitorChanged(_) => Tone::Good,
            Event::BrokerFailed(_)
            | Event::CommandRejected(_)
            | Event::MonitorProblem(_)
            | Event::ClientRefused { .. }
            | Event::ConnectionRejected { .. }
            | Event::ConnectionsOverCap { .. }
            | Event::WrongPasswords { .. }
            | Event::BrokerProblem(_) => Tone::Warning,
            Event::ClientDisconnected { clean: false, .. } => Tone::Warning,
            _ => Tone::Normal,
        };
        let text = event.describe();
        let full = Some(event.describe_within(HOVER_CHARS)).filter(|full| *full != text);
        self.push_line(text, full, tone);
    }

    /// Records a frame's events (oldest first), the app's own devices' connects summarised per group;
    /// returns when to look again for a summary still being gathered.
    pub fn record_all(&mut self, events: Vec<Event>, fleet: &FleetSnapshot) -> Option<Duration> {
        let (shown, again) = self.devices.sort(events, fleet, Instant::now());
        for line in shown {
            match line {
                Shown::Event(event) => self.record(&event),
                Shown::Summary { text, tone } => self.push(
                    text,
                    tone == SummaryTone::Warning,
                    tone == SummaryTone::Good,
                ),
            }
        }
        again
    }

    /// The lines' text, oldest first (for tests).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|line| line.text.as_str())
    }

    /// Adds a line the window itself wants to say (a failed copy, a refused command).
    pub fn note(&mut self, text: String) {
        self.push(text, true, false);
    }

    /// Adds a line saying something worked (a scenario opened, a file saved).
    pub fn note_good(&mut self, text: String) {
        self.push(text, false, true);
    }

    fn push(&mut self, text: String, warning: bool, good: bool) {
        let tone = if warning {
            Tone::Warning
        } else if good {
            Tone::Good
        } else {
            Tone::Normal
        };
        // The window's own notes may quote file names and topics: one line each, too.
        let text = display_text::escaped(&text).into_owned();
        self.push_line(text, None, tone);
    }

    fn push_line(&mut self, text: String, full: Option<String>, tone: Tone) {
        if self.lines.len() == ACTIVITY_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(Line {
            at: Instant::now(),
            text,
            full,
            tone,
        });
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong("Activity");
            if ui.small_button("Clear").clicked() {
                self.lines.clear();
            }
        });
        let row_height = ui.text_style_height(&egui::TextStyle::Body);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show_rows(ui, row_height, self.lines.len(), |ui, range| {
                for line in self.lines.range(range) {
                    let elapsed = line.at.saturating_duration_since(self.started);
                    let color = match line.tone {
                        Tone::Normal => ui.visuals().text_color(),
                        Tone::Good => ui.visuals().widgets.active.fg_stroke.color,
                        Tone::Warning => ui.visuals().warn_fg_color,
                    };
                    ui.horizontal(|ui| {
                        ui.weak(format!("+{}", super::format::duration(elapsed)));
                        // Cut at the strip's width (the whole line on hover), never wrapped.
                        let shown = ui.add(
                            egui::Label::new(egui::RichText::new(&line.text).color(color))
                                .truncate(),
                        );
                        if let Some(full) = &line.full {
                            shown.on_hover_text(full);
                        }
                    });
                }
            });
    }
}
