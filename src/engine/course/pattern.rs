//! A check's topic or filter pattern: an MQTT filter in which a level `{username}` stands for the
//! learner's user name (any one level when the learner signed in without one).

use crate::engine::watch::topic_filter::{TopicFilter, validate_topic_name};

/// The placeholder a pattern level may be.
pub const USERNAME: &str = "{username}";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Literal(String),
    Username,
    AnyOne,
    AllRemaining,
}

/// A validated pattern, split into levels once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    levels: Vec<Level>,
}

impl Pattern {
    /// A filter pattern (wildcards allowed); the error says what is wrong in words.
    pub fn filter(text: &str) -> Result<Self, String> {
        // Validated as the filter it stands for, with the user name as one level.
        TopicFilter::parse(&text.replace(USERNAME, "+")).map_err(|e| e.to_string())?;
        Ok(Self::split(text))
    }

    /// A topic name (no wildcards; `{username}` allowed).
    pub fn topic(text: &str) -> Result<Self, String> {
        validate_topic_name(&text.replace(USERNAME, "u")).map_err(|e| e.to_string())?;
        Ok(Self::split(text))
    }

    fn split(text: &str) -> Self {
        let levels = text
            .split('/')
            .map(|level| match level {
                USERNAME => Level::Username,
                "+" => Level::AnyOne,
                "#" => Level::AllRemaining,
                other => Level::Literal(other.to_owned()),
            })
            .collect();
        Self {
            text: text.to_owned(),
            levels,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The pattern as the learner would read it: `{username}` filled in when known.
    pub fn shown_for(&self, username: Option<&str>) -> String {
        match username {
            Some(name) => self.text.replace(USERNAME, name),
            None => self.text.clone(),
        }
    }

    /// Whether `text` (a topic, or a filter read level by level) falls under this pattern the way
    /// a topic falls under an MQTT filter.
    pub fn matches(&self, text: &str, username: Option<&str>) -> bool {
        let mut parts = text.split('/');
        for level in &self.levels {
            match level {
                Level::AllRemaining => return true,
                Level::AnyOne => {
                    if parts.next().is_none() {
                        return false;
                    }
                }
                Level::Username => match (parts.next(), username) {
                    (None, _) => return false,
                    (Some(part), Some(name)) if part != name => return false,
                    _ => {}
                },
                Level::Literal(expected) => {
                    if parts.next() != Some(expected.as_str()) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }

    /// Whether `filter` is exactly this pattern (wildcards must be the same wildcards).
    pub fn equals(&self, filter: &str, username: Option<&str>) -> bool {
        let parts: Vec<&str> = filter.split('/').collect();
        parts.len() == self.levels.len()
            && self
                .levels
                .iter()
                .zip(parts)
                .all(|(level, part)| match level {
                    Level::Literal(expected) => part == expected,
                    Level::AnyOne => part == "+",
                    Level::AllRemaining => part == "#",
                    Level::Username => match username {
                        Some(name) => part == name,
                        None => part != "+" && part != "#",
                    },
                })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_levels_follow_the_learner_and_match_anyone_without_one() {
        let p = Pattern::filter("class/{username}/#").unwrap();
        assert!(p.matches("class/ann/t", Some("ann")));
        assert!(!p.matches("class/bob/t", Some("ann")));
        assert!(p.matches("class/bob/t", None));
        assert!(!p.matches("other/bob/t", None));
        // A learner's filter read as levels falls under a pattern too.
        assert!(p.matches("class/ann/+", Some("ann")));
    }

    #[test]
    fn equality_keeps_wildcards_apart() {
        let p = Pattern::filter("class/+/temp").unwrap();
        assert!(p.equals("class/+/temp", None));
        assert!(!p.equals("class/ann/temp", None));
        let u = Pattern::filter("class/{username}").unwrap();
        assert!(u.equals("class/ann", Some("ann")));
        assert!(u.equals("class/ann", None));
        assert!(!u.equals("class/+", None));
    }

    #[test]
    fn invalid_patterns_are_refused_in_words() {
        assert!(Pattern::filter("a/#/b").unwrap_err().contains("last level"));
        assert!(
            Pattern::topic("a/+")
                .unwrap_err()
                .contains("only subscription filters")
        );
        assert!(Pattern::topic("class/{username}/x").is_ok());
    }
}
