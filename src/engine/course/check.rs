//! The check vocabulary: what each kind of step check looks for in a learner's packets, what it says
//! in words, and the hint it gives for a near miss ("you published at QoS 0; this step asks for QoS 1").

use super::observe::Observation;
use super::pattern::Pattern;

/// Every check kind a course file may name, in the order the README documents them.
pub const KNOWN_KINDS: [&str; 10] = [
    "connected",
    "subscribed",
    "published",
    "qos1_complete",
    "qos2_complete",
    "received_retained",
    "will_delivered",
    "session_resumed",
    "unsubscribed",
    "mqtt5_property",
];

/// Which wildcard a subscription's filter must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wildcard {
    /// `+`
    SingleLevel,
    /// `#`
    MultiLevel,
    /// `+` or `#`
    Any,
    /// An exact topic, no wildcard.
    None,
}

/// Which MQTT 5 PUBLISH property a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    MessageExpiry,
    UserProperty,
    Any,
}

/// One step's check, with its parameters (every parameter optional: absent means "any").
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Connected {
        /// "3.1", "3.1.1" or "5".
        protocol: Option<String>,
        clean_session: Option<bool>,
        keep_alive_min: Option<u64>,
        keep_alive_max: Option<u64>,
        has_will: Option<bool>,
    },
    Subscribed {
        filter: Option<Pattern>,
        pattern: Option<Pattern>,
        wildcard: Option<Wildcard>,
        qos: Option<u8>,
    },
    Published {
        topic: Option<Pattern>,
        pattern: Option<Pattern>,
        qos: Option<u8>,
        retain: Option<bool>,
    },
    Qos1Complete {
        pattern: Option<Pattern>,
    },
    Qos2Complete {
        pattern: Option<Pattern>,
    },
    ReceivedRetained {
        pattern: Option<Pattern>,
    },
    WillDelivered {
        pattern: Option<Pattern>,
    },
    SessionResumed {
        pattern: Option<Pattern>,
    },
    Unsubscribed {
        filter: Option<Pattern>,
        pattern: Option<Pattern>,
    },
    Mqtt5Property {
        property: Property,
        pattern: Option<Pattern>,
    },
}

/// What one observation means for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to do with this step.
    Unrelated,
    Done,
    /// A near miss. `specific`: the attempt was aimed at this step (it matched the step's topic or
    /// filter), so the hint is shown whichever step the learner is at; otherwise only on the
    /// learner's current step.
    Miss {
        hint: String,
        specific: bool,
    },
}

fn miss(hint: String, specific: bool) -> Verdict {
    Verdict::Miss { hint, specific }
}

/// True when there is no pattern, or the text falls under it.
fn under(pattern: &Option<Pattern>, text: &str, user: Option<&str>) -> bool {
    pattern.as_ref().is_none_or(|p| p.matches(text, user))
}

fn qos_words(qos: u8) -> String {
    format!("QoS {qos}")
}

