//! The literal values a generator call can receive as arguments.

use std::time::Duration;

use super::cursor::Position;

/// One argument of a generator call, such as `5`, `"ok"` or `period=2s`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Argument {
    pub name: Option<String>,
    pub value: ArgumentValue,
    /// Where the argument (its name, if named) starts; errors about it point here.
    pub position: Position,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum ArgumentValue {
    Number(NumberLiteral),
    Text(String),
    Duration {
        length: Duration,
        written: String,
    },
    /// An unquoted word such as `iso`; only some generators accept these.
    Word(String),
}

/// A number together with how it was written, so it can be echoed back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct NumberLiteral {
    pub written: String,
    pub value: f64,
    /// Set when the number was written without a fraction and fits in an i64.
    pub whole: Option<i64>,
    /// How many digits follow the decimal point as written.
    pub decimals: usize,
}

impl ArgumentValue {
    /// Shows the value the way the user wrote it, for "found ..." in error messages.
    pub fn describe(&self) -> String {
        match self {
            ArgumentValue::Number(number) => number.written.clone(),
            ArgumentValue::Text(text) => format!("\"{text}\""),
            ArgumentValue::Duration { written, .. } => written.clone(),
            ArgumentValue::Word(word) => {
                format!("the bare word {word} (put text in double quotes: \"{word}\")")
            }
        }
    }
}
