//! Turns a payload into one number for plotting: the whole payload, or a field inside JSON.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// Long values are cut in messages so an error line stays readable.
const SHOWN_VALUE_CHARS: usize = 40;

/// Where a plotted value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueSource {
    /// The payload is a number written as text ("21.5"), or `true`/`false` (1/0).
    WholePayload,
    JsonField(JsonPath),
}

impl ValueSource {
    /// Reads a field path typed by the user; an empty field means the whole payload.
    pub fn from_field_text(field: &str) -> Result<ValueSource, JsonPathError> {
        if field.trim().is_empty() {
            Ok(ValueSource::WholePayload)
        } else {
            JsonPath::parse(field).map(ValueSource::JsonField)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key; all-digit keys also index arrays, so `sensors.0.value` works.
    Key(String),
    /// From `[n]`; also looks up the key "n" in objects.
    Index(usize),
}

/// A field path such as `temperature`, `sensors.0.value` or `a.b[2].c`.
/// A leading `$.` (JSONPath habit) is accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JsonPath {
    segments: Vec<PathSegment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonPathError {
    #[error(
        "the field path is empty: write a field name such as \"temperature\" or \"sensors.0.value\""
    )]
    Empty,
    #[error(
        "the field path \"{path}\" has an empty part at character {position}: remove the extra \".\""
    )]
    EmptyPart { path: String, position: usize },
    #[error(
        "the \"[\" at character {position} of \"{path}\" is never closed: write e.g. \"values[2]\""
    )]
    UnclosedBracket { path: String, position: usize },
    #[error("\"[{index}]\" in \"{path}\" is not an array index: use a whole number such as [0]")]
    BadIndex { path: String, index: String },
    #[error("the \"]\" at character {position} of \"{path}\" has no matching \"[\"")]
    StrayClosingBracket { path: String, position: usize },
    #[error(
        "expected \".\" or \"[\" after \"]\" at character {position} of \"{path}\": write e.g. \"a[1].b\""
    )]
    MissingSeparator { path: String, position: usize },
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, JsonPathError> {
        let path = text.trim();
        let body = path
            .strip_prefix("$.")
            .or_else(|| path.strip_prefix('$').filter(|rest| rest.starts_with('[')))
            .unwrap_or(path);
        if body.is_empty() {
            return Err(JsonPathError::Empty);
        }
        let chars: Vec<char> = body.chars().collect();
        let error_path = || path.to_owned();
        let mut segments = Vec::new();
        let mut key = String::new();
        let mut just_closed_bracket = false;
        let mut index = 0;
        while let Some(&c) = chars.get(index) {
            let position = index + 1;
            match c {
                '.' => {
                    if (key.is_empty() && !just_closed_bracket) || chars.get(index + 1).is_none() {
                        let position = if key.is_empty() {
                            position
                        } else {
                            position + 1
                        };
                        return Err(JsonPathError::EmptyPart {
                            path: error_path(),
                            position,
                        });
                    }
                    if !key.is_empty() {
                        segments.push(PathSegment::Key(std::mem::take(&mut key)));
                    }
                    just_closed_bracket = false;
                    index += 1;
                }
                '[' => {
                    if !key.is_empty() {
                        segments.push(PathSegment::Key(std::mem::take(&mut key)));
                    } else if index > 0 && !just_closed_bracket {
                        // "a.[0]": the dot announced a key that never came.
                        return Err(JsonPathError::EmptyPart {
                            path: error_path(),
                            position,
                        });
                    }
                    let inside = chars.get(index + 1..).unwrap_or_default();
                    let Some(length) = inside.iter().position(|&c| c == ']') else {
                        return Err(JsonPathError::UnclosedBracket {
                            path: error_path(),
                            position,
                        });
                    };
                    let index_text: String = inside.iter().take(length).collect();
                    let array_index = index_text.trim().parse::<usize>().map_err(|_| {
                        JsonPathError::BadIndex {
                            path: error_path(),
                            index: index_text.clone(),
                        }
                    })?;
                    segments.push(PathSegment::Index(array_index));
                    just_closed_bracket = true;
                    index += length + 2;
                }
                ']' => {
                    return Err(JsonPathError::StrayClosingBracket {
                        path: error_path(),
                        position,
                    });
                }
                _ if just_closed_bracket => {
                    return Err(JsonPathError::MissingSeparator {
                        path: error_path(),
                        position,
                    });
                }
                _ => {
                    key.push(c);
                    index += 1;
                }
            }
        }
        if !key.is_empty() {
            segments.push(PathSegment::Key(key));
        }
        Ok(JsonPath { segments })
    }

    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }
}