impl Check {
    /// The check's kind as a course file names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Connected { .. } => "connected",
            Check::Subscribed { .. } => "subscribed",
            Check::Published { .. } => "published",
            Check::Qos1Complete { .. } => "qos1_complete",
            Check::Qos2Complete { .. } => "qos2_complete",
            Check::ReceivedRetained { .. } => "received_retained",
            Check::WillDelivered { .. } => "will_delivered",
            Check::SessionResumed { .. } => "session_resumed",
            Check::Unsubscribed { .. } => "unsubscribed",
            Check::Mqtt5Property { .. } => "mqtt5_property",
        }
    }

    /// What the check looks for, in words (the course panel shows it under the step).
    pub fn summary(&self) -> String {
        let on = |p: &Option<Pattern>| {
            p.as_ref()
                .map(|p| format!(" on {}", p.as_str()))
                .unwrap_or_default()
        };
        match self {
            Check::Connected {
                protocol,
                clean_session,
                keep_alive_min,
                keep_alive_max,
                has_will,
            } => {
                let mut parts = Vec::new();
                if let Some(p) = protocol {
                    parts.push(format!("MQTT {p}"));
                }
                if let Some(c) = clean_session {
                    parts.push(format!("clean session {}", if *c { "on" } else { "off" }));
                }
                match (keep_alive_min, keep_alive_max) {
                    (Some(a), Some(b)) => parts.push(format!("keep alive {a} to {b} s")),
                    (Some(a), None) => parts.push(format!("keep alive at least {a} s")),
                    (None, Some(b)) => parts.push(format!("keep alive at most {b} s")),
                    (None, None) => {}
                }
                match has_will {
                    Some(true) => parts.push("a last will".to_owned()),
                    Some(false) => parts.push("no last will".to_owned()),
                    None => {}
                }
                if parts.is_empty() {
                    "a client connects and the broker accepts it".to_owned()
                } else {
                    format!(
                        "a client connects and the broker accepts it ({})",
                        parts.join(", ")
                    )
                }
            }
            Check::Subscribed {
                filter,
                pattern,
                wildcard,
                qos,
            } => {
                let mut text = "a SUBSCRIBE".to_owned();
                if let Some(f) = filter {
                    text.push_str(&format!(" to {}", f.as_str()));
                }
                if let Some(p) = pattern {
                    text.push_str(&format!(" with a filter under {}", p.as_str()));
                }
                match wildcard {
                    Some(Wildcard::SingleLevel) => text.push_str(" whose filter has a + wildcard"),
                    Some(Wildcard::MultiLevel) => text.push_str(" whose filter has a # wildcard"),
                    Some(Wildcard::Any) => text.push_str(" whose filter has a wildcard"),
                    Some(Wildcard::None) => text.push_str(" to one exact topic (no wildcard)"),
                    None => {}
                }
                if let Some(q) = qos {
                    text.push_str(&format!(" at {}", qos_words(*q)));
                }
                text
            }
            Check::Published {
                topic,
                pattern,
                qos,
                retain,
            } => {
                let mut text = "a PUBLISH".to_owned();
                if let Some(t) = topic {
                    text.push_str(&format!(" to {}", t.as_str()));
                }
                text.push_str(&on(pattern));
                if let Some(q) = qos {
                    text.push_str(&format!(" at {}", qos_words(*q)));
                }
                match retain {
                    Some(true) => text.push_str(" with the retain flag"),
                    Some(false) => text.push_str(" without the retain flag"),
                    None => {}
                }
                text
            }
            Check::Qos1Complete { pattern } => format!(
                "a PUBLISH at QoS 1{} answered by the broker's PUBACK",
                on(pattern)
            ),
            Check::Qos2Complete { pattern } => format!(
                "a PUBLISH at QoS 2{} through PUBREC, PUBREL and PUBCOMP",
                on(pattern)
            ),
            Check::ReceivedRetained { pattern } => format!(
                "a retained message{} delivered to a client when it subscribed",
                on(pattern)
            ),
            Check::WillDelivered { pattern } => format!(
                "a client with a last will{} loses its connection and the broker publishes the will",
                on(pattern)
            ),
            Check::SessionResumed { pattern } => format!(
                "a client reconnects with clean session off, the broker resumes its session and delivers messages{} queued while it was away",
                on(pattern)
            ),
            Check::Unsubscribed { filter, pattern } => {
                let mut text = "an UNSUBSCRIBE".to_owned();
                if let Some(f) = filter {
                    text.push_str(&format!(" from {}", f.as_str()));
                }
                if let Some(p) = pattern {
                    text.push_str(&format!(" of a filter under {}", p.as_str()));
                }
                text
            }
            Check::Mqtt5Property { property, pattern } => {
                let what = match property {
                    Property::MessageExpiry => "a message expiry",
                    Property::UserProperty => "a user property",
                    Property::Any => "a message expiry or a user property",
                };
                format!("an MQTT 5 PUBLISH{} carrying {what}", on(pattern))
            }
        }
    }

    /// What `seen` means for this step; `user` is the learner's user name (for `{username}`).
    pub fn judge(&self, seen: &Observation, user: Option<&str>) -> Verdict {
        match self {
            Check::Connected { .. } => self.judge_connected(seen),
            Check::Subscribed { .. } => self.judge_subscribed(seen, user),
            Check::Published { .. } => self.judge_published(seen, user),
            Check::Qos1Complete { pattern } => judge_completed(1, pattern, seen, user),
            Check::Qos2Complete { pattern } => judge_completed(2, pattern, seen, user),
            Check::ReceivedRetained { pattern } => judge_retained(pattern, seen, user),
            Check::WillDelivered { pattern } => judge_will(pattern, seen, user),
            Check::SessionResumed { pattern } => judge_session(pattern, seen, user),
            Check::Unsubscribed { filter, pattern } => match seen {
                Observation::Unsubscribed { filters } => {
                    let fits = |f: &String| {
                        filter.as_ref().is_none_or(|want| want.equals(f, user))
                            && under(pattern, f, user)
                    };
                    match filters.iter().find(|f| !fits(f)) {
                        _ if filters.iter().any(fits) => Verdict::Done,
                        Some(f) => {
                            let want = filter.as_ref().or(pattern.as_ref());
                            let want = want.map(|p| p.shown_for(user)).unwrap_or_default();
                            miss(
                                format!("you unsubscribed from {f}; this step asks for {want}"),
                                false,
                            )
                        }
                        None => Verdict::Unrelated,
                    }
                }
                _ => Verdict::Unrelated,
            },
            Check::Mqtt5Property { property, pattern } => match seen {
                Observation::Published {
                    topic,
                    protocol,
                    message_expiry,
                    user_property,
                    ..
                } if under(pattern, topic, user) => {
                    let specific = pattern.is_some();
                    if protocol != "5" {
                        return miss(
                            format!(
                                "you published with MQTT {protocol}, which has no properties; connect with MQTT 5 (mosquitto_pub -V 5, paho protocol=MQTTv5)"
                            ),
                            specific,
                        );
                    }
                    let (has, lacking) = match property {
                        Property::MessageExpiry => (
                            *message_expiry,
                            "no message expiry; add one (mosquitto_pub -D publish message-expiry-interval 60)",
                        ),
                        Property::UserProperty => (
                            *user_property,
                            "no user property; add one (mosquitto_pub -D publish user-property room kitchen)",
                        ),
                        Property::Any => (
                            *message_expiry || *user_property,
                            "neither a message expiry nor a user property; add one (mosquitto_pub -D publish message-expiry-interval 60)",
                        ),
                    };
                    if has {
                        Verdict::Done
                    } else {
                        miss(format!("your PUBLISH had {lacking}"), specific)
                    }
                }
                _ => Verdict::Unrelated,
            },
        }
    }

    fn judge_connected(&self, seen: &Observation) -> Verdict {
        let Check::Connected {
            protocol,
            clean_session,
            keep_alive_min,
            keep_alive_max,
            has_will,
        } = self
        else {
            return Verdict::Unrelated;
        };
        let Observation::Connected {
            protocol: got_protocol,
            clean_start,
            keep_alive_s,
            will,
            ..
        } = seen
        else {
            return Verdict::Unrelated;
        };
        let on_off = |b: bool| if b { "on" } else { "off" };
        let hint = if let Some(want) = protocol.as_ref().filter(|w| *w != got_protocol) {
            format!("you connected with MQTT {got_protocol}; this step asks for MQTT {want}")
        } else if let Some(want) = clean_session.filter(|w| w != clean_start) {
            format!(
                "your client connected with clean session {}; this step asks for it {} (mosquitto_sub -c turns it off; paho: clean_session=False)",
                on_off(*clean_start),
                on_off(want)
            )
        } else if let Some(min) = keep_alive_min.filter(|m| keep_alive_s < m) {
            format!("your keep alive was {keep_alive_s} s; this step asks for at least {min} s")
        } else if let Some(max) = keep_alive_max.filter(|m| keep_alive_s > m) {
            format!("your keep alive was {keep_alive_s} s; this step asks for at most {max} s")
        } else if let Some(want) = has_will.filter(|w| w != will) {
            if want {
                "your CONNECT carried no last will; this step asks for one (mosquitto_sub --will-topic …)".to_owned()
            } else {
                "your CONNECT carried a last will; this step asks for none".to_owned()
            }
        } else {
            return Verdict::Done;
        };
        miss(hint, false)
    }

    fn judge_subscribed(&self, seen: &Observation, user: Option<&str>) -> Verdict {
        let Check::Subscribed {
            filter,
            pattern,
            wildcard,
            qos,
        } = self
        else {
            return Verdict::Unrelated;
        };
        let Observation::Subscribed { filters } = seen else {
            return Verdict::Unrelated;
        };
        let aimed = filter.is_some() || pattern.is_some();
        // The first filter's problem is the hint when none of the filters fits.
        let mut first_hint: Option<Verdict> = None;
        for (f, got_qos) in filters {
            let levels: Vec<&str> = f.split('/').collect();
            let plus = levels.contains(&"+");
            let hash = levels.last() == Some(&"#");
            let hint = if let Some(want) = filter.as_ref().filter(|w| !w.equals(f, user)) {
                Some(miss(
                    format!(
                        "you subscribed to {f}; this step asks for {}",
                        want.shown_for(user)
                    ),
                    false,
                ))
            } else if let Some(want) = pattern.as_ref().filter(|p| !p.matches(f, user)) {
                Some(miss(
                    format!(
                        "your filter {f} is not under {}; this step asks for one that is",
                        want.shown_for(user)
                    ),
                    false,
                ))
            } else {
                let wildcard_hint = match wildcard {
                    Some(Wildcard::SingleLevel) if !plus => Some(if hash {
                        format!("your filter {f} uses #; this step asks for one with + (one level)")
                    } else {
                        format!("your filter {f} has no wildcard; this step asks for one with +")
                    }),
                    Some(Wildcard::MultiLevel) if !hash => Some(if plus {
                        format!(
                            "your filter {f} uses +; this step asks for one ending in # (all levels below)"
                        )
                    } else {
                        format!("your filter {f} has no wildcard; this step asks for one with #")
                    }),
                    Some(Wildcard::Any) if !plus && !hash => Some(format!(
                        "your filter {f} has no wildcard; this step asks for one with + or #"
                    )),
                    Some(Wildcard::None) if plus || hash => Some(format!(
                        "your filter {f} has a wildcard; this step asks for one exact topic"
                    )),
                    _ => None,
                };
                match (wildcard_hint, qos) {
                    (Some(hint), _) => Some(miss(hint, aimed)),
                    (None, Some(want)) if want != got_qos => Some(miss(
                        format!(
                            "you subscribed to {f} at {}; this step asks for {}",
                            qos_words(*got_qos),
                            qos_words(*want)
                        ),
                        aimed,
                    )),
                    _ => None,
                }
            };
            match hint {
                None => return Verdict::Done,
                Some(hint) => {
                    first_hint.get_or_insert(hint);
                }
            }
        }
        first_hint.unwrap_or(Verdict::Unrelated)
    }

    fn judge_published(&self, seen: &Observation, user: Option<&str>) -> Verdict {
        let Check::Published {
            topic: want_topic,
            pattern,
            qos,
            retain,
        } = self
        else {
            return Verdict::Unrelated;
        };
        let Observation::Published {
            topic,
            qos: got_qos,
            retain: got_retain,
            ..
        } = seen
        else {
            return Verdict::Unrelated;
        };
        let aimed = want_topic.is_some() || pattern.is_some();
        let want = want_topic.as_ref().or(pattern.as_ref());
        if !under(want_topic, topic, user) || !under(pattern, topic, user) {
            let want = want.map(|p| p.shown_for(user)).unwrap_or_default();
            return miss(
                format!("you published to {topic}; this step asks for {want}"),
                false,
            );
        }
        if let Some(want) = qos.filter(|q| q != got_qos) {
            return miss(
                format!(
                    "you published at {}; this step asks for {}",
                    qos_words(*got_qos),
                    qos_words(want)
                ),
                aimed,
            );
        }
        match retain {
            Some(true) if !got_retain => miss(
                "your message was not retained; this step asks for the retain flag (mosquitto_pub -r, paho retain=True)".to_owned(),
                aimed,
            ),
            Some(false) if *got_retain => miss(
                "your message was retained; this step asks for one without the retain flag"
                    .to_owned(),
                aimed,
            ),
            _ => Verdict::Done,
        }
    }
}

