//! What a device group is: the settings a user edits (and a scenario file stores), and their validation.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::super::template::{Pattern, PatternKind, PayloadFormat, Template};

/// The most devices one group may hold.
pub const MAX_DEVICES_PER_GROUP: u32 = 10_000;
/// Devices across all groups at once (a scenario's or the window's): past this, memory and file
/// descriptors run out long before a classroom needs more.
pub const MAX_DEVICES_TOTAL: u32 = 10_000;
/// The fastest pace a device may be given (one message a millisecond).
pub const MAX_RATE_PER_DEVICE: f64 = 1000.0;
/// The slowest pace: once a day.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// MQTT protocol version a device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MqttVersion {
    #[default]
    #[serde(rename = "3.1.1")]
    V311,
    #[serde(rename = "5")]
    V5,
}

impl MqttVersion {
    pub fn label(self) -> &'static str {
        match self {
            Self::V311 => "3.1.1",
            Self::V5 => "5",
        }
    }
}

/// How often each device of a group publishes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// One message every this long.
    Every(Duration),
    /// This many messages per second.
    PerSecond(f64),
}

impl Pace {
    /// The time between two messages of one device.
    pub fn interval(self) -> Duration {
        match self {
            Pace::Every(d) => d,
            Pace::PerSecond(rate) if rate > 0.0 => Duration::from_secs_f64(1.0 / rate),
            Pace::PerSecond(_) => MAX_INTERVAL,
        }
    }

    /// Messages per second of one device.
    pub fn per_second(self) -> f64 {
        match self {
            Pace::Every(d) if !d.is_zero() => 1.0 / d.as_secs_f64(),
            Pace::Every(_) => 0.0,
            Pace::PerSecond(rate) => rate,
        }
    }

    /// "every 2s" or "10 msg/s".
    pub fn describe(self) -> String {
        match self {
            Pace::Every(d) => format!("every {}", humantime::format_duration(d)),
            Pace::PerSecond(rate) => format!("{} msg/s", trim_float(rate)),
        }
    }
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A message with fixed content: a last will, or the "birth" message a device sends on every connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedMessage {
    /// May use the topic placeholders {group}, {n} and {client_id}.
    pub topic: String,
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
}

/// One group of identical simulated devices, as a user describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
    pub count: u32,
    /// Client id pattern: {group}, {n}, {n:03}.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// Topic pattern: {group}, {n}, {n:03}, {client_id}.
    pub topic: String,
    /// Payload template with {{ generators }}.
    pub payload: String,
    #[serde(default)]
    pub format: PayloadFormat,
    /// "2s", "500ms", "1min": one message per device this often. Give this or `rate`.
    #[serde(
        default,
        with = "optional_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub every: Option<Duration>,
    /// Messages per second per device. Give this or `every`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Each message moves by up to ± this percentage of the interval (0 to 100).
    #[serde(default)]
    pub jitter_percent: f64,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub will: Option<FixedMessage>,
    /// Published on every (re)connect, e.g. a retained "online" status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<FixedMessage>,
    #[serde(default = "default_true")]
    pub clean_session: bool,
    #[serde(default)]
    pub protocol: MqttVersion,
    #[serde(default = "default_keep_alive", with = "humantime_serde_duration")]
    pub keep_alive: Duration,
    /// Seeds the random generators: the same seed gives the same payloads.
    #[serde(default)]
    pub seed: u64,
}