/// Writes the path back in canonical form (`a.b[2].c`), as used in error messages.
fn write_segments(segments: &[PathSegment], formatter: &mut dyn fmt::Write) -> fmt::Result {
    for (position, segment) in segments.iter().enumerate() {
        match segment {
            PathSegment::Key(key) if position == 0 => formatter.write_str(key)?,
            PathSegment::Key(key) => write!(formatter, ".{key}")?,
            PathSegment::Index(index) => write!(formatter, "[{index}]")?,
        }
    }
    Ok(())
}

fn segments_to_string(segments: &[PathSegment]) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = write_segments(segments, &mut text);
    text
}

impl fmt::Display for JsonPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_segments(&self.segments, formatter)
    }
}

impl FromStr for JsonPath {
    type Err = JsonPathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JsonPath::parse(text)
    }
}

impl TryFrom<String> for JsonPath {
    type Error = JsonPathError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        JsonPath::parse(&text)
    }
}

impl From<JsonPath> for String {
    fn from(path: JsonPath) -> String {
        path.to_string()
    }
}

/// Why a payload gave no number; shown next to the plot so the user can pick another field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotNumeric {
    #[error("payload is empty")]
    EmptyPayload,
    #[error("payload is not text (binary data)")]
    NotText,
    #[error("payload \"{shown}\" is not a number")]
    NotANumber { shown: String },
    #[error("payload is not JSON: {reason}")]
    NotJson { reason: String },
    #[error("field \"{path}\" not found")]
    FieldNotFound { path: String },
    #[error("field \"{path}\" not found: the array has {length} elements")]
    IndexOutOfRange { path: String, length: usize },
    #[error("field \"{path}\" is {described}, so it has no field \"{wanted}\"")]
    NotAContainer {
        path: String,
        described: String,
        wanted: String,
    },
    #[error("payload is {described}, so it has no field \"{wanted}\"")]
    PayloadNotAContainer { described: String, wanted: String },
    #[error("field \"{path}\" is a string \"{shown}\", not a number")]
    StringField { path: String, shown: String },
    #[error("field \"{path}\" is null, not a number")]
    NullField { path: String },
    #[error(
        "field \"{path}\" is an object, not a number: pick one of its fields, e.g. \"{example}\""
    )]
    ObjectField { path: String, example: String },
    #[error(
        "field \"{path}\" is an array of {length} elements, not a number: pick one, e.g. \"{path}[0]\""
    )]
    ArrayField { path: String, length: usize },
    #[error("{what} is not a finite number")]
    NotFinite { what: String },
}

pub fn extract(payload: &[u8], source: &ValueSource) -> Result<f64, NotNumeric> {
    match source {
        ValueSource::WholePayload => whole_payload_number(payload),
        ValueSource::JsonField(path) => json_field_number(payload, path),
    }
}

fn whole_payload_number(payload: &[u8]) -> Result<f64, NotNumeric> {
    let text = std::str::from_utf8(payload).map_err(|_| NotNumeric::NotText)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(NotNumeric::EmptyPayload);
    }
    match parse_number_text(trimmed) {
        Some(number) if number.is_finite() => Ok(number),
        Some(_) => Err(NotNumeric::NotFinite {
            what: format!("payload \"{}\"", shorten(trimmed)),
        }),
        None => Err(NotNumeric::NotANumber {
            shown: shorten(trimmed),
        }),
    }
}

fn parse_number_text(text: &str) -> Option<f64> {
    if text.eq_ignore_ascii_case("true") {
        Some(1.0)
    } else if text.eq_ignore_ascii_case("false") {
        Some(0.0)
    } else {
        text.parse::<f64>().ok()
    }
}

