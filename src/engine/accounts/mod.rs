//! Learner accounts: the list of user names and passwords the broker accepts besides the instructor's.
//!
//! Generated in bulk ([`generate`]), printed as a sheet ([`sheet`]), saved and loaded as CSV ([`csv_file`]),
//! and kept across restarts in a file only the user can read ([`store`]).

pub mod csv_file;
pub mod generate;
pub mod sheet;
pub mod store;

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, OnceLock};

use subtle::{Choice, ConstantTimeEq};

use super::auth_guard;
use super::settings::Credentials;

/// The most learner accounts one broker accepts (a large lecture hall, and a bound on memory and on the
/// time one sign-in check takes).
pub const MAX_LEARNERS: usize = 500;
/// The longest user name or password accepted from a file.
pub const MAX_FIELD_CHARS: usize = 256;

/// Why a list of accounts cannot be used; every message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountsError {
    #[error(
        "the user name \"{0}\" appears more than once; every learner needs a user name of their own"
    )]
    DuplicateUsername(String),
    #[error("the learner account \"{0}\" has no password; give it one")]
    EmptyPassword(String),
    #[error("a learner account has no user name; give every account a user name")]
    EmptyUsername,
    #[error("the user name \"{0}\" starts or ends with a space; remove the spaces")]
    UsernameSpaces(String),
    #[error(
        "the user name \"{0}\" contains a control character (a tab or line break, say); remove it"
    )]
    ControlCharacter(String),
    #[error("a user name or password is longer than {MAX_FIELD_CHARS} characters; shorten it")]
    TooLong,
    #[error("{count} learner accounts are more than this broker takes; use at most {MAX_LEARNERS}")]
    TooMany { count: usize },
    #[error(
        "the learner user name \"{0}\" is the instructor's own; choose another prefix or instructor name"
    )]
    InstructorNameReused(String),
    #[error(
        "learner accounts need the instructor's account too: turn on \"Require a password\" (or give --user and --password) with a user name of your own"
    )]
    NeedsInstructor,
}

/// The learner accounts, validated: non-empty distinct user names, non-empty passwords, at most
/// [`MAX_LEARNERS`]. Cheap to clone (settings travel in every snapshot).
#[derive(Clone, Default, Eq)]
pub struct LearnerAccounts(Arc<Vec<Credentials>>);

/// The window compares settings every frame: the same list (the usual case) is found without reading it.
impl PartialEq for LearnerAccounts {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

/// Only the number of accounts: a settings `{:?}` in a log line shows neither names nor passwords.
impl std::fmt::Debug for LearnerAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LearnerAccounts({} accounts)", self.len())
    }
}

impl LearnerAccounts {
    /// Checks the list and keeps it in the order given.
    pub fn new(accounts: Vec<Credentials>) -> Result<Self, AccountsError> {
        if accounts.len() > MAX_LEARNERS {
            return Err(AccountsError::TooMany {
                count: accounts.len(),
            });
        }
        let mut seen = HashSet::with_capacity(accounts.len());
        for account in &accounts {
            check_account(account)?;
            if !seen.insert(account.username.as_str()) {
                return Err(AccountsError::DuplicateUsername(account.username.clone()));
            }
        }
        Ok(Self(Arc::new(accounts)))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Credentials> {
        self.0.iter()
    }

    pub fn as_slice(&self) -> &[Credentials] {
        &self.0
    }

    /// Checks the accounts against the instructor's: the instructor's user name is not a learner's, and
    /// learners are only possible when sign-in is on.
    pub fn check_with_instructor(
        &self,
        instructor: Option<&Credentials>,
    ) -> Result<(), AccountsError> {
        if self.is_empty() {
            return Ok(());
        }
        let Some(instructor) = instructor else {
            return Err(AccountsError::NeedsInstructor);
        };
        match self.iter().find(|a| a.username == instructor.username) {
            Some(reused) => Err(AccountsError::InstructorNameReused(reused.username.clone())),
            None => Ok(()),
        }
    }

    /// Short words for the window and the terminal: "25 learner accounts".
    pub fn describe(&self) -> String {
        match self.len() {
            1 => "1 learner account".to_owned(),
            n => format!("{n} learner accounts"),
        }
    }
}

pub(super) fn check_account(account: &Credentials) -> Result<(), AccountsError> {
    let name = &account.username;
    if name.is_empty() {
        return Err(AccountsError::EmptyUsername);
    }
    if name.chars().count() > MAX_FIELD_CHARS || account.password.chars().count() > MAX_FIELD_CHARS
    {
        return Err(AccountsError::TooLong);
    }
    if name.trim() != name {
        return Err(AccountsError::UsernameSpaces(name.clone()));
    }
    if name.chars().any(char::is_control) {
        return Err(AccountsError::ControlCharacter(
            name.escape_debug().to_string(),
        ));
    }
    if account.password.is_empty() {
        return Err(AccountsError::EmptyPassword(name.clone()));
    }
    Ok(())
}

/// True when the user name and password are one of the accounts: the instructor's or a learner's (a
/// learner's password under another learner's name does not count).
///
/// How long the check takes says nothing about which user names exist, nor how long they are: the
/// pair given and every account's pair are hashed with keys chosen at random for this process (128
/// bits, two SipHash keys), and the fixed-size digests of all accounts are compared in constant time,
/// none ending the loop early. Only a digest that matches is then confirmed byte for byte.
pub fn sign_in_matches(
    instructor: &Credentials,
    learners: &LearnerAccounts,
    username: Option<&str>,
    password: Option<&[u8]>,
) -> bool {
    let keys = digest_keys();
    let given = digest(
        keys,
        username.unwrap_or_default().as_bytes(),
        password.unwrap_or_default(),
    );
    let mut found = Choice::from(0);
    let mut matched: Option<&Credentials> = None;
    for account in std::iter::once(instructor).chain(learners.iter()) {
        let known = digest(
            keys,
            account.username.as_bytes(),
            account.password.as_bytes(),
        );
        let equal = known.0.ct_eq(&given.0) & known.1.ct_eq(&given.1);
        found |= equal;
        if bool::from(equal) {
            // Taken only for the account that matches; a match is no secret once the client is let in.
            matched = Some(account);
        }
    }
    let confirmed =
        matched.is_some_and(|account| auth_guard::credentials_match(account, username, password));
    bool::from(found) && confirmed && username.is_some() && password.is_some()
}

/// Two hash keys chosen at random once per process.
fn digest_keys() -> &'static (RandomState, RandomState) {
    static KEYS: OnceLock<(RandomState, RandomState)> = OnceLock::new();
    KEYS.get_or_init(|| (RandomState::new(), RandomState::new()))
}

