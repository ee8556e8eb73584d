//! The value series as drawn: one line per topic, copied out of the store only where it changed.

use std::sync::Arc;

use eframe::egui::Color32;

use crate::engine::monitor::{Series, SeriesId, SeriesLine};

/// Line colours, distinct on light and dark backgrounds; after the last, hues spread around the wheel.
const LINE_COLORS: [Color32; 8] = [
    Color32::from_rgb(0x2a, 0x7a, 0xd8),
    Color32::from_rgb(0xe0, 0x7b, 0x1a),
    Color32::from_rgb(0x2e, 0x9d, 0x4a),
    Color32::from_rgb(0xc8, 0x3a, 0x3a),
    Color32::from_rgb(0x8e, 0x5c, 0xc8),
    Color32::from_rgb(0x16, 0x9c, 0xa8),
    Color32::from_rgb(0xc0, 0x4c, 0x9c),
    Color32::from_rgb(0x8a, 0x8a, 0x2a),
];

/// The colour of the `index`-th line drawn.
pub(super) fn line_color(index: usize) -> Color32 {
    match LINE_COLORS.get(index) {
        Some(color) => *color,
        None => {
            // Golden-ratio hue steps keep neighbouring lines apart however many there are.
            let hue = (index as f32 * 0.618_034).fract();
            eframe::egui::ecolor::Hsva::new(hue, 0.75, 0.8, 1.0).into()
        }
    }
}

/// One topic's line as drawn.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DrawnLine {
    pub(super) topic: Arc<str>,
    /// (seconds since the Unix epoch, value), oldest first.
    pub(super) points: Vec<[f64; 2]>,
}

impl DrawnLine {
    fn of(line: &SeriesLine) -> Self {
        Self {
            topic: line.topic.clone(),
            points: line.points.iter().map(|&(t, v)| [t, v]).collect(),
        }
    }

    fn matches(&self, line: &SeriesLine) -> bool {
        let ends = |p: Option<&[f64; 2]>| p.map(|p| (p[0], p[1]));
        self.points.len() == line.points.len()
            && ends(self.points.first()) == line.points.front().copied()
            && ends(self.points.last()) == line.points.back().copied()
    }

    /// Appends the store's newer points and drops the ones it evicted.
    fn follow(&mut self, line: &SeriesLine) {
        if self.matches(line) {
            return;
        }
        let newest_drawn = self.points.last().map(|p| p[0]);
        let added = line
            .points
            .iter()
            .rev()
            .take_while(|(t, _)| newest_drawn.is_none_or(|newest| *t > newest))
            .count();
        let start = line.points.len() - added;
        self.points
            .extend(line.points.range(start..).map(|&(t, v)| [t, v]));
        let excess = self.points.len().saturating_sub(line.points.len());
        self.points.drain(..excess);
        if !self.matches(line) {
            // Cleared, or points with equal times at the seam: copy it all once.
            *self = Self::of(line);
        }
    }
}

/// One series as drawn: copied out of the store when it changed (and not while paused).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DrawnSeries {
    pub(super) id: SeriesId,
    pub(super) name: String,
    /// The filter has a wildcard: each line is named after its topic.
    pub(super) per_topic: bool,
    /// In the order the topics first appeared.
    pub(super) lines: Vec<DrawnLine>,
    pub(super) not_numeric: u64,
    pub(super) last_problem: Option<String>,
}

impl DrawnSeries {
    pub(super) fn of(series: &Series) -> Self {
        Self {
            id: series.id,
            name: match &series.field {
                Some(field) => format!("{field} of {}", series.filter),
                None => series.filter.clone(),
            },
            per_topic: series.filter.contains(['+', '#']),
            lines: series.lines.iter().map(DrawnLine::of).collect(),
            not_numeric: series.not_numeric,
            last_problem: series.last_problem.clone(),
        }
    }

    /// Brings the copy in line with the store: usually only new points are copied.
    pub(super) fn follow(&mut self, series: &Series) {
        if self.not_numeric != series.not_numeric {
            self.not_numeric = series.not_numeric;
            self.last_problem = series.last_problem.clone();
        }
        let same_topics = self.lines.len() == series.lines.len()
            && self
                .lines
                .iter()
                .zip(&series.lines)
                .all(|(drawn, line)| drawn.topic == line.topic);
        if !same_topics {
            // A topic came or went: keep the lines still there, in the store's order.
            let mut old = std::mem::take(&mut self.lines);
            self.lines = series
                .lines
                .iter()
                .map(
                    |line| match old.iter().position(|d| d.topic == line.topic) {
                        Some(index) => old.swap_remove(index),
                        None => DrawnLine::of(line),
                    },
                )
                .collect();
        }
        for (drawn, line) in self.lines.iter_mut().zip(&series.lines) {
            drawn.follow(line);
        }
    }

    pub(super) fn point_count(&self) -> usize {
        self.lines.iter().map(|line| line.points.len()).sum()
    }

    /// The lines to draw: the `shown` topics that appeared most recently (a stable choice, so lines
    /// do not swap places every time another topic reports).
    pub(super) fn shown_lines(&self, shown: usize) -> &[DrawnLine] {
        &self.lines[self.lines.len().saturating_sub(shown)..]
    }