fn json_field_number(payload: &[u8], path: &JsonPath) -> Result<f64, NotNumeric> {
    let document: Value = serde_json::from_slice(payload).map_err(|error| NotNumeric::NotJson {
        reason: error.to_string(),
    })?;
    let mut current = &document;
    for (depth, segment) in path.segments.iter().enumerate() {
        let path_here = || segments_to_string(path.segments.get(..=depth).unwrap_or_default());
        current = match (current, segment) {
            (Value::Object(fields), PathSegment::Key(key)) => fields.get(key),
            (Value::Object(fields), PathSegment::Index(index)) => fields.get(&index.to_string()),
            (Value::Array(items), PathSegment::Index(index)) => {
                Some(array_item(items, *index, path_here)?)
            }
            (Value::Array(items), PathSegment::Key(key)) => match key.parse::<usize>() {
                Ok(index) => Some(array_item(items, index, path_here)?),
                Err(_) => None,
            },
            (scalar, segment) if depth == 0 => {
                return Err(NotNumeric::PayloadNotAContainer {
                    described: describe_value(scalar),
                    wanted: segments_to_string(std::slice::from_ref(segment)),
                });
            }
            (scalar, segment) => {
                return Err(NotNumeric::NotAContainer {
                    path: segments_to_string(path.segments.get(..depth).unwrap_or_default()),
                    described: describe_value(scalar),
                    wanted: segments_to_string(std::slice::from_ref(segment)),
                });
            }
        }
        .ok_or_else(|| NotNumeric::FieldNotFound { path: path_here() })?;
    }
    value_as_number(current, &path.to_string())
}

fn array_item(
    items: &[Value],
    index: usize,
    path_here: impl Fn() -> String,
) -> Result<&Value, NotNumeric> {
    items.get(index).ok_or_else(|| NotNumeric::IndexOutOfRange {
        path: path_here(),
        length: items.len(),
    })
}

