//! Splits template text into literal text and `{{ ... }}` placeholders, parsing each placeholder's expression.

use std::time::Duration;

use super::argument::{Argument, ArgumentValue, NumberLiteral};
use super::cursor::{Cursor, Position};
use super::error::{TemplateError, TemplateErrorKind};

/// A piece of template source, in order.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Segment {
    Literal {
        text: String,
        position: Position,
    },
    /// A `{{"text"}}` placeholder: text inserted as written.
    QuotedText {
        text: String,
        position: Position,
    },
    Call(Call),
}

/// A `{{ name(arguments) }}` placeholder.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Call {
    pub name: String,
    /// Where the generator name starts; errors about the call as a whole point here.
    pub name_position: Position,
    /// Where the `{{` starts.
    pub placeholder_position: Position,
    pub arguments: Vec<Argument>,
}

/// Only `{{` opens a placeholder; a `}}` outside a placeholder is ordinary text, because JSON payloads
/// close nested objects with `}}`. In a run of three or more `{`, the placeholder starts at the last two,
/// so `{{{n}}}` is a `{`, the placeholder `n`, and a `}`.
pub(super) fn parse_segments(source: &str) -> Result<Vec<Segment>, TemplateError> {
    let mut cursor = Cursor::new(source);
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut literal_position = cursor.position();
    while let Some(character) = cursor.peek() {
        if cursor.starts_with("{{") && !cursor.starts_with("{{{") {
            if !literal.is_empty() {
                segments.push(Segment::Literal {
                    text: std::mem::take(&mut literal),
                    position: literal_position,
                });
            }
            segments.push(parse_placeholder(&mut cursor)?);
            literal_position = cursor.position();
        } else {
            literal.push(character);
            cursor.advance();
        }
    }
    if !literal.is_empty() {
        segments.push(Segment::Literal {
            text: literal,
            position: literal_position,
        });
    }
    Ok(segments)
}

fn parse_placeholder(cursor: &mut Cursor) -> Result<Segment, TemplateError> {
    let placeholder_position = cursor.position();
    cursor.eat("{{");
    cursor.skip_whitespace();
    let expression_position = cursor.position();
    let segment = match cursor.peek() {
        Some('"') => Segment::QuotedText {
            text: parse_string(cursor)?,
            position: placeholder_position,
        },
        Some(character) if is_identifier_start(character) => {
            Segment::Call(parse_call(cursor, placeholder_position)?)
        }
        _ => {
            return Err(TemplateError::at(
                expression_position,
                TemplateErrorKind::MissingExpression {
                    found: cursor.describe_next(),
                },
            ));
        }
    };
    cursor.skip_whitespace();
    if !cursor.eat("}}") {
        return Err(TemplateError::at(
            cursor.position(),
            TemplateErrorKind::UnclosedPlaceholder {
                found: cursor.describe_next(),
            },
        ));
    }
    Ok(segment)
}

fn parse_call(cursor: &mut Cursor, placeholder_position: Position) -> Result<Call, TemplateError> {
    let name_position = cursor.position();
    let name = cursor.take_while(is_identifier_part).to_owned();
    cursor.skip_whitespace();
    let arguments = if cursor.peek() == Some('(') {
        parse_arguments(cursor)?
    } else {
        Vec::new()
    };
    Ok(Call {
        name,
        name_position,
        placeholder_position,
        arguments,
    })
}

fn parse_arguments(cursor: &mut Cursor) -> Result<Vec<Argument>, TemplateError> {
    cursor.eat("(");
    cursor.skip_whitespace();
    let mut arguments = Vec::new();
    if cursor.eat(")") {
        return Ok(arguments);
    }
    let mut seen_named = false;
    loop {
        cursor.skip_whitespace();
        let argument = parse_argument(cursor)?;
        if argument.name.is_some() {
            seen_named = true;
        } else if seen_named {
            return Err(TemplateError::at(
                argument.position,
                TemplateErrorKind::PositionalAfterNamed,
            ));
        }
        arguments.push(argument);
        cursor.skip_whitespace();
        if cursor.eat(",") {
            continue;
        }
        if cursor.eat(")") {
            return Ok(arguments);
        }
        return Err(TemplateError::at(
            cursor.position(),
            TemplateErrorKind::MissingSeparator {
                found: cursor.describe_next(),
            },
        ));
    }
}

fn parse_argument(cursor: &mut Cursor) -> Result<Argument, TemplateError> {
    let position = cursor.position();
    let name = take_argument_name(cursor);
    if name.is_some() {
        cursor.skip_whitespace();
    }
    let value = parse_value(cursor)?;
    Ok(Argument {
        name,
        value,
        position,
    })
}

