//! Literal text, brace handling, JSON escaping and the preview helper.

use std::time::Duration;

use super::super::{PayloadFormat, RenderContext, Template};
use super::support::{SEED, context, renders, text};

#[test]
fn literal_text_passes_through_untouched() {
    assert_eq!(
        renders("plain text, no placeholders\n", 1),
        ["plain text, no placeholders\n"]
    );
    assert_eq!(renders("", 1), [""]);
}

#[test]
fn lone_closing_braces_are_literal_so_json_objects_work() {
    assert_eq!(
        renders(r#"{"a":{"b":{{counter}}}}"#, 1),
        [r#"{"a":{"b":0}}"#]
    );
    assert_eq!(renders("}} and }", 1), ["}} and }"]);
}

#[test]
fn a_quoted_string_placeholder_writes_literal_braces() {
    assert_eq!(renders(r#"{{"{{"}}counter{{ "}}" }}"#, 1), ["{{counter}}"]);
}

#[test]
fn three_opening_braces_are_a_brace_then_a_placeholder() {
    assert_eq!(renders("{{{counter}}}", 1), ["{0}"]);
}

#[test]
fn whitespace_inside_placeholders_is_optional() {
    assert_eq!(
        renders(
            "{{counter}}|{{ counter ( 5 , step = 2 ) }}|{{\n  counter\n}}",
            2
        ),
        ["0|5|0", "1|7|1"]
    );
}

#[test]
fn json_payloads_escape_inserted_strings() {
    let template = Template::parse(
        r#"{"group": "{{group}}", "id": "{{client_id}}", "say": "{{choice("a\"b")}}"}"#,
        PayloadFormat::Json,
    )
    .unwrap();
    let mut state = template.new_state(SEED, 1);
    let tricky = RenderContext {
        group: "a \"quoted\" \\ group",
        client_id: "line\nbreak",
        ..context()
    };
    let rendered = template.render(&mut state, &tricky);
    let parsed: serde_json::Value = serde_json::from_str(&rendered).unwrap();
    assert_eq!(parsed["group"], "a \"quoted\" \\ group");
    assert_eq!(parsed["id"], "line\nbreak");
    assert_eq!(parsed["say"], "a\"b");
}

#[test]
fn text_payloads_insert_strings_verbatim() {
    let template = text(r#"{{group}} {{choice("a\"b")}}"#);
    let mut state = template.new_state(SEED, 1);
    let tricky = RenderContext {
        group: "g\"1",
        ..context()
    };
    assert_eq!(template.render(&mut state, &tricky), "g\"1 a\"b");
}

#[test]
fn render_into_appends_to_the_buffer() {
    let template = text("{{counter}};");
    let mut state = template.new_state(SEED, 1);
    let mut buffer = String::new();
    template.render_into(&mut state, &context(), &mut buffer);
    template.render_into(&mut state, &context(), &mut buffer);
    assert_eq!(buffer, "0;1;");
}

#[test]
fn preview_renders_consecutive_payloads_of_one_device() {
    let template = text("{{index}}:{{counter}}:{{sine(4s, precision=0)}}");
    let samples = template.preview(SEED, 3, |sample| RenderContext {
        elapsed: Duration::from_secs(sample as u64),
        ..context()
    });
    assert_eq!(samples, ["7:0:0", "7:1:1", "7:2:0"]);
}

#[test]
fn template_keeps_its_source_and_format() {
    let template = Template::parse("{\"v\": 1}", PayloadFormat::Json).unwrap();
    assert_eq!(template.source(), "{\"v\": 1}");
    assert_eq!(template.format(), PayloadFormat::Json);
}

#[test]
fn payload_format_serializes_lowercase() {
    assert_eq!(
        serde_json::to_string(&PayloadFormat::Json).unwrap(),
        "\"json\""
    );
    assert_eq!(
        serde_json::from_str::<PayloadFormat>("\"text\"").unwrap(),
        PayloadFormat::Text
    );
}

#[test]
fn template_can_be_shared_between_threads() {
    fn assert_shareable<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_shareable::<Template>();
    assert_shareable::<super::super::TemplateState>();
}
