//! MQTT topic filter parsing and matching, and topic name validation, as MQTT 3.1.1 and 5 define them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// MQTT strings carry a 16-bit length prefix, so no topic or filter can be longer.
pub const MAX_TOPIC_BYTES: usize = 65_535;

const LEVEL_SEPARATOR: char = '/';
const MULTI_LEVEL_WILDCARD: char = '#';
const SINGLE_LEVEL_WILDCARD: char = '+';

/// Why a subscription filter was rejected, worded so the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FilterError {
    #[error("the filter is empty: write a topic such as \"sensors/#\", or \"#\" for every topic")]
    Empty,
    #[error("the filter is {length} bytes long, but MQTT allows at most 65535 bytes: shorten it")]
    TooLong { length: usize },
    #[error("the filter contains a NUL character, which MQTT forbids: remove it")]
    ContainsNul,
    #[error("\"#\" must be the last level of a filter, alone: write \"{suggestion}\"")]
    MultiLevelWildcardMisplaced { suggestion: String },
    #[error("\"+\" must fill a whole level: write \"{suggestion}\", not \"{filter}\"")]
    SingleLevelWildcardNotAlone { filter: String, suggestion: String },
}

/// Why a topic cannot be published to, worded so the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicNameError {
    #[error("the topic is empty: write one such as \"sensors/kitchen/temperature\"")]
    Empty,
    #[error("the topic is {length} bytes long, but MQTT allows at most 65535 bytes: shorten it")]
    TooLong { length: usize },
    #[error("the topic contains a NUL character, which MQTT forbids: remove it")]
    ContainsNul,
    #[error(
        "the topic contains \"{wildcard}\", which only subscription filters may use: \
         publish to a concrete topic such as \"sensors/kitchen/temperature\""
    )]
    ContainsWildcard { wildcard: char },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FilterLevel {
    Exact(Box<str>),
    AnyOneLevel,
    AllRemainingLevels,
}

/// A validated subscription filter with its levels split once, so matching does not re-parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TopicFilter {
    text: String,
    levels: Box<[FilterLevel]>,
    has_wildcards: bool,
    starts_with_wildcard: bool,
}

impl TopicFilter {
    pub fn parse(filter: &str) -> Result<TopicFilter, FilterError> {
        check_common_rules(filter).map_err(|rule| match rule {
            CommonRule::Empty => FilterError::Empty,
            CommonRule::TooLong(length) => FilterError::TooLong { length },
            CommonRule::ContainsNul => FilterError::ContainsNul,
        })?;
        let level_count = filter.split(LEVEL_SEPARATOR).count();
        let mut levels = Vec::with_capacity(level_count);
        for (index, level) in filter.split(LEVEL_SEPARATOR).enumerate() {
            let is_last = index + 1 == level_count;
            if level.contains(MULTI_LEVEL_WILDCARD) {
                if level.len() != 1 || !is_last {
                    return Err(FilterError::MultiLevelWildcardMisplaced {
                        suggestion: suggest_valid_filter(filter),
                    });
                }
                levels.push(FilterLevel::AllRemainingLevels);
            } else if level.contains(SINGLE_LEVEL_WILDCARD) {
                if level.len() != 1 {
                    return Err(FilterError::SingleLevelWildcardNotAlone {
                        filter: filter.to_owned(),
                        suggestion: suggest_valid_filter(filter),
                    });
                }
                levels.push(FilterLevel::AnyOneLevel);
            } else {
                levels.push(FilterLevel::Exact(level.into()));
            }
        }
        let has_wildcards = levels
            .iter()
            .any(|level| !matches!(level, FilterLevel::Exact(_)));
        let starts_with_wildcard = matches!(
            levels.first(),
            Some(FilterLevel::AnyOneLevel | FilterLevel::AllRemainingLevels)
        );
        Ok(TopicFilter {
            text: filter.to_owned(),
            levels: levels.into_boxed_slice(),
            has_wildcards,
            starts_with_wildcard,
        })
    }