/// A 128-bit keyed digest of a user name and password (lengths included, so no two pairs run together).
fn digest(keys: &(RandomState, RandomState), username: &[u8], password: &[u8]) -> (u64, u64) {
    let one = |key: &RandomState| {
        let mut hasher = key.build_hasher();
        hasher.write_usize(username.len());
        hasher.write(username);
        hasher.write_usize(password.len());
        hasher.write(password);
        hasher.finish()
    };
    (one(&keys.0), one(&keys.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(user: &str, password: &str) -> Credentials {
        Credentials {
            username: user.to_owned(),
            password: password.to_owned(),
        }
    }

    fn learners() -> LearnerAccounts {
        LearnerAccounts::new(vec![
            account("student01", "aaaa"),
            account("student02", "bbbb"),
        ])
        .expect("valid")
    }

    #[test]
    fn exactly_the_accounts_sign_in() {
        let teacher = account("teacher", "apple pie");
        let learners = learners();
        let check = |user: &str, password: &str| {
            sign_in_matches(&teacher, &learners, Some(user), Some(password.as_bytes()))
        };
        assert!(check("teacher", "apple pie"));
        assert!(check("student01", "aaaa"));
        assert!(check("student02", "bbbb"));
        assert!(!check("student01", "bbbb"), "another learner's password");
        assert!(!check("student02", "aaaa"), "another learner's password");
        assert!(
            !check("student01", "apple pie"),
            "the instructor's password"
        );
        assert!(!check("student03", "aaaa"), "a name that is no account");
        assert!(!check("student01", ""));
        assert!(
            !check("teache", "rapple pie"),
            "the same bytes split elsewhere"
        );
        assert!(!sign_in_matches(&teacher, &learners, None, Some(b"aaaa")));
        assert!(!sign_in_matches(
            &teacher,
            &learners,
            Some("student01"),
            None
        ));
    }

    #[test]
    fn bad_lists_are_refused_with_the_reason() {
        let dup = LearnerAccounts::new(vec![account("a", "1"), account("a", "2")]);
        assert_eq!(dup, Err(AccountsError::DuplicateUsername("a".into())));
        let empty = LearnerAccounts::new(vec![account("a", "")]);
        assert_eq!(empty, Err(AccountsError::EmptyPassword("a".into())));
        assert_eq!(
            LearnerAccounts::new(vec![account("", "x")]),
            Err(AccountsError::EmptyUsername)
        );
        assert!(matches!(
            LearnerAccounts::new(vec![account(" a", "x")]),
            Err(AccountsError::UsernameSpaces(_))
        ));
        let many = (0..=MAX_LEARNERS)
            .map(|i| account(&format!("s{i}"), "pw"))
            .collect();
        assert_eq!(
            LearnerAccounts::new(many),
            Err(AccountsError::TooMany {
                count: MAX_LEARNERS + 1
            })
        );
    }

    #[test]
    fn the_instructor_name_is_not_a_learner_name_and_learners_need_an_instructor() {
        let learners = learners();
        assert_eq!(
            learners.check_with_instructor(Some(&account("student02", "x"))),
            Err(AccountsError::InstructorNameReused("student02".into()))
        );
        assert_eq!(
            learners.check_with_instructor(None),
            Err(AccountsError::NeedsInstructor)
        );
        assert!(
            learners
                .check_with_instructor(Some(&account("teacher", "x")))
                .is_ok()
        );
        assert!(
            LearnerAccounts::default()
                .check_with_instructor(None)
                .is_ok()
        );
    }

    #[test]
    fn debug_shows_only_how_many() {
        let text = format!("{:?}", learners());
        assert_eq!(text, "LearnerAccounts(2 accounts)");
    }
}
