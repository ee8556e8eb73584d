//! Plotted series: which messages feed each one, and turning each matching message into a point.

use std::collections::{HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

use super::{LogStore, Series, SeriesId};
use crate::engine::watch::{
    FilterError, JsonPathError, LoggedMessage, TopicFilter, ValueSource, extract,
};

/// Points kept per series (the oldest go first).
pub const MAX_POINTS: usize = 20_000;
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
        points: VecDeque::new(),
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
                    if one.points.len() >= MAX_POINTS {
                        one.points.pop_front();
                    }
                    one.points
                        .push_back((unix_seconds(message.received_at), value));
                }
                Err(problem) => {
                    one.not_numeric += 1;
                    one.last_problem = Some(format!("{}: {problem}", message.topic));
                }
            }
        }
    }
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
        assert_eq!(Vec::from(whole.points.clone()), vec![(10.0, 21.5)]);
        assert_eq!(whole.not_numeric, 0);
        let field = &store.series[1];
        assert_eq!(Vec::from(field.points.clone()), vec![(11.0, 3.0)]);
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
        assert_eq!(store.series[0].points.len(), MAX_POINTS);
        assert_eq!(store.series[0].points.front().map(|p| p.0), Some(10.0));
    }
}
