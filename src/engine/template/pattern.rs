//! Topic and client-id patterns such as `sensors/{group}/{n:03}`: parsing, validation and expansion per device.

use std::fmt::Write;
use std::iter::Peekable;
use std::str::Chars;

use super::expanded_check::{
    ClientIdError, TopicError, check_expanded_client_id, check_expanded_topic,
    is_forbidden_in_client_id,
};

/// What a pattern names, which decides the placeholders and characters it may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternKind {
    Topic,
    ClientId,
}

const KNOWN_TOPIC_PLACEHOLDERS: &str = "{group}, {n}, {n:03}, {client_id}";
const KNOWN_CLIENT_ID_PLACEHOLDERS: &str = "{group}, {n}, {n:03}";
/// Used for `{client_id}` when a topic pattern is checked without a real device.
const SAMPLE_CLIENT_ID: &str = "client-1";

/// A problem with a pattern; columns are 1-based and count characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the pattern is empty; write a topic or client id such as sensors/{{group}}/{{n}}")]
    Empty,
    #[error("column {column}: unknown placeholder {{{name}}}; known placeholders: {known}")]
    UnknownPlaceholder {
        column: usize,
        name: String,
        known: &'static str,
    },
    #[error(
        "column {column}: \"{{\" starts a placeholder that is not closed with \"}}\"; write \"{{{{\" for a literal brace"
    )]
    UnclosedPlaceholder { column: usize },
    #[error("column {column}: \"}}\" closes nothing; write \"}}}}\" for a literal brace")]
    UnmatchedClosingBrace { column: usize },
    #[error(
        "column {column}: invalid width in {{{placeholder}}}; write {{n:0W}} with W from 1 to 9, such as {{n:03}}"
    )]
    InvalidWidth { column: usize, placeholder: String },
    #[error(
        "column {column}: {{client_id}} can only be used in topic patterns, not in the client id itself"
    )]
    ClientIdInClientIdPattern { column: usize },
    #[error(
        "column {column}: wildcards + and # are for subscribing; a device publishes to one exact topic: remove the {character}"
    )]
    Wildcard { column: usize, character: char },
    #[error("column {column}: a NUL character is not allowed")]
    Nul { column: usize },
    #[error(
        "column {column}: a client id must not contain \"{character}\" (the embedded broker refuses +, $, # and /)"
    )]
    ForbiddenClientIdCharacter { column: usize, character: char },
    #[error("with group \"{group}\" the topic becomes \"{topic}\": {problem}")]
    InvalidTopic {
        group: String,
        topic: String,
        problem: TopicError,
    },
    #[error("with group \"{group}\" the client id becomes \"{client_id}\": {problem}")]
    InvalidClientId {
        group: String,
        client_id: String,
        problem: ClientIdError,
    },
}

/// A parsed pattern, ready to expand for each device.
///
/// Placeholders: `{group}`, `{n}` (1-based device index), `{n:0W}` (zero-padded to width W, 1 to 9) and, in
/// topic patterns only, `{client_id}`. `{{` and `}}` stand for literal braces; a lone `}` is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    kind: PatternKind,
    pieces: Vec<PatternPiece>,
    literal_length: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PatternPiece {
    Literal(String),
    Group,
    Index { zero_padded_width: usize },
    ClientId,
}