fn judge_completed(
    want: u8,
    pattern: &Option<Pattern>,
    seen: &Observation,
    user: Option<&str>,
) -> Verdict {
    match seen {
        Observation::Completed { topic, qos } if *qos == want && under(pattern, topic, user) => {
            Verdict::Done
        }
        Observation::Published { topic, qos, .. }
            if *qos != want && under(pattern, topic, user) =>
        {
            miss(
                format!(
                    "you published at {}; this step asks for {}",
                    qos_words(*qos),
                    qos_words(want)
                ),
                pattern.is_some(),
            )
        }
        _ => Verdict::Unrelated,
    }
}

fn judge_retained(pattern: &Option<Pattern>, seen: &Observation, user: Option<&str>) -> Verdict {
    match seen {
        Observation::Received { topic, retain, .. } if under(pattern, topic, user) => {
            if *retain {
                Verdict::Done
            } else {
                miss(
                    format!(
                        "a message on {topic} reached a subscriber live, not as a retained message: publish with the retain flag first, then subscribe with a new client"
                    ),
                    false,
                )
            }
        }
        Observation::Published { topic, retain, .. } if !retain && under(pattern, topic, user) => {
            miss(
                format!(
                    "the message you published on {topic} was not retained, so a late subscriber gets nothing; publish it with the retain flag (mosquitto_pub -r, paho retain=True)"
                ),
                pattern.is_some(),
            )
        }
        _ => Verdict::Unrelated,
    }
}