fn default_client_id() -> String {
    "{group}-{n}".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_keep_alive() -> Duration {
    Duration::from_secs(30)
}

impl Default for GroupSpec {
    fn default() -> Self {
        Self {
            name: "sensors".to_owned(),
            count: 5,
            client_id: default_client_id(),
            topic: "playground/{group}/device-{n}/telemetry".to_owned(),
            payload: r#"{"temperature": {{sine(period=60s, amplitude=3, offset=21, precision=1)}}, "humidity": {{walk(50, 1, 30, 70, 1)}}, "seq": {{counter}}}"#.to_owned(),
            format: PayloadFormat::Json,
            every: Some(Duration::from_secs(1)),
            rate: None,
            jitter_percent: 0.0,
            qos: 0,
            retain: false,
            will: None,
            birth: None,
            clean_session: true,
            protocol: MqttVersion::V311,
            keep_alive: default_keep_alive(),
            seed: 1,
        }
    }
}

/// Which setting of a group an error is about, so a form can show the message next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupField {
    Name,
    Count,
    ClientId,
    Topic,
    Payload,
    Pace,
    Jitter,
    Qos,
    Will,
    Birth,
    KeepAlive,
}

impl GroupField {
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Count => "count",
            Self::ClientId => "client id",
            Self::Topic => "topic",
            Self::Payload => "payload",
            Self::Pace => "pace",
            Self::Jitter => "jitter",
            Self::Qos => "QoS",
            Self::Will => "last will",
            Self::Birth => "birth message",
            Self::KeepAlive => "keep-alive",
        }
    }
}

/// A setting that cannot be used, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", field.label())]
pub struct GroupError {
    pub field: GroupField,
    pub message: String,
}

