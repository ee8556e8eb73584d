//! The Plots tab: broker messages/s in and out (last minute or ten), the top senders per topic or per
//! client, and value plots of numbers inside payloads, several series on one time axis.

use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, LineStyle, Plot, PlotPoint, Text};

use crate::engine::monitor::LogAccess;
use crate::engine::watch::TopicTree;
use crate::engine::{Command, Snapshot};

mod drawn_series;
mod values;

use drawn_series::DrawnSeries;
pub use values::ValueWindow;

use super::format;

/// How often the per-topic ranking walks the topic tree (rates change once a second anyway).
const RANKING_EVERY: Duration = Duration::from_secs(1);
const TRAFFIC_IN: Color32 = Color32::from_rgb(0x2a, 0x7a, 0xd8);
const TRAFFIC_OUT: Color32 = Color32::from_rgb(0xe0, 0x7b, 0x1a);
const PLOT_HEIGHT: f32 = 220.0;

/// How much broker traffic history the first plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficWindow {
    Minute,
    TenMinutes,
}

impl TrafficWindow {
    fn seconds(self) -> usize {
        match self {
            Self::Minute => 60,
            Self::TenMinutes => 600,
        }
    }
}

/// Who the ranking ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankBy {
    Topic,
    Client,
}

/// The Plots tab's state.
pub struct PlotsPanel {
    traffic_window: TrafficWindow,
    rank_by: RankBy,
    top_n: usize,
    ranking: Vec<(String, u64)>,
    ranked_at: Option<Instant>,
    ranked_version: Option<u64>,
    ranking_dirty: bool,
    new_filter: String,
    new_field: String,
    form_error: Option<String>,
    paused: bool,
    window: ValueWindow,
    /// How many topics a wildcard series draws a line for (the ones that appeared most recently).
    pub topics_shown: usize,
    drawn: Vec<DrawnSeries>,
}

impl Default for PlotsPanel {
    fn default() -> Self {
        Self {
            traffic_window: TrafficWindow::Minute,
            rank_by: RankBy::Topic,
            top_n: 5,
            ranking: Vec::new(),
            ranked_at: None,
            ranked_version: None,
            ranking_dirty: true,
            new_filter: String::new(),
            new_field: String::new(),
            form_error: None,
            paused: false,
            window: ValueWindow::Minute,
            topics_shown: 10,
            drawn: Vec::new(),
        }
    }
}

