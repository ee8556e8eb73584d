//! Makes learner accounts in bulk: `student01..studentNN` with random passwords that are easy to type
//! and to read aloud.

use rand::Rng;
use rand::rngs::OsRng;

use super::{AccountsError, LearnerAccounts, MAX_LEARNERS};
use crate::engine::settings::Credentials;

/// The prefix a user name gets when none is chosen.
pub const DEFAULT_PREFIX: &str = "student";
/// The longest prefix accepted.
pub const MAX_PREFIX_CHARS: usize = 32;
/// Password characters: lower-case letters and digits without the look-alikes 0/o, 1/l/i.
pub const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// A password is this many groups of [`GROUP_LEN`] characters joined by '-': "k7mq-x4tr-9pwz".
pub const GROUPS: usize = 3;
pub const GROUP_LEN: usize = 4;

/// Why accounts cannot be generated as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("\"{0}\" is not a number of learners; type a whole number from 1 to {MAX_LEARNERS}")]
    NotANumber(String),
    #[error("{0} learners is out of range; choose from 1 to {MAX_LEARNERS}")]
    OutOfRange(i64),
    #[error("the prefix is empty; type the start of every user name, such as \"student\"")]
    EmptyPrefix,
    #[error("the prefix is longer than {MAX_PREFIX_CHARS} characters; shorten it")]
    PrefixTooLong,
    #[error(
        "the prefix contains a space or a control character; learners type it, so keep it to one word"
    )]
    PrefixSpaces,
    #[error(
        "the prefix starts with \"{0}\", which spreadsheets read as a formula; start it with a letter or digit"
    )]
    PrefixFormula(char),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
}

/// Reads how many learners a user typed: 1 to [`MAX_LEARNERS`], spaces forgiven.
pub fn parse_count(text: &str) -> Result<usize, GenerateError> {
    let trimmed = text.trim();
    let value: i64 = trimmed
        .parse()
        .map_err(|_| GenerateError::NotANumber(trimmed.to_owned()))?;
    check_count(value)
}

fn check_count(value: i64) -> Result<usize, GenerateError> {
    match usize::try_from(value) {
        Ok(n) if (1..=MAX_LEARNERS).contains(&n) => Ok(n),
        _ => Err(GenerateError::OutOfRange(value)),
    }
}

/// Checks a user-name prefix: one word learners can type, that no spreadsheet takes for a formula.
pub fn check_prefix(prefix: &str) -> Result<(), GenerateError> {
    if prefix.is_empty() {
        return Err(GenerateError::EmptyPrefix);
    }
    if prefix.chars().count() > MAX_PREFIX_CHARS {
        return Err(GenerateError::PrefixTooLong);
    }
    if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(GenerateError::PrefixSpaces);
    }
    match prefix.chars().next() {
        Some(first @ ('=' | '+' | '-' | '@')) => Err(GenerateError::PrefixFormula(first)),
        _ => Ok(()),
    }
}

/// The user names for `count` learners: `prefix01..prefixNN`, two digits at least, more past 99
/// (`student001..student100`) so they sort in order.
pub fn usernames(prefix: &str, count: usize) -> Vec<String> {
    let width = count.to_string().len().max(2);
    (1..=count)
        .map(|n| format!("{prefix}{n:0width$}"))
        .collect()
}

/// A new random password from the operating system's generator: about 59 bits in 12 characters.
pub fn password() -> String {
    let mut rng = OsRng;
    let mut text = String::with_capacity(GROUPS * (GROUP_LEN + 1));
    for group in 0..GROUPS {
        if group > 0 {
            text.push('-');
        }
        for _ in 0..GROUP_LEN {
            let index = rng.gen_range(0..PASSWORD_ALPHABET.len());
            text.push(char::from(PASSWORD_ALPHABET[index]));
        }
    }
    text
}

/// `count` learner accounts named after `prefix`, each with its own random password.
pub fn generate(count: usize, prefix: &str) -> Result<LearnerAccounts, GenerateError> {
    let count = check_count(i64::try_from(count).unwrap_or(i64::MAX))?;
    check_prefix(prefix)?;
    let accounts = usernames(prefix, count)
        .into_iter()
        .map(|username| Credentials {
            username,
            password: password(),
        })
        .collect();
    Ok(LearnerAccounts::new(accounts)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_numbered_and_grow_wider_past_99() {
        assert_eq!(
            usernames("student", 3),
            ["student01", "student02", "student03"]
        );
        let hundred = usernames("s", 100);
        assert_eq!(hundred.first().map(String::as_str), Some("s001"));
        assert_eq!(hundred.last().map(String::as_str), Some("s100"));
        assert_eq!(usernames("s", 99).last().map(String::as_str), Some("s99"));
    }

    #[test]
    fn passwords_are_readable_and_distinct() {
        let accounts = generate(200, DEFAULT_PREFIX).expect("generated");
        let mut seen = HashSet::new();
        for account in accounts.iter() {
            let p = &account.password;
            assert_eq!(p.len(), GROUPS * GROUP_LEN + GROUPS - 1, "{p}");
            assert!(
                p.split('-').all(|g| g.len() == GROUP_LEN),
                "groups of four: {p}"
            );
            assert!(
                !p.chars().any(|c| "0O1lIio".contains(c)),
                "no look-alikes: {p}"
            );
            assert!(seen.insert(p.clone()), "a repeated password: {p}");
        }
    }

    #[test]
    fn counts_and_prefixes_are_checked() {
        assert_eq!(parse_count(" 25 "), Ok(25));
        assert_eq!(parse_count("0"), Err(GenerateError::OutOfRange(0)));
        assert_eq!(parse_count("501"), Err(GenerateError::OutOfRange(501)));
        assert!(matches!(
            parse_count("ten"),
            Err(GenerateError::NotANumber(_))
        ));
        assert!(parse_count("500").is_ok());
        assert_eq!(generate(3, ""), Err(GenerateError::EmptyPrefix));
        assert_eq!(generate(3, "a b"), Err(GenerateError::PrefixSpaces));
        assert_eq!(generate(3, "=cmd"), Err(GenerateError::PrefixFormula('=')));
        assert_eq!(generate(0, "s"), Err(GenerateError::OutOfRange(0)));
        assert!(
            GenerateError::OutOfRange(0)
                .to_string()
                .contains("from 1 to 500")
        );
        assert_eq!(generate(2, "<b>&\"'").expect("odd but typable").len(), 2);
    }
}
