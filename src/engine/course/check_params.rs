//! Reads a step's `[check]` table into a [`Check`]: its kind from the known vocabulary and each
//! parameter validated, every problem naming the field.

use toml::{Table, Value};

use super::check::{Check, KNOWN_KINDS, Property, Wildcard};
use super::pattern::Pattern;

/// What is wrong with a check table: the field (e.g. `check.qos`) and the problem in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckProblem {
    pub field: String,
    pub problem: String,
}

fn problem(field: &str, text: impl Into<String>) -> CheckProblem {
    CheckProblem {
        field: format!("check.{field}"),
        problem: text.into(),
    }
}

/// The parameters each kind takes.
fn parameters(kind: &str) -> &'static [&'static str] {
    match kind {
        "connected" => &[
            "protocol",
            "clean_session",
            "keep_alive_min",
            "keep_alive_max",
            "has_will",
        ],
        "subscribed" => &["filter", "pattern", "wildcard", "qos"],
        "published" => &["topic", "pattern", "qos", "retain"],
        "unsubscribed" => &["filter", "pattern"],
        "mqtt5_property" => &["property", "pattern"],
        _ => &["pattern"],
    }
}

/// Reads a check table; the problem names the field.
pub fn parse_check(table: &Table) -> Result<Check, CheckProblem> {
    let kind = match table.get("kind") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(problem("kind", "must be text such as \"published\"")),
        None => {
            return Err(problem(
                "kind",
                format!("is missing; use one of: {}", KNOWN_KINDS.join(", ")),
            ));
        }
    };
    if !KNOWN_KINDS.contains(&kind) {
        return Err(problem(
            "kind",
            format!(
                "\"{kind}\" is not a check kind this app knows; known kinds: {}",
                KNOWN_KINDS.join(", ")
            ),
        ));
    }
    let allowed = parameters(kind);
    for key in table.keys().filter(|k| *k != "kind") {
        if !allowed.contains(&key.as_str()) {
            return Err(problem(
                key,
                format!(
                    "is not a parameter of a \"{kind}\" check; it takes: {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let p = Params(table);
    Ok(match kind {
        "connected" => {
            let protocol = p.text("protocol")?;
            if let Some(v) = &protocol
                && !["3.1", "3.1.1", "5"].contains(&v.as_str())
            {
                return Err(problem(
                    "protocol",
                    format!("\"{v}\" is not an MQTT version; write \"3.1\", \"3.1.1\" or \"5\""),
                ));
            }
            let keep_alive_min = p.seconds("keep_alive_min")?;
            let keep_alive_max = p.seconds("keep_alive_max")?;
            if let (Some(a), Some(b)) = (keep_alive_min, keep_alive_max)
                && a > b
            {
                return Err(problem(
                    "keep_alive_min",
                    format!("is {a} s, more than keep_alive_max ({b} s)"),
                ));
            }
            Check::Connected {
                protocol,
                clean_session: p.flag("clean_session")?,
                keep_alive_min,
                keep_alive_max,
                has_will: p.flag("has_will")?,
            }
        }
        "subscribed" => Check::Subscribed {
            filter: p.filter("filter")?,
            pattern: p.filter("pattern")?,
            wildcard: match p.text("wildcard")?.as_deref() {
                None => None,
                Some("+") => Some(Wildcard::SingleLevel),
                Some("#") => Some(Wildcard::MultiLevel),
                Some("any") => Some(Wildcard::Any),
                Some("none") => Some(Wildcard::None),
                Some(other) => {
                    return Err(problem(
                        "wildcard",
                        format!("\"{other}\" is not one of \"+\", \"#\", \"any\", \"none\""),
                    ));
                }
            },
            qos: p.qos("qos")?,
        },
        "published" => Check::Published {
            topic: p.topic("topic")?,
            pattern: p.filter("pattern")?,
            qos: p.qos("qos")?,
            retain: p.flag("retain")?,
        },
        "qos1_complete" => Check::Qos1Complete {
            pattern: p.filter("pattern")?,
        },
        "qos2_complete" => Check::Qos2Complete {
            pattern: p.filter("pattern")?,
        },
        "received_retained" => Check::ReceivedRetained {
            pattern: p.filter("pattern")?,
        },
        "will_delivered" => Check::WillDelivered {
            pattern: p.filter("pattern")?,
        },
        "session_resumed" => Check::SessionResumed {
            pattern: p.filter("pattern")?,
        },
        "unsubscribed" => Check::Unsubscribed {
            filter: p.filter("filter")?,
            pattern: p.filter("pattern")?,
        },
        _ => Check::Mqtt5Property {
            property: match p.text("property")?.as_deref() {
                None | Some("any") => Property::Any,
                Some("message_expiry") => Property::MessageExpiry,
                Some("user_property") => Property::UserProperty,
                Some(other) => {
                    return Err(problem(
                        "property",
                        format!(
                            "\"{other}\" is not one of \"message_expiry\", \"user_property\", \"any\""
                        ),
                    ));
                }
            },
            pattern: p.filter("pattern")?,
        },
    })
}

struct Params<'t>(&'t Table);

impl Params<'_> {
    fn text(&self, name: &str) -> Result<Option<String>, CheckProblem> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(problem(name, "must be text in quotes")),
        }
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, CheckProblem> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(problem(name, "must be true or false (no quotes)")),
        }
    }

    fn qos(&self, name: &str) -> Result<Option<u8>, CheckProblem> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Integer(q)) if (0..=2).contains(q) => Ok(Some(*q as u8)),
            Some(Value::Integer(q)) => Err(problem(
                name,
                format!("QoS {q} does not exist; MQTT has QoS 0, 1 and 2"),
            )),
            Some(_) => Err(problem(name, "must be a number: 0, 1 or 2")),
        }
    }

    fn seconds(&self, name: &str) -> Result<Option<u64>, CheckProblem> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Integer(s)) if (0..=65_535).contains(s) => Ok(Some(*s as u64)),
            Some(_) => Err(problem(name, "must be a number of seconds from 0 to 65535")),
        }
    }

    fn filter(&self, name: &str) -> Result<Option<Pattern>, CheckProblem> {
        self.text(name)?
            .map(|t| {
                Pattern::filter(&t)
                    .map_err(|e| problem(name, format!("\"{t}\" is not a valid topic filter: {e}")))
            })
            .transpose()
    }

    fn topic(&self, name: &str) -> Result<Option<Pattern>, CheckProblem> {
        self.text(name)?
            .map(|t| {
                Pattern::topic(&t).map_err(|e| {
                    problem(
                        name,
                        format!("\"{t}\" is not a valid topic: {e} (use pattern = … for a filter)"),
                    )
                })
            })
            .transpose()
    }
}
