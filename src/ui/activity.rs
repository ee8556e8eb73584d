//! The activity list: a bounded, newest-last record of what the engine reported, in words.

use std::collections::VecDeque;
use std::time::Instant;

use eframe::egui;

use crate::engine::Event;

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
    text: String,
    tone: Tone,
}

/// What happened, for the bottom of the window.
pub struct Activity {
    lines: VecDeque<Line>,
    started: Instant,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            lines: VecDeque::with_capacity(64),
            started: Instant::now(),
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
            | Event::BrokerProblem(_) => Tone::Warning,
            Event::ClientDisconnected { clean: false, .. } => Tone::Warning,
            _ => Tone::Normal,
        };
        self.push(event.describe(), tone == Tone::Warning, tone == Tone::Good);
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
        if self.lines.len() == ACTIVITY_LINES {
            self.lines.pop_front();
        }
        let tone = if warning {
            Tone::Warning
        } else if good {
            Tone::Good
        } else {
            Tone::Normal
        };
        self.lines.push_back(Line {
            at: Instant::now(),
            text,
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
                        ui.colored_label(color, &line.text);
                    });
                }
            });
    }
}
