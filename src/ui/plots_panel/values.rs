//! The value plots: the form that adds a series, the list of series, and one plot of all their lines.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Legend, Line, Plot};

use crate::engine::Command;
use crate::engine::monitor::{LogStore, MAX_TOPICS_PER_SERIES, MonitorCommand};
use crate::engine::watch::{TopicFilter, ValueSource};
use crate::ui::format;
use crate::ui::widgets::{WARN, labelled_field};

use super::drawn_series::{DrawnSeries, line_color};
use super::{PLOT_HEIGHT, PlotsPanel};

/// How much of the value series the value plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueWindow {
    Minute,
    TenMinutes,
    All,
}

impl ValueWindow {
    fn seconds(self) -> Option<f64> {
        match self {
            Self::Minute => Some(60.0),
            Self::TenMinutes => Some(600.0),
            Self::All => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Minute => "1 min",
            Self::TenMinutes => "10 min",
            Self::All => "all",
        }
    }
}

impl PlotsPanel {
    /// Brings the drawn copy in line with the store: usually only the points added since the last
    /// look are copied (the store bounds each series' points); anything else copies the series again.
    pub(super) fn refresh_series(&mut self, store: &LogStore) {
        let same_series = self.drawn.len() == store.series.len()
            && self
                .drawn
                .iter()
                .zip(&store.series)
                .all(|(drawn, series)| drawn.id == series.id);
        if !same_series {
            self.drawn = store.series.iter().map(DrawnSeries::of).collect();
            return;
        }
        for (drawn, series) in self.drawn.iter_mut().zip(&store.series) {
            drawn.follow(series);
        }
    }