    /// The legend name of one of its lines: for a wildcard series, only the part of the topic the
    /// wildcards stand for ("temperature of room-06"), so ten names fit beside the plot.
    pub(super) fn line_name(&self, line: &DrawnLine) -> String {
        if !self.per_topic {
            return self.name.clone();
        }
        match self.name.split_once(" of ") {
            Some((field, filter)) => format!("{field} of {}", wildcard_part(filter, &line.topic)),
            None => {
                let part = wildcard_part(&self.name, &line.topic);
                // The filter's last fixed level says what the number is ("humidity of floor1").
                match self
                    .name
                    .rsplit('/')
                    .find(|level| !matches!(*level, "+" | "#"))
                {
                    Some(what) if !what.is_empty() => format!("{what} of {part}"),
                    _ => part,
                }
            }
        }
    }
}

/// The levels of `topic` that the `+` and `#` of `filter` matched, joined by `/` (the whole topic
/// when that would say nothing).
fn wildcard_part(filter: &str, topic: &str) -> String {
    let mut topic_levels = topic.split('/');
    let mut parts: Vec<&str> = Vec::new();
    for level in filter.split('/') {
        match level {
            "#" => {
                parts.extend(topic_levels.by_ref());
                break;
            }
            "+" => parts.extend(topic_levels.next()),
            _ => {
                topic_levels.next();
            }
        }
    }
    let part = parts.join("/");
    if part.is_empty() {
        topic.to_owned()
    } else {
        part
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    fn line(topic: &str, points: impl IntoIterator<Item = (f64, f64)>) -> SeriesLine {
        SeriesLine {
            topic: Arc::from(topic),
            points: points.into_iter().collect::<VecDeque<_>>(),
        }
    }

    #[test]
    fn drawn_series_follow_appends_and_evictions() {
        let mut series = Series {
            id: SeriesId(1),
            filter: "t".into(),
            field: None,
            lines: vec![line(
                "t",
                (0..5).map(|i| (f64::from(i), f64::from(i) * 2.0)),
            )],
            not_numeric: 0,
            last_problem: None,
        };
        let mut drawn = DrawnSeries::of(&series);
        let points = &mut series.lines[0].points;
        points.pop_front();
        points.pop_front();
        points.push_back((5.0, 10.0));
        points.push_back((6.0, 12.0));
        drawn.follow(&series);
        assert_eq!(
            drawn.lines[0].points,
            vec![[2.0, 4.0], [3.0, 6.0], [4.0, 8.0], [5.0, 10.0], [6.0, 12.0]]
        );
        // Equal times at the seam fall back to a full copy.
        series.lines[0].points.push_back((6.0, 13.0));
        series.not_numeric = 2;
        drawn.follow(&series);
        assert!(drawn.lines[0].matches(&series.lines[0]));
        assert_eq!(drawn.not_numeric, 2);
        series.lines[0].points.clear();
        drawn.follow(&series);
        assert!(drawn.lines[0].points.is_empty());
    }

    #[test]
    fn a_wildcard_series_draws_the_newest_topics_each_under_its_name() {
        let mut series = Series {
            id: SeriesId(1),
            filter: "a/+/t".into(),
            field: crate::engine::watch::JsonPath::parse("v").ok(),
            lines: vec![line("a/1/t", [(1.0, 1.0)]), line("a/2/t", [(2.0, 2.0)])],
            not_numeric: 0,
            last_problem: None,
        };
        let mut drawn = DrawnSeries::of(&series);
        assert_eq!(drawn.shown_lines(10).len(), 2);
        let names: Vec<String> = drawn
            .shown_lines(10)
            .iter()
            .map(|l| drawn.line_name(l))
            .collect();
        assert_eq!(names, vec!["v of 1", "v of 2"]);
        // A third topic: the store dropped the first; the second keeps its points.
        series.lines.remove(0);
        series.lines.push(line("a/3/t", [(3.0, 3.0)]));
        drawn.follow(&series);
        let topics: Vec<&str> = drawn.lines.iter().map(|l| &*l.topic).collect();
        assert_eq!(topics, vec!["a/2/t", "a/3/t"]);
        assert_eq!(drawn.shown_lines(1)[0].topic.as_ref(), "a/3/t");
        assert_eq!(drawn.point_count(), 2);
        // Without a field, the filter's last fixed level names the number.
        drawn.name = "a/+/t".into();
        assert_eq!(drawn.line_name(&drawn.lines[0]), "t of 2");
    }

    #[test]
    fn a_line_is_named_by_what_its_wildcards_matched() {
        assert_eq!(
            wildcard_part(
                "building/rooms/+/telemetry",
                "building/rooms/room-06/telemetry"
            ),
            "room-06"
        );
        assert_eq!(wildcard_part("site/+/x/#", "site/a/x/b/c"), "a/b/c");
        assert_eq!(wildcard_part("#", "a/b"), "a/b");
        // "#" also matches its parent level: nothing left to name it by but the topic.
        assert_eq!(wildcard_part("a/#", "a"), "a");
    }

    #[test]
    fn many_lines_get_distinct_colours() {
        let colors: Vec<Color32> = (0..32).map(line_color).collect();
        for (i, a) in colors.iter().enumerate() {
            assert!(!colors[i + 1..].contains(a), "colour {i} repeats");
        }
    }
}
