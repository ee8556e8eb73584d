//! Topic and client-id patterns: expansion and every error.

use super::super::{
    ClientIdError, Pattern, PatternError, PatternKind, TopicError, check_expanded_client_id,
    check_expanded_topic,
};

fn topic(source: &str) -> Pattern {
    Pattern::parse(source, PatternKind::Topic).unwrap()
}

fn topic_error(source: &str) -> PatternError {
    Pattern::parse(source, PatternKind::Topic).unwrap_err()
}

fn client_id_error(source: &str) -> PatternError {
    Pattern::parse(source, PatternKind::ClientId).unwrap_err()
}

#[test]
fn expands_every_placeholder() {
    let pattern = topic("sensors/{group}/{n}/{n:03}/{client_id}");
    assert_eq!(
        pattern.expand("kitchen", 7, "kitchen-007"),
        "sensors/kitchen/7/007/kitchen-007"
    );
}

#[test]
fn zero_padding_does_not_truncate_wide_numbers() {
    assert_eq!(topic("{n:02}").expand("g", 1234, "c"), "1234");
    assert_eq!(topic("{n:09}").expand("g", 5, "c"), "000000005");
}

#[test]
fn doubled_braces_are_literal() {
    assert_eq!(topic("a{{b}}/{n}").expand("g", 1, "c"), "a{b}/1");
}

#[test]
fn client_id_patterns_expand() {
    let pattern = Pattern::parse("{group}-{n:04}", PatternKind::ClientId).unwrap();
    assert_eq!(pattern.expand("pump", 12, "ignored"), "pump-0012");
    assert_eq!(pattern.source(), "{group}-{n:04}");
    assert_eq!(pattern.kind(), PatternKind::ClientId);
}

#[test]
fn empty_pattern() {
    assert_eq!(topic_error(""), PatternError::Empty);
}

#[test]
fn unknown_placeholder_lists_the_known_ones() {
    assert_eq!(
        topic_error("a/{grop}").to_string(),
        "column 3: unknown placeholder {grop}; known placeholders: {group}, {n}, {n:03}, {client_id}"
    );
    assert_eq!(
        client_id_error("x{index}").to_string(),
        "column 2: unknown placeholder {index}; known placeholders: {group}, {n}, {n:03}"
    );
}

#[test]
fn unclosed_placeholder() {
    assert_eq!(
        topic_error("ab/{group/x").to_string(),
        "column 4: \"{\" starts a placeholder that is not closed with \"}\"; write \"{{\" for a literal brace"
    );
    assert_eq!(
        topic_error("{n"),
        PatternError::UnclosedPlaceholder { column: 1 }
    );
}

#[test]
fn unmatched_closing_brace() {
    assert_eq!(
        topic_error("a}b").to_string(),
        "column 2: \"}\" closes nothing; write \"}}\" for a literal brace"
    );
}

#[test]
fn invalid_widths() {
    for (source, column) in [("{n:3}", 1), ("x{n:00}", 2), ("{n:010}", 1), ("{n:}", 1)] {
        assert!(
            matches!(topic_error(source), PatternError::InvalidWidth { column: c, .. } if c == column),
            "{source}"
        );
    }
    assert_eq!(
        topic_error("{n:3}").to_string(),
        "column 1: invalid width in {n:3}; write {n:0W} with W from 1 to 9, such as {n:03}"
    );
}

#[test]
fn columns_after_placeholders_and_wide_characters() {
    assert_eq!(
        topic_error("ä/{group}/{n:03}/+").to_string(),
        "column 18: wildcards + and # are for subscribing; a device publishes to one exact topic: remove the +"
    );
    assert_eq!(
        topic_error("a/#"),
        PatternError::Wildcard {
            column: 3,
            character: '#'
        }
    );
}

#[test]
fn nul_is_rejected() {
    assert_eq!(topic_error("a\0b"), PatternError::Nul { column: 2 });
    assert_eq!(client_id_error("a\0b"), PatternError::Nul { column: 2 });
}

#[test]
fn client_id_rejects_broker_forbidden_characters() {
    for (source, character) in [("a+b", '+'), ("a$b", '$'), ("a#b", '#'), ("a/b", '/')] {
        assert_eq!(
            client_id_error(source),
            PatternError::ForbiddenClientIdCharacter {
                column: 2,
                character
            },
            "{source}"
        );
    }
    assert_eq!(
        client_id_error("dev/{n}").to_string(),
        "column 4: a client id must not contain \"/\" (the embedded broker refuses +, $, # and /)"
    );
}

#[test]
fn client_id_placeholder_only_in_topics() {
    assert_eq!(
        client_id_error("{group}{client_id}"),
        PatternError::ClientIdInClientIdPattern { column: 8 }
    );
}

#[test]
fn validate_with_checks_the_group_name_after_expansion() {
    let pattern = topic("sensors/{group}/{n}");
    assert_eq!(
        pattern.validate_with("kitchen").unwrap(),
        "sensors/kitchen/1"
    );
    assert_eq!(
        pattern.validate_with("a+b").unwrap_err().to_string(),
        "with group \"a+b\" the topic becomes \"sensors/a+b/1\": wildcards + and # are for subscribing; a device publishes to one exact topic: remove the +"
    );
    let client_id = Pattern::parse("{group}-{n}", PatternKind::ClientId).unwrap();
    assert_eq!(
        client_id.validate_with("floor/2").unwrap_err(),
        PatternError::InvalidClientId {
            group: "floor/2".to_owned(),
            client_id: "floor/2-1".to_owned(),
            problem: ClientIdError::ForbiddenCharacter { character: '/' },
        }
    );
    let only_group = Pattern::parse("{group}", PatternKind::ClientId).unwrap();
    assert!(matches!(
        only_group.validate_with(""),
        Err(PatternError::InvalidClientId {
            problem: ClientIdError::Empty,
            ..
        })
    ));
}

#[test]
fn expanded_topic_checks() {
    assert_eq!(check_expanded_topic("a/b"), Ok(()));
    assert_eq!(check_expanded_topic(""), Err(TopicError::Empty));
    assert_eq!(
        check_expanded_topic("a/#"),
        Err(TopicError::Wildcard { character: '#' })
    );
    assert_eq!(check_expanded_topic("a\0"), Err(TopicError::Nul));
    let long = "x".repeat(65_536);
    assert_eq!(
        check_expanded_topic(&long),
        Err(TopicError::TooLong { bytes: 65_536 })
    );
    assert_eq!(check_expanded_topic(&long[1..]), Ok(()));
}

#[test]
fn expanded_client_id_checks() {
    assert_eq!(check_expanded_client_id("dev-1"), Ok(()));
    assert_eq!(check_expanded_client_id(""), Err(ClientIdError::Empty));
    assert_eq!(
        check_expanded_client_id("$sys"),
        Err(ClientIdError::ForbiddenCharacter { character: '$' })
    );
    assert_eq!(check_expanded_client_id("a\0"), Err(ClientIdError::Nul));
}
