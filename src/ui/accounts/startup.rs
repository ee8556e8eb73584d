//! Learner accounts kept from the last run, put back into the settings the window starts with, so a
//! sheet printed before a restart keeps working.

use std::path::Path;

use crate::engine::accounts::generate;
use crate::engine::accounts::{LearnerAccounts, store};
use crate::engine::{BrokerSettings, Credentials};

/// The instructor's user name when none was ever chosen.
pub const DEFAULT_INSTRUCTOR: &str = "instructor";

/// The learner accounts kept in `path` by an earlier run; a file that cannot be read is reported and
/// left alone (the broker then starts without learner accounts).
pub fn kept_learner_accounts(path: Option<&Path>) -> Option<LearnerAccounts> {
    match store::load(path?) {
        Ok(kept) => kept,
        Err(err) => {
            tracing::warn!("the kept learner accounts are not used: {err}");
            None
        }
    }
}

/// Puts kept learner accounts into the starting settings. Learners need the instructor's account
/// (the app's own clients sign in with it); when its password was not remembered, the instructor
/// gets a new random one for this run (shown in the broker panel) rather than the learners losing
/// theirs. Accounts that clash with the instructor's name are reported and left out.
pub fn with_kept_learners(
    settings: &mut BrokerSettings,
    learners: LearnerAccounts,
    saved_username: Option<&str>,
) {
    let mut candidate = settings.clone();
    if candidate.credentials.is_none() {
        let username = saved_username
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(DEFAULT_INSTRUCTOR);
        candidate.credentials = Some(Credentials {
            username: username.to_owned(),
            password: generate::password(),
        });
        tracing::info!(
            "learner accounts kept from the last run: the instructor's account \"{username}\" gets a new password for this run (see the broker panel)"
        );
    }
    candidate.learner_accounts = learners;
    match candidate.validate() {
        Ok(()) => *settings = candidate,
        Err(err) => tracing::warn!("the kept learner accounts are not used: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learners() -> LearnerAccounts {
        generate::generate(3, "student").expect("generated")
    }

    #[test]
    fn kept_learners_join_the_instructors_account() {
        let mut settings = BrokerSettings {
            credentials: Some(Credentials {
                username: "teacher".into(),
                password: "pw".into(),
            }),
            ..BrokerSettings::default()
        };
        with_kept_learners(&mut settings, learners(), Some("teacher"));
        assert_eq!(settings.learner_accounts.len(), 3);
        assert_eq!(settings.credentials.expect("kept").password, "pw");
    }

    #[test]
    fn without_a_remembered_password_the_instructor_gets_a_new_one_and_learners_keep_theirs() {
        let mut settings = BrokerSettings::default();
        let kept = learners();
        with_kept_learners(&mut settings, kept.clone(), Some("teacher"));
        assert_eq!(settings.learner_accounts, kept);
        let instructor = settings.credentials.expect("an instructor account");
        assert_eq!(instructor.username, "teacher");
        assert!(!instructor.password.is_empty());

        let mut unnamed = BrokerSettings::default();
        with_kept_learners(&mut unnamed, kept, None);
        assert_eq!(
            unnamed.credentials.expect("an instructor account").username,
            DEFAULT_INSTRUCTOR
        );
    }

    #[test]
    fn accounts_clashing_with_the_instructors_name_are_left_out() {
        let mut settings = BrokerSettings {
            credentials: Some(Credentials {
                username: "student02".into(),
                password: "pw".into(),
            }),
            ..BrokerSettings::default()
        };
        with_kept_learners(&mut settings, learners(), None);
        assert!(settings.learner_accounts.is_empty());
        assert_eq!(
            settings.credentials.expect("untouched").username,
            "student02"
        );
    }

    #[test]
    fn a_missing_or_broken_file_means_no_learners() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("learner-accounts.csv");
        assert_eq!(kept_learner_accounts(Some(&path)), None);
        std::fs::write(&path, "username,password\ns1\n").expect("written");
        assert_eq!(kept_learner_accounts(Some(&path)), None);
        assert_eq!(kept_learner_accounts(None), None);
    }
}