impl PlotsPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, log: &LogAccess) -> Vec<Command> {
        let mut commands = Vec::new();
        self.refresh_ranking(ui, snapshot, log);
        if !self.paused {
            log.read(|store| self.refresh_series(store));
        }
        egui::ScrollArea::vertical()
            .id_salt("plots_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.columns(2, |columns| {
                    if let [left, right] = columns {
                        self.traffic_ui(left, snapshot);
                        self.ranking_ui(right);
                    }
                });
                ui.add_space(8.0);
                ui.separator();
                self.values_ui(ui, &mut commands);
            });
        commands
    }

    fn traffic_ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) {
        ui.horizontal(|ui| {
            ui.strong("Broker messages/s");
            ui.selectable_value(&mut self.traffic_window, TrafficWindow::Minute, "60 s");
            ui.selectable_value(
                &mut self.traffic_window,
                TrafficWindow::TenMinutes,
                "10 min",
            );
        });
        ui.label(format!(
            "now: {} in · {} out",
            format::count(snapshot.messages_in_per_s),
            format::count(snapshot.messages_out_per_s)
        ));
        let seconds = self.traffic_window.seconds();
        let line = |history: &[u64]| -> Vec<[f64; 2]> {
            let shown = &history[history.len().saturating_sub(seconds)..];
            let newest = shown.len() as f64 - 1.0;
            shown
                .iter()
                .enumerate()
                .map(|(i, &v)| [i as f64 - newest, v as f64])
                .collect()
        };
        let incoming = line(&snapshot.history_in);
        let outgoing = line(&snapshot.history_out);
        // The engine does not wake the window for the history's shift alone: while this plot is on
        // screen and has traffic on it, it moves on once a second by itself.
        if incoming.iter().chain(&outgoing).any(|p| p[1] > 0.0) {
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        // Headroom above the highest value keeps the legend off the lines.
        let highest = incoming
            .iter()
            .chain(&outgoing)
            .map(|p| p[1])
            .fold(5.0, f64::max);
        Plot::new("broker_traffic")
            .height(PLOT_HEIGHT)
            .legend(Legend::default())
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .include_x(-(seconds as f64 - 1.0))
            .include_x(0.0)
            .include_y(0.0)
            .include_y(highest * 1.5)
            .x_axis_label("seconds ago")
            .x_axis_formatter(|mark, _| format!("{}", -mark.value + 0.0))
            .show(ui, |plot| {
                // When every message goes to exactly one subscriber the two lines coincide: "in" is
                // drawn wide and "out" dashed and thin on top of it, so both stay visible.
                plot.line(
                    Line::new("in (published to the broker)", incoming)
                        .color(TRAFFIC_IN)
                        .width(4.0),
                );
                plot.line(
                    Line::new("out (delivered to subscribers)", outgoing)
                        .color(TRAFFIC_OUT)
                        .width(1.5)
                        .style(LineStyle::Dashed { length: 6.0 }),
                );
            });
    }

    fn refresh_ranking(&mut self, ui: &egui::Ui, snapshot: &Snapshot, log: &LogAccess) {
        let version = snapshot.monitor.log_version;
        let stale = self.ranking_dirty
            || self.rank_by == RankBy::Client
            || (self.ranked_version != Some(version)
                && self
                    .ranked_at
                    .is_none_or(|at| at.elapsed() >= RANKING_EVERY));
        if !stale {
            if self.ranked_version != Some(version) {
                ui.ctx().request_repaint_after(RANKING_EVERY);
            }
            return;
        }
        self.ranking = match self.rank_by {
            RankBy::Topic => log.read(|store| top_topics(&store.tree, self.top_n)),
            RankBy::Client => {
                let mut clients: Vec<(String, u64)> = snapshot
                    .clients
                    .iter()
                    .filter(|c| c.messages_in_per_s > 0)
                    .map(|c| {
                        let id = if c.client_id.is_empty() {
                            "(no client id)".to_owned()
                        } else {
                            c.client_id.to_string()
                        };
                        (id, c.messages_in_per_s)
                    })
                    .collect();
                clients.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                clients.truncate(self.top_n);
                clients
            }
        };
        self.ranked_version = Some(version);
        self.ranked_at = Some(Instant::now());
        self.ranking_dirty = false;
    }

    fn ranking_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong("Who sends the most");
            let before = (self.rank_by, self.top_n);
            ui.selectable_value(&mut self.rank_by, RankBy::Topic, "per topic");
            ui.selectable_value(&mut self.rank_by, RankBy::Client, "per client");
            let label = ui.label("top");
            ui.add(egui::DragValue::new(&mut self.top_n).range(1..=20))
                .labelled_by(label.id);
            if before != (self.rank_by, self.top_n) {
                self.ranking_dirty = true;
            }
        });
        ui.label(match self.rank_by {
            RankBy::Topic => "messages/s on each topic, last second",
            RankBy::Client => "messages/s each client published, last second",
        });
        if self.ranking.is_empty() {
            ui.add_space(PLOT_HEIGHT / 3.0);
            ui.vertical_centered(|ui| {
                ui.weak("Nothing was published in the last second.");
            });
            ui.add_space(PLOT_HEIGHT / 2.0);
            return;
        }
        let count = self.ranking.len();
        let top = self
            .ranking
            .first()
            .map_or(1.0, |(_, r)| *r as f64)
            .max(1.0);
        // Highest at the top: bar i sits at height count - 1 - i.
        let bars: Vec<Bar> = self
            .ranking
            .iter()
            .enumerate()
            .map(|(i, (name, rate))| {
                Bar::new((count - 1 - i) as f64, *rate as f64)
                    .name(name)
                    .width(0.7)
            })
            .collect();
        let labels: Vec<Text> = self
            .ranking
            .iter()
            .enumerate()
            .map(|(i, (name, rate))| {
                // Written over the bar from its start, so long topics are never pushed off the plot.
                Text::new(
                    format!("rank {i}"),
                    PlotPoint::new(top * 0.01, (count - 1 - i) as f64),
                    RichText::new(format!(
                        "  {}  {}/s",
                        shorten(&crate::engine::display_text::escaped(name), 40),
                        format::count(*rate)
                    ))
                    .size(14.0),
                )
                .anchor(egui::Align2::LEFT_CENTER)
                .color(ui.visuals().text_color())
            })
            .collect();
        Plot::new("top_senders")
            .height(PLOT_HEIGHT)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .show_axes([true, false])
            .show_grid([true, false])
            .include_x(0.0)
            .include_x(top * 1.15)
            .include_y(-0.6)
            .include_y(count as f64 - 0.4)
            .x_axis_label("messages/s")
            .show(ui, |plot| {
                plot.bar_chart(
                    BarChart::new("messages/s", bars)
                        .horizontal()
                        .color(TRAFFIC_IN),
                );
                for label in labels {
                    plot.text(label);
                }
            });
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let tail: Vec<char> = text.chars().rev().take(max_chars - 1).collect();
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

/// The `n` topics with the most messages in the last second (one walk over the tree).
fn top_topics(tree: &TopicTree, n: usize) -> Vec<(String, u64)> {
    let mut found: Vec<(String, u64)> = Vec::new();
    let mut pending = vec![tree.root()];
    while let Some(id) = pending.pop() {
        let Some(node) = tree.node(id) else { continue };
        // A subtree with no traffic last second has no busy topic inside.
        if node.subtree_rate() == 0 && id != tree.root() {
            continue;
        }
        if node.own_rate() > 0 {
            found.push((tree.topic(id), u64::from(node.own_rate())));
        }
        pending.extend(node.children().iter().copied());
    }
    if let Some(node) = tree.overflow_bucket().and_then(|id| tree.node(id))
        && node.own_rate() > 0
    {
        found.push((node.name().to_owned(), u64::from(node.own_rate())));
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(n);
    found
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn the_ranking_lists_the_busiest_topics_first() {
        let mut tree = TopicTree::default();
        let now = SystemTime::now();
        for (topic, count) in [("a/x", 5), ("a/y", 9), ("b", 2)] {
            for _ in 0..count {
                tree.record(topic, "1", 1, false, now);
            }
        }
        tree.close_second();
        assert_eq!(
            top_topics(&tree, 2),
            vec![("a/y".to_owned(), 9), ("a/x".to_owned(), 5)]
        );
    }

    #[test]
    fn series_form_checks_filter_and_field() {
        let mut panel = PlotsPanel {
            new_filter: "a/#/b".into(),
            ..PlotsPanel::default()
        };
        assert!(panel.checked_series().is_err());
        panel.new_filter = "sensors/+/t".into();
        panel.new_field = "values[".into();
        assert!(panel.checked_series().is_err());
        panel.new_field = " temperature ".into();
        assert_eq!(
            panel.checked_series(),
            Ok(("sensors/+/t".to_owned(), Some("temperature".to_owned())))
        );
    }

    #[test]
    fn long_names_keep_their_end() {
        assert_eq!(shorten("abcdef", 4), "…def");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
