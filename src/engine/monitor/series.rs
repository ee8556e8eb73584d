//! Plotted series: which messages feed each one, and turning each matching message into a point.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

use super::{LogStore, Series, SeriesId, SeriesLine};
use crate::engine::watch::{
    FilterError, JsonPathError, LoggedMessage, TopicFilter, ValueSource, extract,
};

/// Points kept per series, over all its lines (the oldest go first).
pub const MAX_POINTS: usize = 20_000;
/// Topics (lines) kept per series; a new topic beyond this replaces the one heard from least recently.
pub const MAX_TOPICS_PER_SERIES: usize = 64;
/// Series plotted at once.
pub const MAX_SERIES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SeriesError {
    #[error("plot filter: {0}")]
    Filter(FilterError),
    #[error("plot field: {0}")]
    Field(JsonPathError),
    #[error("at most {MAX_SERIES} series can be plotted at once: remove one first")]
    TooMany,
    #[error("there is no plotted series #{0}; it may have been removed already")]
    Unknown(u64),
}

/// Checks a new series and adds it to the store.
pub fn add(
    store: &mut LogStore,
    id: SeriesId,
    filter: &str,
    field: Option<&str>,
) -> Result<(), SeriesError> {
    let parsed = TopicFilter::parse(filter).map_err(SeriesError::Filter)?;
    let source =
        ValueSource::from_field_text(field.unwrap_or_default()).map_err(SeriesError::Field)?;
    if store.series.len() >= MAX_SERIES {
        return Err(SeriesError::TooMany);
    }
    store.series.push(Series {
        id,
        filter: parsed.as_str().to_owned(),
        field: match source {
            ValueSource::WholePayload => None,
            ValueSource::JsonField(path) => Some(path),
        },
        lines: Vec::new(),
        not_numeric: 0,
        last_problem: None,
    });
    Ok(())
}

pub fn remove(store: &mut LogStore, id: SeriesId) -> Result<(), SeriesError> {
    let before = store.series.len();
    store.series.retain(|series| series.id != id);
    if store.series.len() == before {
        return Err(SeriesError::Unknown(id.0));
    }
    Ok(())
}

/// The parsed filter and value source of each series, kept by whoever feeds the series
/// (series in the store carry their filter as text).
#[derive(Debug, Default)]
pub struct SeriesFeeder {
    compiled: HashMap<SeriesId, (TopicFilter, ValueSource)>,
}

impl SeriesFeeder {
    /// Adds a point (or a problem) to every series whose filter matches the message's topic.
    pub fn feed(&mut self, series: &mut [Series], message: &LoggedMessage) {
        if series.is_empty() {
            return;
        }
        if self.compiled.len() > series.len() {
            self.compiled
                .retain(|id, _| series.iter().any(|s| s.id == *id));
        }
        for one in series.iter_mut() {
            let (filter, source) = match self.compiled.get(&one.id) {
                Some(compiled) => compiled,
                None => {
                    // A filter that no longer parses (cannot happen for series made by `add`) plots nothing.
                    let Ok(filter) = TopicFilter::parse(&one.filter) else {
                        continue;
                    };
                    let source = one
                        .field
                        .clone()
                        .map_or(ValueSource::WholePayload, ValueSource::JsonField);
                    self.compiled.entry(one.id).or_insert((filter, source))
                }
            };
            if !filter.matches(&message.topic) {
                continue;
            }
            match extract(&message.payload, source) {
                Ok(value) => {
                    push_point(
                        one,
                        &message.topic,
                        (unix_seconds(message.received_at), value),
                    );
                }
                Err(problem) => {
                    one.not_numeric += 1;
                    one.last_problem = Some(format!("{}: {problem}", message.topic));
                }
            }
        }
    }
}

/// Adds a point to the topic's line (making the line if it is new), keeping the series within
/// [`MAX_TOPICS_PER_SERIES`] lines and [`MAX_POINTS`] points.
fn push_point(series: &mut Series, topic: &Arc<str>, point: (f64, f64)) {
    let index = match series
        .lines
        .iter()
        .position(|line| Arc::ptr_eq(&line.topic, topic) || line.topic == *topic)
    {
        Some(index) => index,
        None => {
            if series.lines.len() >= MAX_TOPICS_PER_SERIES {
                // The topic heard from least recently makes room.
                if let Some(quiet) = index_of_min(&series.lines, |line| line.points.back()) {
                    series.lines.remove(quiet);
                }
            }
            series.lines.push(SeriesLine {
                topic: topic.clone(),
                points: VecDeque::new(),
            });
            series.lines.len() - 1
        }
    };
    if let Some(line) = series.lines.get_mut(index) {
        line.points.push_back(point);
    }
    if series.point_count() > MAX_POINTS {
        // The oldest point of the whole series goes, whichever topic it came from.
        if let Some(oldest) = index_of_min(&series.lines, |line| line.points.front())
            && let Some(line) = series.lines.get_mut(oldest)
        {
            line.points.pop_front();
            if line.points.is_empty() {
                series.lines.remove(oldest);
            }
        }
    }
}

/// The line whose chosen point is the oldest (lines without points first).
fn index_of_min(
    lines: &[SeriesLine],
    point: impl Fn(&SeriesLine) -> Option<&(f64, f64)>,
) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let time = |line| point(line).map_or(f64::NEG_INFINITY, |p: &(f64, f64)| p.0);
            time(a).total_cmp(&time(b))
        })
        .map(|(index, _)| index)
}

fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;

    fn message(topic: &str, payload: &str, second: u64) -> LoggedMessage {
        LoggedMessage::new(
            UNIX_EPOCH + Duration::from_secs(second),
            Arc::from(topic),
            0,
            false,
            Bytes::copy_from_slice(payload.as_bytes()),
            1024,
        )
    }

    fn points(series: &Series, topic: &str) -> Vec<(f64, f64)> {
        series
            .line(topic)
            .map(|line| Vec::from(line.points.clone()))
            .unwrap_or_default()
    }

    #[test]
    fn matching_messages_become_points_or_problems() {
        let mut store = LogStore::default();
        add(&mut store, SeriesId(1), "sensors/+/temp", None).unwrap();
        add(&mut store, SeriesId(2), "sensors/#", Some("value")).unwrap();
        let mut feeder = SeriesFeeder::default();
        feeder.feed(&mut store.series, &message("sensors/a/temp", "21.5", 10));
        feeder.feed(
            &mut store.series,
            &message("sensors/a/json", r#"{"value": 3}"#, 11),
        );
        feeder.feed(&mut store.series, &message("other", "1", 12));
        let whole = &store.series[0];
        assert_eq!(points(whole, "sensors/a/temp"), vec![(10.0, 21.5)]);
        assert_eq!(whole.lines.len(), 1);
        assert_eq!(whole.not_numeric, 0);
        let field = &store.series[1];
        assert_eq!(points(field, "sensors/a/json"), vec![(11.0, 3.0)]);
        assert_eq!(field.not_numeric, 1, "21.5 has no field \"value\"");
        assert!(
            field
                .last_problem
                .as_deref()
                .unwrap()
                .starts_with("sensors/a/temp: payload is"),
            "{:?}",
            field.last_problem
        );
    }

    #[test]
    fn bad_input_is_refused_and_points_are_bounded() {
        let mut store = LogStore::default();
        assert!(matches!(
            add(&mut store, SeriesId(1), "a/#/b", None),
            Err(SeriesError::Filter(_))
        ));
        assert!(matches!(
            add(&mut store, SeriesId(1), "a", Some("x[")),
            Err(SeriesError::Field(_))
        ));
        for id in 0..MAX_SERIES as u64 {
            add(&mut store, SeriesId(id), "t", Some("")).unwrap();
        }
        assert_eq!(
            add(&mut store, SeriesId(99), "t", None),
            Err(SeriesError::TooMany)
        );
        assert_eq!(
            remove(&mut store, SeriesId(99)),
            Err(SeriesError::Unknown(99))
        );
        store.series.truncate(1);
        let mut feeder = SeriesFeeder::default();
        for i in 0..(MAX_POINTS as u64 + 10) {
            feeder.feed(&mut store.series, &message("t", "1", i));
        }
        assert_eq!(store.series[0].point_count(), MAX_POINTS);
        assert_eq!(
            points(&store.series[0], "t").first().map(|p| p.0),
            Some(10.0)
        );
    }

    #[test]
    fn a_wildcard_series_draws_one_line_per_topic() {
        let mut store = LogStore::default();
        add(&mut store, SeriesId(1), "a/+/t", Some("v")).unwrap();
        let mut feeder = SeriesFeeder::default();
        for (topic, value, second) in [("a/1/t", 1, 1), ("a/2/t", 20, 2), ("a/1/t", 2, 3)] {
            feeder.feed(
                &mut store.series,
                &message(topic, &format!(r#"{{"v": {value}}}"#), second),
            );
        }
        let series = &store.series[0];
        let topics: Vec<&str> = series.lines.iter().map(|l| &*l.topic).collect();
        assert_eq!(
            topics,
            vec!["a/1/t", "a/2/t"],
            "in the order they first appeared"
        );
        assert_eq!(points(series, "a/1/t"), vec![(1.0, 1.0), (3.0, 2.0)]);
        assert_eq!(points(series, "a/2/t"), vec![(2.0, 20.0)]);
    }

    #[test]
    fn topics_and_points_stay_bounded_over_all_lines() {
        let mut store = LogStore::default();
        add(&mut store, SeriesId(1), "room/+", None).unwrap();
        let mut feeder = SeriesFeeder::default();
        // Topic 0 keeps talking; topics 1.. are heard from once each, more of them than the cap.
        for i in 0..(MAX_TOPICS_PER_SERIES as u64 + 5) {
            feeder.feed(&mut store.series, &message("room/0", "0", 2 * i));
            feeder.feed(
                &mut store.series,
                &message(&format!("room/{}", i + 1), "1", 2 * i + 1),
            );
        }
        let series = &store.series[0];
        assert_eq!(series.lines.len(), MAX_TOPICS_PER_SERIES);
        assert!(series.line("room/0").is_some(), "the busy topic stays");
        assert!(
            series.line("room/1").is_none(),
            "the quietest topic made room"
        );
        let last = format!("room/{}", MAX_TOPICS_PER_SERIES + 5);
        assert!(series.line(&last).is_some(), "the newest topic is there");

        // Points: the oldest go first, whichever topic they belong to.
        let mut store = LogStore::default();
        add(&mut store, SeriesId(1), "a/+", None).unwrap();
        let mut feeder = SeriesFeeder::default();
        feeder.feed(&mut store.series, &message("a/old", "1", 0));
        for i in 1..=(MAX_POINTS as u64) {
            feeder.feed(&mut store.series, &message("a/new", "2", i));
        }
        let series = &store.series[0];
        assert_eq!(series.point_count(), MAX_POINTS);
        assert!(
            series.line("a/old").is_none(),
            "its one point was the oldest"
        );
    }
}