impl GroupError {
    pub fn new(field: GroupField, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A group's settings after validation, ready to run: patterns and template parsed once.
#[derive(Debug, Clone)]
pub struct CompiledGroup {
    pub spec: GroupSpec,
    pub pace: Pace,
    pub client_id: Pattern,
    pub topic: Pattern,
    pub payload: Template,
    pub will_topic: Option<Pattern>,
    pub birth_topic: Option<Pattern>,
}

impl GroupSpec {
    /// The pace the spec asks for, or why it cannot be used.
    pub fn pace(&self) -> Result<Pace, GroupError> {
        let pace = match (self.every, self.rate) {
            (Some(_), Some(_)) => {
                return Err(GroupError::new(
                    GroupField::Pace,
                    "give either an interval (every) or a rate, not both",
                ));
            }
            (Some(every), None) => {
                if every.is_zero() {
                    return Err(GroupError::new(
                        GroupField::Pace,
                        "the interval must be more than 0: try 1s",
                    ));
                }
                if every > MAX_INTERVAL {
                    return Err(GroupError::new(
                        GroupField::Pace,
                        "the interval can be at most 24 hours",
                    ));
                }
                if every < Duration::from_millis(1) {
                    return Err(GroupError::new(
                        GroupField::Pace,
                        "the interval must be at least 1 ms",
                    ));
                }
                Pace::Every(every)
            }
            (None, Some(rate)) => {
                if !rate.is_finite() || rate <= 0.0 {
                    return Err(GroupError::new(
                        GroupField::Pace,
                        format!(
                            "the rate must be more than 0 messages per second (got {rate}); to stop a group, use Stop or Pause"
                        ),
                    ));
                }
                if rate > MAX_RATE_PER_DEVICE {
                    return Err(GroupError::new(
                        GroupField::Pace,
                        format!(
                            "{rate} messages per second per device is more than the limit of {MAX_RATE_PER_DEVICE}; add devices instead"
                        ),
                    ));
                }
                if rate < 1.0 / MAX_INTERVAL.as_secs_f64() {
                    return Err(GroupError::new(
                        GroupField::Pace,
                        "the rate is below one message a day",
                    ));
                }
                Pace::PerSecond(rate)
            }
            (None, None) => {
                return Err(GroupError::new(
                    GroupField::Pace,
                    "say how often devices publish: an interval such as every = \"2s\", or a rate such as rate = 10",
                ));
            }
        };
        Ok(pace)
    }

    /// Checks every field; the first problem found is returned.
    pub fn compile(&self) -> Result<CompiledGroup, GroupError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(GroupError::new(GroupField::Name, "give the group a name"));
        }
        if let Some(bad) = name.chars().find(|c| matches!(c, '+' | '#' | '/' | '$')) {
            return Err(GroupError::new(
                GroupField::Name,
                format!("the name is used in topics and client ids, so it cannot contain '{bad}'"),
            ));
        }
        if self.count == 0 || self.count > MAX_DEVICES_PER_GROUP {
            return Err(GroupError::new(
                GroupField::Count,
                format!(
                    "{} devices is out of range: a group holds 1 to {MAX_DEVICES_PER_GROUP}",
                    self.count
                ),
            ));
        }
        let pace = self.pace()?;
        if !self.jitter_percent.is_finite() || !(0.0..=100.0).contains(&self.jitter_percent) {
            return Err(GroupError::new(
                GroupField::Jitter,
                format!(
                    "jitter must be from 0 to 100 percent of the interval (got {})",
                    self.jitter_percent
                ),
            ));
        }
        check_qos(GroupField::Qos, self.qos)?;
        // MQTT 5's client (rumqttc) accepts no keep-alive under 5 s; 3.1.1's none under 1 s.
        let shortest = match self.protocol {
            MqttVersion::V311 => 1,
            MqttVersion::V5 => 5,
        };
        if self.keep_alive < Duration::from_secs(shortest)
            || self.keep_alive > Duration::from_secs(65535)
        {
            return Err(GroupError::new(
                GroupField::KeepAlive,
                format!(
                    "keep-alive must be from {shortest} s to 65535 s with MQTT {} (the embedded broker refuses 0)",
                    self.protocol.label()
                ),
            ));
        }
        let client_id = Pattern::parse(&self.client_id, PatternKind::ClientId)
            .map_err(|e| GroupError::new(GroupField::ClientId, e.to_string()))?;
        if self.count > 1 && client_id.expand(name, 1, "") == client_id.expand(name, 2, "") {
            // Two clients with one id knock each other off the broker, over and over.
            return Err(GroupError::new(
                GroupField::ClientId,
                "every device needs its own client id: put {n} in the pattern, e.g. {group}-{n}",
            ));
        }
        check_expansion(GroupField::ClientId, &client_id, name)?;
        let topic = Pattern::parse(&self.topic, PatternKind::Topic)
            .map_err(|e| GroupError::new(GroupField::Topic, e.to_string()))?;
        check_expansion(GroupField::Topic, &topic, name)?;
        let payload = Template::parse(&self.payload, self.format)
            .map_err(|e| GroupError::new(GroupField::Payload, e.to_string()))?;
        let will_topic = compile_fixed(GroupField::Will, self.will.as_ref(), name)?;
        let birth_topic = compile_fixed(GroupField::Birth, self.birth.as_ref(), name)?;
        let mut spec = self.clone();
        spec.name = name.to_owned();
        Ok(CompiledGroup {
            spec,
            pace,
            client_id,
            topic,
            payload,
            will_topic,
            birth_topic,
        })
    }
}

fn check_qos(field: GroupField, qos: u8) -> Result<(), GroupError> {
    if qos > 2 {
        return Err(GroupError::new(
            field,
            format!("QoS {qos} does not exist: use 0, 1 or 2"),
        ));
    }
    Ok(())
}

fn check_expansion(field: GroupField, pattern: &Pattern, group: &str) -> Result<(), GroupError> {
    pattern
        .validate_with(group)
        .map(|_| ())
        .map_err(|e| GroupError::new(field, e.to_string()))
}

fn compile_fixed(
    field: GroupField,
    message: Option<&FixedMessage>,
    group: &str,
) -> Result<Option<Pattern>, GroupError> {
    let Some(message) = message else {
        return Ok(None);
    };
    check_qos(field, message.qos)?;
    let topic = Pattern::parse(&message.topic, PatternKind::Topic)
        .map_err(|e| GroupError::new(field, format!("topic: {e}")))?;
    check_expansion(field, &topic, group)?;
    Ok(Some(topic))
}

