//! The device-group editor's typed text, turned into a group spec with an error per field.

use std::time::Duration;

use crate::engine::fleet::{FixedMessage, GroupError, GroupField, GroupSpec, MqttVersion};
use crate::engine::template::PayloadFormat;

/// How the pace is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceMode {
    Every,
    Rate,
}

/// A fixed message (will or birth) as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FixedForm {
    pub enabled: bool,
    pub topic: String,
    pub payload: String,
    pub qos: u8,
    pub retain: bool,
}

impl FixedForm {
    fn from_spec(message: Option<&FixedMessage>, topic_hint: &str, payload_hint: &str) -> Self {
        match message {
            Some(m) => Self {
                enabled: true,
                topic: m.topic.clone(),
                payload: m.payload.clone(),
                qos: m.qos,
                retain: m.retain,
            },
            None => Self {
                enabled: false,
                topic: topic_hint.to_owned(),
                payload: payload_hint.to_owned(),
                qos: 1,
                retain: true,
            },
        }
    }

    fn to_spec(&self) -> Option<FixedMessage> {
        self.enabled.then(|| FixedMessage {
            topic: self.topic.clone(),
            payload: self.payload.clone(),
            qos: self.qos,
            retain: self.retain,
        })
    }
}

/// Everything the editor shows, as text where the user types.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupForm {
    pub name: String,
    pub count: String,
    pub client_id: String,
    pub topic: String,
    pub payload: String,
    pub format: PayloadFormat,
    pub pace_mode: PaceMode,
    pub every: String,
    pub rate: String,
    pub jitter: String,
    pub qos: u8,
    pub retain: bool,
    pub clean_session: bool,
    pub protocol: MqttVersion,
    pub keep_alive: String,
    pub seed: String,
    pub will: FixedForm,
    pub birth: FixedForm,
}

impl GroupForm {
    pub fn from_spec(spec: &GroupSpec) -> Self {
        Self {
            name: spec.name.clone(),
            count: spec.count.to_string(),
            client_id: spec.client_id.clone(),
            topic: spec.topic.clone(),
            payload: spec.payload.clone(),
            format: spec.format,
            pace_mode: if spec.rate.is_some() {
                PaceMode::Rate
            } else {
                PaceMode::Every
            },
            every: spec
                .every
                .map(|d| humantime::format_duration(d).to_string())
                .unwrap_or_else(|| "1s".to_owned()),
            rate: spec
                .rate
                .map(|r| r.to_string())
                .unwrap_or_else(|| "1".to_owned()),
            jitter: trim_number(spec.jitter_percent),
            qos: spec.qos,
            retain: spec.retain,
            clean_session: spec.clean_session,
            protocol: spec.protocol,
            keep_alive: spec.keep_alive.as_secs().to_string(),
            seed: spec.seed.to_string(),
            will: FixedForm::from_spec(
                spec.will.as_ref(),
                "playground/{group}/device-{n}/status",
                "offline",
            ),
            birth: FixedForm::from_spec(
                spec.birth.as_ref(),
                "playground/{group}/device-{n}/status",
                "online",
            ),
        }
    }

    /// The spec the form describes, checked as the engine will check it.
    pub fn to_spec(&self) -> Result<GroupSpec, GroupError> {
        let count = self.count.trim().parse::<u32>().map_err(|_| {
            GroupError::new(
                GroupField::Count,
                format!(
                    "\"{}\" is not a number of devices: type a whole number from 1 to 10000",
                    self.count.trim()
                ),
            )
        })?;
        let (every, rate) = match self.pace_mode {
            PaceMode::Every => {
                let text = self.every.trim();
                let every = humantime::parse_duration(text).map_err(|_| {
                    GroupError::new(
                        GroupField::Pace,
                        format!("\"{text}\" is not an interval: write it like 2s, 500ms or 1min"),
                    )
                })?;
                (Some(every), None)
            }
            PaceMode::Rate => {
                let text = self.rate.trim();
                let rate = text.parse::<f64>().map_err(|_| {
                    GroupError::new(
                        GroupField::Pace,
                        format!(
                            "\"{text}\" is not a rate: type messages per second, such as 10 or 0.5"
                        ),
                    )
                })?;
                (None, Some(rate))
            }
        };
        let jitter_percent = self.jitter.trim().parse::<f64>().map_err(|_| {
            GroupError::new(
                GroupField::Jitter,
                format!(
                    "\"{}\" is not a percentage: type 0 to 100",
                    self.jitter.trim()
                ),
            )
        })?;
        let keep_alive = self.keep_alive.trim().parse::<u64>().map_err(|_| {
            GroupError::new(
                GroupField::KeepAlive,
                format!("\"{}\" is not a number of seconds", self.keep_alive.trim()),
            )
        })?;
        let seed = self.seed.trim().parse::<u64>().map_err(|_| {
            GroupError::new(
                GroupField::Payload,
                format!("seed \"{}\" is not a whole number", self.seed.trim()),
            )
        })?;
        let spec = GroupSpec {
            name: self.name.clone(),
            count,
            client_id: self.client_id.clone(),
            topic: self.topic.clone(),
            payload: self.payload.clone(),
            format: self.format,
            every,
            rate,
            jitter_percent,
            qos: self.qos,
            retain: self.retain,
            will: self.will.to_spec(),
            birth: self.birth.to_spec(),
            clean_session: self.clean_session,
            protocol: self.protocol,
            keep_alive: Duration::from_secs(keep_alive),
            seed,
        };
        spec.compile()?;
        Ok(spec)
    }
}

fn trim_number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_survives_the_form() {
        let spec = GroupSpec {
            rate: Some(2.5),
            every: None,
            jitter_percent: 12.5,
            will: Some(FixedMessage {
                topic: "a/{n}".into(),
                payload: "gone".into(),
                qos: 2,
                retain: false,
            }),
            ..GroupSpec::default()
        };
        assert_eq!(GroupForm::from_spec(&spec).to_spec().unwrap(), spec);
    }

    #[test]
    fn typed_mistakes_name_their_field() {
        let base = GroupForm::from_spec(&GroupSpec::default());
        let cases = [
            (
                GroupForm {
                    count: "many".into(),
                    ..base.clone()
                },
                GroupField::Count,
            ),
            (
                GroupForm {
                    every: "soon".into(),
                    ..base.clone()
                },
                GroupField::Pace,
            ),
            (
                GroupForm {
                    pace_mode: PaceMode::Rate,
                    rate: "0".into(),
                    ..base.clone()
                },
                GroupField::Pace,
            ),
            (
                GroupForm {
                    jitter: "-3".into(),
                    ..base.clone()
                },
                GroupField::Jitter,
            ),
            (
                GroupForm {
                    topic: "a/#".into(),
                    ..base.clone()
                },
                GroupField::Topic,
            ),
        ];
        for (form, field) in cases {
            assert_eq!(form.to_spec().unwrap_err().field, field);
        }
    }
}
