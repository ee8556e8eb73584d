//! Parse and validation errors name the exact line and column and say what was expected.

use super::super::{PayloadFormat, Template, TemplateErrorKind};
use super::support::text_error;

fn message(source: &str) -> String {
    text_error(source).to_string()
}

#[test]
fn unclosed_placeholder_at_end_of_multiline_template() {
    let error = text_error("{\n  \"t\": {{int(1, 2)");
    assert_eq!((error.line, error.column), (2, 19));
    assert_eq!(
        error.to_string(),
        "line 2, column 19: expected \"}}\" to close the placeholder, found end of template"
    );
}

#[test]
fn unclosed_placeholder_found_other_text() {
    assert_eq!(
        message("a {{ int(1, 2) x }}"),
        "line 1, column 16: expected \"}}\" to close the placeholder, found \"x\""
    );
}

#[test]
fn unknown_generator_lists_the_known_ones() {
    assert_eq!(
        message("{{sinus}}"),
        "line 1, column 3: unknown generator \"sinus\"; known generators: counter, int, float, sine, walk, choice, bool, timestamp, index, group, client_id, uuid"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let error = text_error("ünïcödé\n  äö {{ nope }}");
    assert_eq!((error.line, error.column), (2, 9));
}

#[test]
fn empty_placeholder() {
    assert_eq!(
        message("x{{ }}"),
        "line 1, column 5: expected a generator name (such as int or counter) or a \"quoted string\" after \"{{\", found \"}\""
    );
}

#[test]
fn int_min_above_max_points_at_the_generator() {
    assert_eq!(
        message("{{int(10, 5)}}"),
        "line 1, column 3: int: min (10) is above max (5)"
    );
}

#[test]
fn float_and_walk_min_above_max() {
    assert_eq!(
        message("{{float(2.5, 1)}}"),
        "line 1, column 3: float: min (2.5) is above max (1)"
    );
    assert_eq!(
        message("{{walk(0, 1, 5, -5)}}"),
        "line 1, column 3: walk: min (5) is above max (-5)"
    );
}

#[test]
fn sine_period_must_be_positive() {
    assert_eq!(
        message("{{sine(0s)}}"),
        "line 1, column 8: sine: period must be more than 0, found 0s"
    );
    assert_eq!(
        message("{{sine(period=-3)}}"),
        "line 1, column 8: sine: period must be more than 0, found -3"
    );
}

#[test]
fn bool_probability_must_be_between_zero_and_one() {
    assert_eq!(
        message("{{bool(1.5)}}"),
        "line 1, column 8: bool: p must be between 0 and 1, found 1.5"
    );
}

#[test]
fn precision_must_be_zero_to_ten() {
    assert_eq!(
        message("{{float(0, 1, 11)}}"),
        "line 1, column 15: float: precision must be 0 to 10, found 11"
    );
    assert_eq!(
        message("{{sine(precision=-1)}}"),
        "line 1, column 8: sine: precision must be 0 to 10, found -1"
    );
}

#[test]
fn walk_start_and_step_are_checked() {
    assert_eq!(
        message("{{walk(20, 1, 0, 10)}}"),
        "line 1, column 8: walk: start (20) must be between min (0) and max (10)"
    );
    assert_eq!(
        message("{{walk(5, -1, 0, 10)}}"),
        "line 1, column 11: walk: step must be 0 or more, found -1"
    );
}

#[test]
fn unknown_argument_name() {
    assert_eq!(
        message("{{int(min=1, maximum=2)}}"),
        "line 1, column 14: int has no argument named \"maximum\"; usage: int(min, max)"
    );
}

#[test]
fn too_many_arguments() {
    assert_eq!(
        message("{{int(1, 2, 3)}}"),
        "line 1, column 13: too many arguments for int; usage: int(min, max)"
    );
    assert_eq!(
        message("{{uuid(4)}}"),
        "line 1, column 8: too many arguments for uuid; usage: uuid"
    );
}

#[test]
fn missing_required_bounds() {
    assert_eq!(
        message("{{int}}"),
        "line 1, column 3: int: missing required argument \"min\"; usage: int(min, max)"
    );
    assert_eq!(
        message("{{float(1)}}"),
        "line 1, column 3: float: missing required argument \"max\"; usage: float(min, max, precision=2)"
    );
    assert_eq!(
        message("{{walk(1, 1, max=3)}}"),
        "line 1, column 3: walk: missing required argument \"min\"; usage: walk(start, step, min, max, precision=2)"
    );
}

#[test]
fn argument_given_twice() {
    assert_eq!(
        message("{{int(1, 5, min=2)}}"),
        "line 1, column 13: int: argument \"min\" is given twice"
    );
}

#[test]
fn positional_after_named() {
    assert_eq!(
        message("{{int(min=1, 5)}}"),
        "line 1, column 14: a positional argument cannot follow a named one; put positional arguments first"
    );
}

#[test]
fn wrong_argument_types() {
    assert_eq!(
        message("{{int(1.5, 3)}}"),
        "line 1, column 7: int: min must be a whole number that fits in 64 bits, found 1.5"
    );
    assert_eq!(
        message("{{float(\"a\", 3)}}"),
        "line 1, column 9: float: min must be a number, found \"a\""
    );
    assert_eq!(
        message("{{choice(ok, warn)}}"),
        "line 1, column 10: choice: item 1 must be a number or a \"quoted string\", found the bare word ok (put text in double quotes: \"ok\")"
    );
    assert_eq!(
        message("{{sine(period=\"fast\")}}"),
        "line 1, column 8: sine: period must be a duration such as 500ms, 2s or 5min, found \"fast\""
    );
}

#[test]
fn choice_needs_items() {
    assert_eq!(
        message("{{choice()}}"),
        "line 1, column 3: choice: needs at least one item, for example choice(\"on\", \"off\")"
    );
}

#[test]
fn timestamp_format_must_be_known() {
    assert_eq!(
        message("{{timestamp(rfc)}}"),
        "line 1, column 13: timestamp: unknown format rfc; use unix_ms, unix or iso"
    );
}

#[test]
fn unterminated_strings() {
    assert_eq!(
        message("x\n{{choice(\"a\", \"b)}}"),
        "line 2, column 15: unterminated string: expected a closing \" before the end of the template"
    );
    assert_eq!(
        message("{{choice(\"a)}}\nnext line"),
        "line 1, column 10: unterminated string: expected a closing \" before the end of the line"
    );
}

#[test]
fn unknown_escape() {
    assert_eq!(
        message(r#"{{"a\qb"}}"#),
        "line 1, column 5: unknown escape \"\\q\" in a string; write \\\" for a quote, \\\\ for a backslash, \\n for a line break or \\t for a tab"
    );
}

#[test]
fn malformed_numbers_and_durations() {
    assert_eq!(
        message("{{int(-, 3)}}"),
        "line 1, column 7: \"-\" is not a number; write numbers like 12, -3 or 0.5"
    );
    assert_eq!(
        message("{{int(1., 3)}}"),
        "line 1, column 7: \"1.\" is not a number; write numbers like 12, -3 or 0.5"
    );
    assert_eq!(
        message("{{sine(5m)}}"),
        "line 1, column 8: unknown unit \"m\" in 5m; durations use ms, s, min or h (for example 500ms, 2s, 5min)"
    );
    assert_eq!(
        message("{{sine(-5s)}}"),
        "line 1, column 8: the duration -5s is negative or too large"
    );
}

#[test]
fn missing_comma_between_arguments() {
    assert_eq!(
        message("{{int(1 2)}}"),
        "line 1, column 9: expected \",\" or \")\" after an argument, found \"2\""
    );
}

#[test]
fn missing_argument_value() {
    assert_eq!(
        message("{{int(1,)}}"),
        "line 1, column 9: expected an argument value (a number, a \"quoted string\", a duration like 2s, or a word), found \")\""
    );
}

#[test]
fn error_kind_is_exposed_for_programs() {
    let error = Template::parse("{{bool(2)}}", PayloadFormat::Text).unwrap_err();
    assert!(matches!(
        error.kind,
        TemplateErrorKind::ProbabilityOutOfRange { .. }
    ));
}