fn value_as_number(value: &Value, path: &str) -> Result<f64, NotNumeric> {
    let path = path.to_owned();
    match value {
        Value::Number(number) => number
            .as_f64()
            .filter(|number| number.is_finite())
            .ok_or_else(|| NotNumeric::NotFinite {
                what: format!("field \"{path}\""),
            }),
        Value::Bool(flag) => Ok(if *flag { 1.0 } else { 0.0 }),
        // Many devices send numbers as strings ("21.5"); plotting those is what users expect.
        Value::String(text) => match parse_number_text(text.trim()) {
            Some(number) if number.is_finite() => Ok(number),
            _ => Err(NotNumeric::StringField {
                path,
                shown: shorten(text),
            }),
        },
        Value::Null => Err(NotNumeric::NullField { path }),
        Value::Array(items) => Err(NotNumeric::ArrayField {
            path,
            length: items.len(),
        }),
        Value::Object(fields) => {
            let example = match fields.keys().next() {
                Some(first_key) => format!("{path}.{first_key}"),
                None => format!("{path}.name"),
            };
            Err(NotNumeric::ObjectField { path, example })
        }
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => format!("a number {number}"),
        Value::String(text) => format!("a string \"{}\"", shorten(text)),
        Value::Array(items) => format!("an array of {} elements", items.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let mut shown: String = chars.by_ref().take(SHOWN_VALUE_CHARS).collect();
    if chars.next().is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(path: &str) -> ValueSource {
        ValueSource::JsonField(JsonPath::parse(path).unwrap())
    }

    fn reason(payload: &str, source: &ValueSource) -> String {
        extract(payload.as_bytes(), source).unwrap_err().to_string()
    }

    #[test]
    fn whole_payload_numbers_and_booleans() {
        let whole = ValueSource::WholePayload;
        assert_eq!(extract(b"21.5", &whole), Ok(21.5));
        assert_eq!(extract(b" -3e2\n", &whole), Ok(-300.0));
        assert_eq!(extract(b"true", &whole), Ok(1.0));
        assert_eq!(extract(b"false", &whole), Ok(0.0));
        assert_eq!(reason("hot", &whole), "payload \"hot\" is not a number");
        assert_eq!(reason("", &whole), "payload is empty");
        assert_eq!(
            reason("NaN", &whole),
            "payload \"NaN\" is not a finite number"
        );
        assert_eq!(
            extract(&[0xff, 0x00], &whole).unwrap_err().to_string(),
            "payload is not text (binary data)"
        );
    }

    #[test]
    fn json_fields_including_arrays() {
        let doc = r#"{"temperature": 21.5, "on": true, "sensors": [{"value": 1}, {"value": 2.5}],
                      "a": {"b": [0, 1, {"c": -4}]}, "s": "19.0", "m": {"7": 7}}"#;
        assert_eq!(extract(doc.as_bytes(), &field("temperature")), Ok(21.5));
        assert_eq!(extract(doc.as_bytes(), &field("on")), Ok(1.0));
        assert_eq!(extract(doc.as_bytes(), &field("sensors.1.value")), Ok(2.5));
        assert_eq!(extract(doc.as_bytes(), &field("sensors[0].value")), Ok(1.0));
        assert_eq!(extract(doc.as_bytes(), &field("a.b[2].c")), Ok(-4.0));
        assert_eq!(extract(doc.as_bytes(), &field("$.a.b[2].c")), Ok(-4.0));
        assert_eq!(extract(doc.as_bytes(), &field("s")), Ok(19.0));
        assert_eq!(extract(doc.as_bytes(), &field("m[7]")), Ok(7.0));
        assert_eq!(extract(b"[5, 6]", &field("[1]")), Ok(6.0));
    }

    #[test]
    fn every_json_reason() {
        let doc = r#"{"x": "hot", "n": null, "o": {"k": 1}, "arr": [1, 2, 3], "num": 5}"#;
        assert!(reason("hot", &field("x")).starts_with("payload is not JSON: "));
        assert_eq!(
            reason(doc, &field("missing")),
            "field \"missing\" not found"
        );
        assert_eq!(reason(doc, &field("o.q")), "field \"o.q\" not found");
        assert_eq!(
            reason(doc, &field("x")),
            "field \"x\" is a string \"hot\", not a number"
        );
        assert_eq!(
            reason(doc, &field("n")),
            "field \"n\" is null, not a number"
        );
        assert_eq!(
            reason(doc, &field("o")),
            "field \"o\" is an object, not a number: pick one of its fields, e.g. \"o.k\""
        );
        assert_eq!(
            reason(doc, &field("arr")),
            "field \"arr\" is an array of 3 elements, not a number: pick one, e.g. \"arr[0]\""
        );
        assert_eq!(
            reason(doc, &field("arr[5]")),
            "field \"arr[5]\" not found: the array has 3 elements"
        );
        assert_eq!(
            reason(doc, &field("arr.5")),
            "field \"arr.5\" not found: the array has 3 elements"
        );
        assert_eq!(
            reason(doc, &field("arr.first")),
            "field \"arr.first\" not found"
        );
        assert_eq!(
            reason(doc, &field("num.value")),
            "field \"num\" is a number 5, so it has no field \"value\""
        );
        assert_eq!(
            reason("7", &field("a")),
            "payload is a number 7, so it has no field \"a\""
        );
        assert_eq!(
            reason(doc, &field("x[0]")),
            "field \"x\" is a string \"hot\", so it has no field \"[0]\""
        );
    }

    #[test]
    fn path_parsing_and_errors() {
        assert_eq!(
            JsonPath::parse("a.b[2].c").unwrap().segments(),
            &[
                PathSegment::Key("a".into()),
                PathSegment::Key("b".into()),
                PathSegment::Index(2),
                PathSegment::Key("c".into())
            ]
        );
        assert_eq!(JsonPath::parse("a[1][2]").unwrap().to_string(), "a[1][2]");
        assert_eq!(JsonPath::parse(" my key ").unwrap().to_string(), "my key");
        let message = |text: &str| JsonPath::parse(text).unwrap_err().to_string();
        assert_eq!(
            message(""),
            "the field path is empty: write a field name such as \"temperature\" or \"sensors.0.value\""
        );
        assert_eq!(
            message("a..b"),
            "the field path \"a..b\" has an empty part at character 3: remove the extra \".\""
        );
        assert_eq!(
            message(".a"),
            "the field path \".a\" has an empty part at character 1: remove the extra \".\""
        );
        assert_eq!(
            message("a."),
            "the field path \"a.\" has an empty part at character 3: remove the extra \".\""
        );
        assert_eq!(
            message("a.[0]"),
            "the field path \"a.[0]\" has an empty part at character 3: remove the extra \".\""
        );
        assert_eq!(
            message("values[2"),
            "the \"[\" at character 7 of \"values[2\" is never closed: write e.g. \"values[2]\""
        );
        assert_eq!(
            message("a[x]"),
            "\"[x]\" in \"a[x]\" is not an array index: use a whole number such as [0]"
        );
        assert_eq!(
            message("a]"),
            "the \"]\" at character 2 of \"a]\" has no matching \"[\""
        );
        assert_eq!(
            message("a[1]b"),
            "expected \".\" or \"[\" after \"]\" at character 5 of \"a[1]b\": write e.g. \"a[1].b\""
        );
        assert_eq!(
            ValueSource::from_field_text("  "),
            Ok(ValueSource::WholePayload)
        );
        assert_eq!(ValueSource::from_field_text("t"), Ok(field("t")));
    }

    #[test]
    fn value_source_round_trips_through_serde() {
        let json = serde_json::to_string(&field("a.b[2]")).unwrap();
        assert_eq!(json, r#"{"JsonField":"a.b[2]"}"#);
        assert_eq!(
            serde_json::from_str::<ValueSource>(&json).unwrap(),
            field("a.b[2]")
        );
    }
}