    /// Whether a message published on `topic` is delivered to this filter.
    pub fn matches(&self, topic: &str) -> bool {
        // The spec keeps `$SYS`-style topics away from subscribers that merely used a wildcard.
        if self.starts_with_wildcard && topic.starts_with('$') {
            return false;
        }
        if !self.has_wildcards {
            return topic == self.text;
        }
        let mut topic_levels = topic.split(LEVEL_SEPARATOR);
        for level in self.levels.iter() {
            match level {
                // `a/#` also matches `a` itself, so "no more levels" is fine here.
                FilterLevel::AllRemainingLevels => return true,
                FilterLevel::AnyOneLevel => {
                    if topic_levels.next().is_none() {
                        return false;
                    }
                }
                FilterLevel::Exact(expected) => {
                    if topic_levels.next() != Some(&**expected) {
                        return false;
                    }
                }
            }
        }
        topic_levels.next().is_none()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn has_wildcards(&self) -> bool {
        self.has_wildcards
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

impl FromStr for TopicFilter {
    type Err = FilterError;

    fn from_str(filter: &str) -> Result<Self, Self::Err> {
        TopicFilter::parse(filter)
    }
}

impl TryFrom<String> for TopicFilter {
    type Error = FilterError;

    fn try_from(filter: String) -> Result<Self, Self::Error> {
        TopicFilter::parse(&filter)
    }
}

impl From<TopicFilter> for String {
    fn from(filter: TopicFilter) -> String {
        filter.text
    }
}

/// Checks a topic that is about to be published: concrete, non-empty, and within MQTT's limits.
pub fn validate_topic_name(topic: &str) -> Result<(), TopicNameError> {
    check_common_rules(topic).map_err(|rule| match rule {
        CommonRule::Empty => TopicNameError::Empty,
        CommonRule::TooLong(length) => TopicNameError::TooLong { length },
        CommonRule::ContainsNul => TopicNameError::ContainsNul,
    })?;
    match topic.find([SINGLE_LEVEL_WILDCARD, MULTI_LEVEL_WILDCARD]) {
        Some(position) => Err(TopicNameError::ContainsWildcard {
            wildcard: topic
                .get(position..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(SINGLE_LEVEL_WILDCARD),
        }),
        None => Ok(()),
    }
}

enum CommonRule {
    Empty,
    TooLong(usize),
    ContainsNul,
}

fn check_common_rules(text: &str) -> Result<(), CommonRule> {
    if text.is_empty() {
        return Err(CommonRule::Empty);
    }
    if text.len() > MAX_TOPIC_BYTES {
        return Err(CommonRule::TooLong(text.len()));
    }
    if text.contains('\0') {
        return Err(CommonRule::ContainsNul);
    }
    Ok(())
}

/// Rewrites a broken filter into the nearest valid one, so error messages can show a fix
/// that itself passes validation even when several levels are wrong.
fn suggest_valid_filter(filter: &str) -> String {
    let mut fixed_levels: Vec<String> = Vec::new();
    for level in filter.split(LEVEL_SEPARATOR) {
        if level.contains(MULTI_LEVEL_WILDCARD) {
            let without_hash: String = level
                .chars()
                .filter(|&c| c != MULTI_LEVEL_WILDCARD)
                .collect();
            if !without_hash.is_empty() {
                fixed_levels.push(fix_single_level_wildcard(&without_hash));
            }
            fixed_levels.push(MULTI_LEVEL_WILDCARD.to_string());
            break;
        }
        fixed_levels.push(fix_single_level_wildcard(level));
    }
    fixed_levels.join("/")
}

fn fix_single_level_wildcard(level: &str) -> String {
    if level.contains(SINGLE_LEVEL_WILDCARD) {
        SINGLE_LEVEL_WILDCARD.to_string()
    } else {
        level.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> TopicFilter {
        TopicFilter::parse(text).unwrap()
    }

    #[test]
    fn matching_table_from_the_spec() {
        let cases: &[(&str, &str, bool)] = &[
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/ranking",
                true,
            ),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
                true,
            ),
            ("sport/#", "sport", true),
            ("sport/#", "sports", false),
            ("#", "sport/tennis", true),
            ("#", "/", true),
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player1/ranking", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            ("+", "finance", true),
            ("sport/+/player1", "sport/tennis/player1", true),
            ("+/tennis/#", "sport/tennis", true),
            ("a//b", "a//b", true),
            ("a//b", "a/b", false),
            ("a/+/b", "a//b", true),
            ("/a", "/a", true),
            ("/a", "a", false),
            ("/#", "/a/b", true),
            ("ACCOUNTS", "Accounts", false),
            ("Accounts payable", "Accounts payable", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
        ];
        for &(filter_text, topic, expected) in cases {
            assert_eq!(
                filter(filter_text).matches(topic),
                expected,
                "{filter_text} vs {topic}"
            );
        }
    }

    #[test]
    fn dollar_topics_are_hidden_from_leading_wildcards() {
        assert!(!filter("#").matches("$SYS/x"));
        assert!(!filter("+/x").matches("$SYS/x"));
        assert!(!filter("+/monitor/Clients").matches("$SYS/monitor/Clients"));
        assert!(filter("$SYS/#").matches("$SYS/x"));
        assert!(filter("$SYS/#").matches("$SYS"));
        assert!(filter("$SYS/monitor/+").matches("$SYS/monitor/Clients"));
        assert!(filter("$SYS/x").matches("$SYS/x"));
        // Only a leading `$` is special.
        assert!(filter("#").matches("a/$SYS"));
    }

    #[test]
    fn invalid_filters_explain_the_fix() {
        let message = |text: &str| TopicFilter::parse(text).unwrap_err().to_string();
        assert_eq!(
            message(""),
            "the filter is empty: write a topic such as \"sensors/#\", or \"#\" for every topic"
        );
        assert_eq!(
            message("sensors/#/temp"),
            "\"#\" must be the last level of a filter, alone: write \"sensors/#\""
        );
        assert_eq!(
            message("sensors#"),
            "\"#\" must be the last level of a filter, alone: write \"sensors/#\""
        );
        assert_eq!(
            message("sport/tennis#"),
            "\"#\" must be the last level of a filter, alone: write \"sport/tennis/#\""
        );
        assert_eq!(
            message("sensors/t+/temp"),
            "\"+\" must fill a whole level: write \"sensors/+/temp\", not \"sensors/t+/temp\""
        );
        assert_eq!(
            message("sport+"),
            "\"+\" must fill a whole level: write \"+\", not \"sport+\""
        );
        assert_eq!(
            message("a+/b#"),
            "\"+\" must fill a whole level: write \"+/b/#\", not \"a+/b#\""
        );
        assert_eq!(
            message("a\0b"),
            "the filter contains a NUL character, which MQTT forbids: remove it"
        );
        assert_eq!(
            message(&"a".repeat(MAX_TOPIC_BYTES + 1)),
            "the filter is 65536 bytes long, but MQTT allows at most 65535 bytes: shorten it"
        );
        assert!(TopicFilter::parse(&"a".repeat(MAX_TOPIC_BYTES)).is_ok());
    }

    #[test]
    fn valid_filters_from_the_spec() {
        for text in [
            "#",
            "+",
            "+/+",
            "/+",
            "sport/tennis/#",
            "+/tennis/#",
            "sport/+/player1",
            "/",
            "//",
            "$SYS/#",
        ] {
            assert_eq!(filter(text).as_str(), text);
        }
    }

    #[test]
    fn topic_names_reject_wildcards_and_limits() {
        assert_eq!(validate_topic_name("a/b"), Ok(()));
        assert_eq!(validate_topic_name("/a//b"), Ok(()));
        assert_eq!(validate_topic_name(""), Err(TopicNameError::Empty));
        assert_eq!(validate_topic_name("a\0"), Err(TopicNameError::ContainsNul));
        assert_eq!(
            validate_topic_name("a/#"),
            Err(TopicNameError::ContainsWildcard { wildcard: '#' })
        );
        assert_eq!(
            validate_topic_name("a/+/b"),
            Err(TopicNameError::ContainsWildcard { wildcard: '+' })
        );
        assert_eq!(
            validate_topic_name(&"é".repeat(40_000)),
            Err(TopicNameError::TooLong { length: 80_000 })
        );
        assert_eq!(
            validate_topic_name("a/+").unwrap_err().to_string(),
            "the topic contains \"+\", which only subscription filters may use: \
             publish to a concrete topic such as \"sensors/kitchen/temperature\""
        );
    }

    #[test]
    fn filters_round_trip_through_serde() {
        let json = serde_json::to_string(&filter("a/+/#")).unwrap();
        assert_eq!(json, "\"a/+/#\"");
        let back: TopicFilter = serde_json::from_str(&json).unwrap();
        assert!(back.matches("a/b/c"));
        assert!(serde_json::from_str::<TopicFilter>("\"a#\"").is_err());
    }
}