    pub(super) fn values_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.strong("Values over time");
        ui.label(
            "Plot the number in each payload on a topic, or a numeric field inside JSON payloads.",
        );
        let mut add = false;
        ui.horizontal_wrapped(|ui| {
            let filter = labelled_field(
                ui,
                "Series topic",
                &mut self.new_filter,
                "e.g. sensors/+/temperature",
                200.0,
            );
            let field = labelled_field(
                ui,
                "JSON field (optional)",
                &mut self.new_field,
                "e.g. temperature or values[0]",
                170.0,
            );
            if filter.changed() || field.changed() {
                self.form_error = None;
            }
            if (filter.lost_focus() || field.lost_focus())
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
            {
                add = true;
            }
            add |= ui.button("Add series").clicked();
        });
        if add {
            match self.checked_series() {
                Ok((filter, field)) => {
                    commands.push(Command::Monitor(MonitorCommand::AddSeries {
                        filter,
                        field,
                    }));
                    self.new_filter.clear();
                    self.new_field.clear();
                }
                Err(err) => self.form_error = Some(err),
            }
        }
        if let Some(err) = &self.form_error {
            ui.label(RichText::new(err).color(WARN));
        }
        ui.horizontal(|ui| {
            let pause = if self.paused { "Resume" } else { "Pause" };
            if ui
                .button(pause)
                .on_hover_text("Freeze the drawing; values keep being collected")
                .clicked()
            {
                self.paused = !self.paused;
            }
            if ui.button("Clear all series").clicked() {
                commands.push(Command::Monitor(MonitorCommand::ClearSeries));
                self.drawn.clear();
            }
            ui.separator();
            ui.label("Show the last");
            for window in [
                ValueWindow::Minute,
                ValueWindow::TenMinutes,
                ValueWindow::All,
            ] {
                ui.selectable_value(&mut self.window, window, window.label());
            }
            if self.paused {
                ui.label(RichText::new("Paused").color(WARN));
            }
        });
        let any_wildcard = self.drawn.iter().any(|s| s.per_topic);
        if any_wildcard {
            ui.horizontal(|ui| {
                let label = ui.label("Lines per wildcard series");
                ui.add(
                    egui::DragValue::new(&mut self.topics_shown).range(1..=MAX_TOPICS_PER_SERIES),
                )
                .labelled_by(label.id)
                .on_hover_text(
                    "A filter with + or # matches many topics: each gets a line of its own, \
                         for this many of the topics that appeared most recently",
                );
            });
        }
        // Each shown line gets the next colour, so the list's swatches match the plot's lines.
        let mut next_color = 0;
        let colors: Vec<usize> = self
            .drawn
            .iter()
            .map(|series| {
                let first = next_color;
                next_color += series.shown_lines(self.topics_shown).len().max(1);
                first
            })
            .collect();
        let mut remove = None;
        for (series, &first_color) in self.drawn.iter().zip(&colors) {
            ui.horizontal(|ui| {
                let shown = series.shown_lines(self.topics_shown).len().max(1);
                for color in (first_color..first_color + shown).take(5).map(line_color) {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 2.0, color);
                }
                ui.monospace(&series.name);
                let mut counts = format!("{} points", format::count(series.point_count() as u64));
                if series.per_topic {
                    let topics = series.lines.len();
                    let noun = if topics == 1 { "topic" } else { "topics" };
                    counts.push_str(&format!(" · {topics} {noun}"));
                    if topics > shown {
                        counts.push_str(&format!(" (the newest {shown} drawn)"));
                    }
                }
                ui.weak(counts);
                if ui
                    .small_button("Remove")
                    .on_hover_text(format!("Stop plotting {}", series.name))
                    .clicked()
                {
                    remove = Some(series.id);
                }
                if series.not_numeric > 0 {
                    let problem = series
                        .last_problem
                        .as_deref()
                        .unwrap_or("the value was not a number");
                    ui.label(
                        RichText::new(format!(
                            "{} skipped: {problem}",
                            format::count(series.not_numeric)
                        ))
                        .color(WARN),
                    );
                }
            });
        }
        if let Some(id) = remove {
            commands.push(Command::Monitor(MonitorCommand::RemoveSeries { id }));
            self.drawn.retain(|s| s.id != id);
        }
        if self.drawn.is_empty() {
            ui.add_space(8.0);
            ui.weak("No series yet: type a topic above (and a JSON field if the payloads are JSON), then Add series.");
            return;
        }
        // Time runs up to the newest value, so a paused or quiet plot stays put.
        let newest = self
            .drawn
            .iter()
            .flat_map(|s| s.shown_lines(self.topics_shown))
            .filter_map(|line| line.points.last().map(|p| p[0]))
            .fold(f64::NEG_INFINITY, f64::max);
        let from = self.window.seconds().map(|w| -w);
        let mut lines: Vec<(String, Color32, Vec<[f64; 2]>)> = Vec::new();
        for (series, &first_color) in self.drawn.iter().zip(&colors) {
            for (offset, line) in series.shown_lines(self.topics_shown).iter().enumerate() {
                let points = line
                    .points
                    .iter()
                    .map(|p| [p[0] - newest, p[1]])
                    .filter(|p| from.is_none_or(|from| p[0] >= from))
                    .collect();
                lines.push((
                    series.line_name(line),
                    line_color(first_color + offset),
                    points,
                ));
            }
        }
        let mut plot = Plot::new("value_series")
            .height(PLOT_HEIGHT + 60.0)
            .legend(Legend::default())
            .allow_scroll(false)
            .include_x(0.0)
            .x_axis_label("seconds before the newest value")
            .x_axis_formatter(|mark, _| format!("{}", -mark.value + 0.0));
        if let Some(from) = from {
            plot = plot.include_x(from);
        }
        plot.show(ui, |plot| {
            for (name, color, points) in lines {
                plot.line(Line::new(name, points).color(color).width(2.0));
            }
        });
    }

    pub(super) fn checked_series(&self) -> Result<(String, Option<String>), String> {
        let filter = TopicFilter::parse(self.new_filter.trim()).map_err(|e| e.to_string())?;
        let field = self.new_field.trim();
        ValueSource::from_field_text(field).map_err(|e| e.to_string())?;
        Ok((
            filter.as_str().to_owned(),
            (!field.is_empty()).then(|| field.to_owned()),
        ))
    }
}
