//! The error returned when a payload template cannot be parsed or validated.

use super::cursor::Position;

/// The generator names a placeholder may use, as listed in error messages.
pub const KNOWN_GENERATORS: &str =
    "counter, int, float, sine, walk, choice, bool, timestamp, index, group, client_id, uuid";

/// A template problem and where it is: line and column are 1-based, columns count characters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub kind: TemplateErrorKind,
}

impl TemplateError {
    pub(super) fn at(position: Position, kind: TemplateErrorKind) -> Self {
        TemplateError {
            line: position.line,
            column: position.column,
            kind,
        }
    }
}

/// What is wrong with a template, worded so the user knows what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateErrorKind {
    #[error("expected \"}}}}\" to close the placeholder, found {found}")]
    UnclosedPlaceholder { found: String },

    #[error(
        "expected a generator name (such as int or counter) or a \"quoted string\" after \"{{{{\", found {found}"
    )]
    MissingExpression { found: String },

    #[error("unterminated string: expected a closing \" before {ending}")]
    UnterminatedString { ending: &'static str },

    #[error(
        "unknown escape \"\\{escape}\" in a string; write \\\" for a quote, \\\\ for a backslash, \\n for a line break or \\t for a tab"
    )]
    UnknownEscape { escape: String },

    #[error(
        "expected an argument value (a number, a \"quoted string\", a duration like 2s, or a word), found {found}"
    )]
    MissingArgumentValue { found: String },

    #[error("expected \",\" or \")\" after an argument, found {found}")]
    MissingSeparator { found: String },

    #[error("\"{text}\" is not a number; write numbers like 12, -3 or 0.5")]
    MalformedNumber { text: String },

    #[error("the number {text} is too large")]
    NumberTooLarge { text: String },

    #[error(
        "unknown unit \"{unit}\" in {text}; durations use ms, s, min or h (for example 500ms, 2s, 5min)"
    )]
    UnknownDurationUnit { text: String, unit: String },

    #[error("the duration {text} is negative or too large")]
    InvalidDuration { text: String },

    #[error("a positional argument cannot follow a named one; put positional arguments first")]
    PositionalAfterNamed,

    #[error("unknown generator \"{name}\"; known generators: {KNOWN_GENERATORS}")]
    UnknownGenerator { name: String },

    #[error("{generator} has no argument named \"{name}\"; usage: {usage}")]
    UnknownArgument {
        generator: &'static str,
        name: String,
        usage: &'static str,
    },

    #[error("too many arguments for {generator}; usage: {usage}")]
    TooManyArguments {
        generator: &'static str,
        usage: &'static str,
    },

    #[error("{generator}: argument \"{name}\" is given twice")]
    DuplicateArgument {
        generator: &'static str,
        name: String,
    },

    #[error("{generator}: missing required argument \"{name}\"; usage: {usage}")]
    MissingArgument {
        generator: &'static str,
        name: &'static str,
        usage: &'static str,
    },

    #[error("{generator}: named arguments are not accepted; usage: {usage}")]
    NamedArgumentNotAccepted {
        generator: &'static str,
        usage: &'static str,
    },

    #[error("{generator}: {name} must be {expected}, found {found}")]
    WrongArgumentType {
        generator: &'static str,
        name: String,
        expected: &'static str,
        found: String,
    },

    #[error("{generator}: min ({min}) is above max ({max})")]
    MinAboveMax {
        generator: &'static str,
        min: String,
        max: String,
    },

    #[error("{generator}: the range is too large to draw from; use smaller numbers")]
    RangeTooLarge { generator: &'static str },

    #[error("sine: period must be more than 0, found {found}")]
    PeriodNotPositive { found: String },

    #[error("bool: p must be between 0 and 1, found {found}")]
    ProbabilityOutOfRange { found: String },

    #[error("{generator}: precision must be 0 to 10, found {found}")]
    PrecisionOutOfRange {
        generator: &'static str,
        found: String,
    },

    #[error("walk: step must be 0 or more, found {found}")]
    NegativeStep { found: String },

    #[error("walk: start ({start}) must be between min ({min}) and max ({max})")]
    StartOutsideBounds {
        start: String,
        min: String,
        max: String,
    },

    #[error("choice: needs at least one item, for example choice(\"on\", \"off\")")]
    EmptyChoice,

    #[error("timestamp: unknown format {found}; use unix_ms, unix or iso")]
    UnknownTimestampFormat { found: String },

    #[error(
        "the payload is not valid JSON: in the rendered sample, line {sample_line}, column {sample_column}: {message}; the sample was: {sample}"
    )]
    InvalidJson {
        sample_line: usize,
        sample_column: usize,
        message: String,
        sample: String,
    },
}