fn judge_will(pattern: &Option<Pattern>, seen: &Observation, user: Option<&str>) -> Verdict {
    let Observation::Ended {
        clean,
        had_will,
        will_published,
    } = seen
    else {
        return Verdict::Unrelated;
    };
    match will_published {
        Some(topic) if under(pattern, topic, user) => Verdict::Done,
        Some(topic) => miss(
            format!(
                "the broker published a will on {topic}; this step asks for one on {}",
                pattern.as_ref().map(|p| p.shown_for(user)).unwrap_or_default()
            ),
            false,
        ),
        None if *clean && *had_will => miss(
            "your client said goodbye with DISCONNECT, so the broker threw its will away; end it abruptly instead (kill the process, close the laptop lid, pull the network)".to_owned(),
            false,
        ),
        None if !*clean && !*had_will => miss(
            "the connection dropped, but the client had set no last will; set one when it connects (mosquitto_sub --will-topic … --will-payload …)".to_owned(),
            false,
        ),
        None => Verdict::Unrelated,
    }
}

fn judge_session(pattern: &Option<Pattern>, seen: &Observation, user: Option<&str>) -> Verdict {
    match seen {
        Observation::Received {
            topic,
            queued: true,
            ..
        } if under(pattern, topic, user) => Verdict::Done,
        Observation::Connected {
            clean_start: false,
            resumed: false,
            ..
        } => miss(
            "the broker kept no session for this client id yet: connect once with clean session off and subscribe, disconnect, let someone publish, then reconnect with the same client id and clean session off".to_owned(),
            false,
        ),
        _ => Verdict::Unrelated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(topic: &str, qos: u8, retain: bool, protocol: &str) -> Observation {
        Observation::Published {
            topic: topic.to_owned(),
            qos,
            retain,
            protocol: protocol.to_owned(),
            message_expiry: false,
            user_property: false,
        }
    }

    fn subscribed(filter: &str, qos: u8) -> Observation {
        Observation::Subscribed {
            filters: vec![(filter.to_owned(), qos)],
        }
    }

    #[test]
    fn a_publish_at_the_wrong_qos_is_a_near_miss_and_the_right_one_is_done() {
        let check = Check::Published {
            topic: None,
            pattern: Some(Pattern::filter("class/{username}/#").unwrap()),
            qos: Some(1),
            retain: None,
        };
        assert_eq!(
            check.judge(&published("class/ann/t", 0, false, "3.1.1"), Some("ann")),
            Verdict::Miss {
                hint: "you published at QoS 0; this step asks for QoS 1".into(),
                specific: true
            }
        );
        assert_eq!(
            check.judge(&published("class/ann/t", 1, false, "3.1.1"), Some("ann")),
            Verdict::Done
        );
        // Someone else's topic is no attempt at this step.
        assert!(matches!(
            check.judge(&published("class/bob/t", 1, false, "3.1.1"), Some("ann")),
            Verdict::Miss {
                specific: false,
                ..
            }
        ));
    }

    #[test]
    fn wildcard_hints_say_what_the_filter_lacks() {
        let plus = Check::Subscribed {
            filter: None,
            pattern: None,
            wildcard: Some(Wildcard::SingleLevel),
            qos: None,
        };
        let hint = |o: &Observation| match plus.judge(o, None) {
            Verdict::Miss { hint, .. } => hint,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            hint(&subscribed("a/b", 0)),
            "your filter a/b has no wildcard; this step asks for one with +"
        );
        assert_eq!(
            hint(&subscribed("a/#", 0)),
            "your filter a/# uses #; this step asks for one with + (one level)"
        );
        assert_eq!(plus.judge(&subscribed("a/+/c", 0), None), Verdict::Done);
        // One fitting filter among several is enough.
        let both = Observation::Subscribed {
            filters: vec![("x".into(), 0), ("x/+".into(), 0)],
        };
        assert_eq!(plus.judge(&both, None), Verdict::Done);
    }

    #[test]
    fn completion_checks_need_the_broker_answer_at_their_qos() {
        let qos2 = Check::Qos2Complete { pattern: None };
        let done = Observation::Completed {
            topic: "t".into(),
            qos: 2,
        };
        assert_eq!(qos2.judge(&done, None), Verdict::Done);
        let qos1_done = Observation::Completed {
            topic: "t".into(),
            qos: 1,
        };
        assert_eq!(qos2.judge(&qos1_done, None), Verdict::Unrelated);
        assert!(matches!(
            qos2.judge(&published("t", 1, false, "5"), None),
            Verdict::Miss { .. }
        ));
    }

    #[test]
    fn a_will_thrown_away_by_a_clean_disconnect_gets_a_hint() {
        let will = Check::WillDelivered { pattern: None };
        let clean = Observation::Ended {
            clean: true,
            had_will: true,
            will_published: None,
        };
        assert!(
            matches!(will.judge(&clean, None), Verdict::Miss { hint, .. } if hint.contains("DISCONNECT"))
        );
        let lost = Observation::Ended {
            clean: false,
            had_will: true,
            will_published: Some("s".into()),
        };
        assert_eq!(will.judge(&lost, None), Verdict::Done);
    }

    #[test]
    fn mqtt5_properties_need_mqtt5() {
        let check = Check::Mqtt5Property {
            property: Property::Any,
            pattern: None,
        };
        assert!(matches!(
            check.judge(&published("t", 0, false, "3.1.1"), None),
            Verdict::Miss { hint, .. } if hint.contains("MQTT 3.1.1, which has no properties")
        ));
        let with_expiry = Observation::Published {
            topic: "t".into(),
            qos: 0,
            retain: false,
            protocol: "5".into(),
            message_expiry: true,
            user_property: false,
        };
        assert_eq!(check.judge(&with_expiry, None), Verdict::Done);
    }
}