impl Pattern {
    pub fn parse(source: &str, kind: PatternKind) -> Result<Pattern, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut characters = source.chars().peekable();
        let mut column = 0;
        while let Some(character) = characters.next() {
            column += 1;
            match character {
                '{' | '}' if characters.peek() == Some(&character) => {
                    characters.next();
                    literal.push(character);
                    column += 1;
                }
                '{' => {
                    let name = take_placeholder_name(&mut characters)
                        .ok_or(PatternError::UnclosedPlaceholder { column })?;
                    let placeholder_column = column;
                    column += name.chars().count() + 1;
                    if !literal.is_empty() {
                        pieces.push(PatternPiece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(placeholder(&name, kind, placeholder_column)?);
                }
                '}' => return Err(PatternError::UnmatchedClosingBrace { column }),
                '\0' => return Err(PatternError::Nul { column }),
                '+' | '#' if kind == PatternKind::Topic => {
                    return Err(PatternError::Wildcard { column, character });
                }
                forbidden
                    if kind == PatternKind::ClientId && is_forbidden_in_client_id(forbidden) =>
                {
                    return Err(PatternError::ForbiddenClientIdCharacter { column, character });
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            pieces.push(PatternPiece::Literal(literal));
        }
        let literal_length = pieces
            .iter()
            .map(|piece| match piece {
                PatternPiece::Literal(text) => text.len(),
                _ => 0,
            })
            .sum();
        Ok(Pattern {
            source: source.to_owned(),
            kind,
            pieces,
            literal_length,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn kind(&self) -> PatternKind {
        self.kind
    }

    /// Fills in the placeholders for device `n` (1-based) of `group`.
    pub fn expand(&self, group: &str, n: u32, client_id: &str) -> String {
        let mut out =
            String::with_capacity(self.literal_length + group.len() + client_id.len() + 10);
        for piece in &self.pieces {
            match piece {
                PatternPiece::Literal(text) => out.push_str(text),
                PatternPiece::Group => out.push_str(group),
                PatternPiece::Index { zero_padded_width } => {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "{n:0zero_padded_width$}");
                }
                PatternPiece::ClientId => out.push_str(client_id),
            }
        }
        out
    }

    /// Expands the pattern for device 1 of `group` and checks the result is a topic or client id the
    /// broker accepts; group names are user input and may bring in characters the pattern itself avoids.
    /// Returns the expanded sample, handy for a preview.
    pub fn validate_with(&self, group: &str) -> Result<String, PatternError> {
        let expanded = self.expand(group, 1, SAMPLE_CLIENT_ID);
        match self.kind {
            PatternKind::Topic => {
                check_expanded_topic(&expanded).map_err(|problem| PatternError::InvalidTopic {
                    group: group.to_owned(),
                    topic: expanded.clone(),
                    problem,
                })
            }
            PatternKind::ClientId => check_expanded_client_id(&expanded).map_err(|problem| {
                PatternError::InvalidClientId {
                    group: group.to_owned(),
                    client_id: expanded.clone(),
                    problem,
                }
            }),
        }?;
        Ok(expanded)
    }
}

/// Reads the name after `{` up to and including the closing `}`; None if the placeholder is not closed.
fn take_placeholder_name(characters: &mut Peekable<Chars>) -> Option<String> {
    let mut name = String::new();
    // Only name characters may appear inside braces, so `{group/x` is reported as unclosed right away.
    while let Some(&character) = characters.peek() {
        if character == '}' {
            characters.next();
            return Some(name);
        }
        if !(character.is_alphanumeric() || character == '_' || character == ':') {
            return None;
        }
        name.push(character);
        characters.next();
    }
    None
}

fn placeholder(name: &str, kind: PatternKind, column: usize) -> Result<PatternPiece, PatternError> {
    match name {
        "group" => Ok(PatternPiece::Group),
        "n" => Ok(PatternPiece::Index {
            zero_padded_width: 0,
        }),
        "client_id" if kind == PatternKind::Topic => Ok(PatternPiece::ClientId),
        "client_id" => Err(PatternError::ClientIdInClientIdPattern { column }),
        _ => match name.strip_prefix("n:") {
            Some(width) => zero_padded_width(width)
                .map(|zero_padded_width| PatternPiece::Index { zero_padded_width })
                .ok_or_else(|| PatternError::InvalidWidth {
                    column,
                    placeholder: name.to_owned(),
                }),
            None => Err(PatternError::UnknownPlaceholder {
                column,
                name: name.to_owned(),
                known: match kind {
                    PatternKind::Topic => KNOWN_TOPIC_PLACEHOLDERS,
                    PatternKind::ClientId => KNOWN_CLIENT_ID_PLACEHOLDERS,
                },
            }),
        },
    }
}

/// Accepts `0W` with W from 1 to 9.
fn zero_padded_width(width: &str) -> Option<usize> {
    let digit = width.strip_prefix('0')?;
    let mut digits = digit.chars();
    let width = digits.next()?.to_digit(10)?;
    let is_single_digit = digits.next().is_none();
    (is_single_digit && (1..=9).contains(&width)).then_some(width as usize)
}