/// Durations in scenario files are written the way people say them: "2s", "500ms", "1min".
mod humantime_serde_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&humantime::format_duration(*value).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(text.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "\"{text}\" is not a duration ({e}); write it like \"2s\", \"500ms\" or \"1min\""
            ))
        })
    }
}

mod optional_duration {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => super::humantime_serde_duration::serialize(d, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        super::humantime_serde_duration::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> GroupSpec {
        GroupSpec::default()
    }

    #[test]
    fn the_default_group_is_valid() {
        let compiled = spec().compile().unwrap();
        assert_eq!(compiled.pace, Pace::Every(Duration::from_secs(1)));
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(GroupSpec, GroupField, &str)> = vec![
            (
                GroupSpec { count: 0, ..spec() },
                GroupField::Count,
                "1 to 10000",
            ),
            (
                GroupSpec {
                    count: 10_001,
                    ..spec()
                },
                GroupField::Count,
                "10001 devices",
            ),
            (
                GroupSpec {
                    every: None,
                    rate: Some(0.0),
                    ..spec()
                },
                GroupField::Pace,
                "more than 0",
            ),
            (
                GroupSpec {
                    every: Some(Duration::ZERO),
                    ..spec()
                },
                GroupField::Pace,
                "more than 0",
            ),
            (
                GroupSpec {
                    every: None,
                    rate: None,
                    ..spec()
                },
                GroupField::Pace,
                "how often",
            ),
            (
                GroupSpec {
                    jitter_percent: -5.0,
                    ..spec()
                },
                GroupField::Jitter,
                "0 to 100",
            ),
            (GroupSpec { qos: 3, ..spec() }, GroupField::Qos, "QoS 3"),
            (
                GroupSpec {
                    name: "  ".into(),
                    ..spec()
                },
                GroupField::Name,
                "name",
            ),
            (
                GroupSpec {
                    name: "a/b".into(),
                    ..spec()
                },
                GroupField::Name,
                "'/'",
            ),
            (
                GroupSpec {
                    topic: "site/+/temp".into(),
                    ..spec()
                },
                GroupField::Topic,
                "+",
            ),
            (
                GroupSpec {
                    topic: "site/#".into(),
                    ..spec()
                },
                GroupField::Topic,
                "#",
            ),
            (
                GroupSpec {
                    payload: "{{sinus}}".into(),
                    ..spec()
                },
                GroupField::Payload,
                "line 1, column",
            ),
            (
                GroupSpec {
                    keep_alive: Duration::ZERO,
                    ..spec()
                },
                GroupField::KeepAlive,
                "1 s",
            ),
            (
                GroupSpec {
                    keep_alive: Duration::from_secs(3),
                    protocol: MqttVersion::V5,
                    ..spec()
                },
                GroupField::KeepAlive,
                "5 s to 65535 s with MQTT 5",
            ),
            (
                GroupSpec {
                    client_id: "sensor".into(),
                    ..spec()
                },
                GroupField::ClientId,
                "{n}",
            ),
            (
                GroupSpec {
                    will: Some(FixedMessage {
                        topic: "a/#".into(),
                        payload: String::new(),
                        qos: 0,
                        retain: false,
                    }),
                    ..spec()
                },
                GroupField::Will,
                "#",
            ),
        ];
        for (spec, field, words) in cases {
            let err = spec.compile().unwrap_err();
            assert_eq!(err.field, field, "{err}");
            assert!(
                err.to_string().contains(words),
                "{err} should mention {words}"
            );
        }
    }

    #[test]
    fn pace_converts_both_ways() {
        assert_eq!(Pace::PerSecond(10.0).interval(), Duration::from_millis(100));
        assert_eq!(Pace::Every(Duration::from_millis(250)).per_second(), 4.0);
        assert_eq!(Pace::PerSecond(2.5).describe(), "2.5 msg/s");
        assert_eq!(Pace::Every(Duration::from_secs(2)).describe(), "every 2s");
    }
}