/// Consumes `name =` if the argument is named; leaves the cursor untouched otherwise.
fn take_argument_name(cursor: &mut Cursor) -> Option<String> {
    if !cursor.peek().is_some_and(is_identifier_start) {
        return None;
    }
    let mut lookahead = cursor.clone();
    let name = lookahead.take_while(is_identifier_part);
    lookahead.skip_whitespace();
    if !lookahead.eat("=") {
        return None;
    }
    *cursor = lookahead;
    Some(name.to_owned())
}

fn parse_value(cursor: &mut Cursor) -> Result<ArgumentValue, TemplateError> {
    match cursor.peek() {
        Some('"') => Ok(ArgumentValue::Text(parse_string(cursor)?)),
        Some(character) if character == '-' || character.is_ascii_digit() => {
            parse_number_or_duration(cursor)
        }
        Some(character) if is_identifier_start(character) => Ok(ArgumentValue::Word(
            cursor.take_while(is_identifier_part).to_owned(),
        )),
        _ => Err(TemplateError::at(
            cursor.position(),
            TemplateErrorKind::MissingArgumentValue {
                found: cursor.describe_next(),
            },
        )),
    }
}

/// Parses `"..."` with the escapes `\"`, `\\`, `\n` and `\t`; a string may not span lines.
fn parse_string(cursor: &mut Cursor) -> Result<String, TemplateError> {
    let start = cursor.position();
    cursor.eat("\"");
    let mut text = String::new();
    loop {
        let unterminated =
            |ending| TemplateError::at(start, TemplateErrorKind::UnterminatedString { ending });
        match cursor.peek() {
            None => return Err(unterminated("the end of the template")),
            Some('\n') | Some('\r') => return Err(unterminated("the end of the line")),
            Some('"') => {
                cursor.advance();
                return Ok(text);
            }
            Some('\\') => {
                let escape_position = cursor.position();
                cursor.advance();
                match cursor.advance() {
                    Some('"') => text.push('"'),
                    Some('\\') => text.push('\\'),
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    other => {
                        return Err(TemplateError::at(
                            escape_position,
                            TemplateErrorKind::UnknownEscape {
                                escape: other.map(String::from).unwrap_or_default(),
                            },
                        ));
                    }
                }
            }
            Some(character) => {
                text.push(character);
                cursor.advance();
            }
        }
    }
}

/// Parses `-12`, `0.5`, or a duration such as `500ms`, `1.5s`, `5min`, `1h`.
fn parse_number_or_duration(cursor: &mut Cursor) -> Result<ArgumentValue, TemplateError> {
    let position = cursor.position();
    let rest_before = cursor.rest();
    let negative = cursor.eat("-");
    let whole_digits = cursor.take_while(|character| character.is_ascii_digit());
    let mut decimals = 0;
    let mut well_formed = !whole_digits.is_empty();
    if cursor.eat(".") {
        decimals = cursor
            .take_while(|character| character.is_ascii_digit())
            .chars()
            .count();
        well_formed &= decimals > 0;
    }
    let number_length = rest_before.len() - cursor.rest().len();
    let written = rest_before.get(..number_length).unwrap_or_default();
    let unit = cursor.take_while(|character| character.is_ascii_alphabetic());
    let written_with_unit = format!("{written}{unit}");
    let error = |kind| Err(TemplateError::at(position, kind));
    if !well_formed {
        return error(TemplateErrorKind::MalformedNumber {
            text: written_with_unit,
        });
    }
    let Ok(value) = written.parse::<f64>() else {
        return error(TemplateErrorKind::MalformedNumber {
            text: written_with_unit,
        });
    };
    if !value.is_finite() {
        return error(TemplateErrorKind::NumberTooLarge {
            text: written_with_unit,
        });
    }
    if unit.is_empty() {
        let whole = if decimals == 0 {
            written.parse::<i64>().ok()
        } else {
            None
        };
        return Ok(ArgumentValue::Number(NumberLiteral {
            written: written.to_owned(),
            value,
            whole,
            decimals,
        }));
    }
    let Some(seconds_per_unit) = seconds_per_duration_unit(unit) else {
        return error(TemplateErrorKind::UnknownDurationUnit {
            unit: unit.to_owned(),
            text: written_with_unit,
        });
    };
    match Duration::try_from_secs_f64(value * seconds_per_unit) {
        Ok(length) if !negative => Ok(ArgumentValue::Duration {
            length,
            written: written_with_unit,
        }),
        _ => error(TemplateErrorKind::InvalidDuration {
            text: written_with_unit,
        }),
    }
}

fn seconds_per_duration_unit(unit: &str) -> Option<f64> {
    match unit {
        "ms" => Some(0.001),
        "s" => Some(1.0),
        "min" => Some(60.0),
        "h" => Some(3600.0),
        _ => None,
    }
}

fn is_identifier_start(character: char) -> bool {
    character.is_ascii_alphabetic() || character == '_'
}

fn is_identifier_part(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_'
}
