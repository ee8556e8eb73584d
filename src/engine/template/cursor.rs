//! Walks template text character by character while tracking line and column for error messages.

use std::str::Chars;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    /// The position after `text` has been read starting at `self`.
    pub fn advanced_over(self, text: &str) -> Position {
        text.chars().fold(self, Position::advanced_by)
    }

    fn advanced_by(self, character: char) -> Position {
        if character == '\n' {
            Position {
                line: self.line + 1,
                column: 1,
            }
        } else {
            Position {
                line: self.line,
                column: self.column + 1,
            }
        }
    }
}

/// A read position inside the source text.
#[derive(Clone, Debug)]
pub(super) struct Cursor<'a> {
    remaining: Chars<'a>,
    position: Position,
}

impl<'a> Cursor<'a> {
    pub fn new(source: &'a str) -> Self {
        Cursor {
            remaining: source.chars(),
            position: Position::START,
        }
    }

    pub fn position(&self) -> Position {
        self.position
    }

    pub fn rest(&self) -> &'a str {
        self.remaining.as_str()
    }

    pub fn peek(&self) -> Option<char> {
        self.remaining.clone().next()
    }

    pub fn starts_with(&self, text: &str) -> bool {
        self.rest().starts_with(text)
    }

    pub fn advance(&mut self) -> Option<char> {
        let character = self.remaining.next()?;
        self.position = self.position.advanced_by(character);
        Some(character)
    }

    /// Consumes `text` if the input continues with it.
    pub fn eat(&mut self, text: &str) -> bool {
        if !self.starts_with(text) {
            return false;
        }
        for _ in text.chars() {
            self.advance();
        }
        true
    }

    pub fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.advance();
        }
    }

    /// Consumes characters while `keep` holds and returns them.
    pub fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let before = self.rest();
        while self.peek().is_some_and(&keep) {
            self.advance();
        }
        let consumed = before.len() - self.rest().len();
        before.get(..consumed).unwrap_or_default()
    }

    /// Describes what comes next, for "expected X, found Y" messages.
    pub fn describe_next(&self) -> String {
        describe_character(self.peek())
    }
}

/// Names a character (or the end of input) the way error messages show it.
pub(super) fn describe_character(character: Option<char>) -> String {
    match character {
        None => "end of template".to_owned(),
        Some('\n') | Some('\r') => "a line break".to_owned(),
        Some(character) if character.is_whitespace() => "a space".to_owned(),
        Some(character) => format!("\"{character}\""),
    }
}
