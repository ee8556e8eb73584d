//! JSON templates are checked by rendering a sample; errors point into both the sample and the template.

use super::super::{PayloadFormat, Template, TemplateErrorKind};

#[test]
fn the_documented_example_is_valid_json() {
    let source = r#"{"temperature": {{float(18, 26, 1)}}, "status": "{{choice("ok","warn")}}", "ts": {{timestamp}}}"#;
    let template = Template::parse(source, PayloadFormat::Json).unwrap();
    let mut state = template.new_state(1, 1);
    let rendered = template.render(&mut state, &super::support::context());
    let parsed: serde_json::Value = serde_json::from_str(&rendered).unwrap();
    assert!(parsed["temperature"].is_f64());
    assert_eq!(parsed["ts"], 1_709_296_496_789_u64);
}

#[test]
fn a_missing_quote_is_reported_in_sample_and_template() {
    let source = "{\n  \"status\": {{choice(\"ok\")}},\n  \"n\": 1\n}";
    let error = Template::parse(source, PayloadFormat::Json).unwrap_err();
    // The unquoted `ok` comes from the placeholder at line 2, column 13 of the template.
    assert_eq!((error.line, error.column), (2, 13));
    assert_eq!(
        error.to_string(),
        "line 2, column 13: the payload is not valid JSON: in the rendered sample, line 2, column 13: expected value; the sample was: {\n  \"status\": ok,\n  \"n\": 1\n}"
    );
}

#[test]
fn an_error_in_literal_text_points_at_that_character() {
    let source = "{\"a\": {{int(1, 9)}}, \"b\": tru}";
    let error = Template::parse(source, PayloadFormat::Json).unwrap_err();
    let TemplateErrorKind::InvalidJson {
        sample_line,
        message,
        ..
    } = &error.kind
    else {
        panic!("expected a JSON error, got {error}");
    };
    assert_eq!(*sample_line, 1);
    assert_eq!(message, "expected ident");
    // serde_json stops on the `}` right after `tru`, which is column 30 of the template.
    assert_eq!((error.line, error.column), (1, 30));
}

#[test]
fn trailing_text_is_reported() {
    let error = Template::parse("{\"a\": 1} x", PayloadFormat::Json).unwrap_err();
    assert_eq!((error.line, error.column), (1, 10));
    assert!(error.to_string().contains("trailing characters"), "{error}");
}

#[test]
fn an_empty_json_template_is_rejected() {
    let error = Template::parse("", PayloadFormat::Json).unwrap_err();
    assert_eq!((error.line, error.column), (1, 1));
    assert!(
        error.to_string().contains("EOF while parsing a value"),
        "{error}"
    );
}

#[test]
fn text_templates_are_not_checked_as_json() {
    assert!(Template::parse("{not json", PayloadFormat::Text).is_ok());
}
