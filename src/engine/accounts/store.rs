//! Keeps the learner accounts across restarts: a CSV file in the app's data folder that only the user
//! can read (0600 on Unix), so a sheet printed before lunch still works after the app restarts.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::LearnerAccounts;
use super::csv_file::{self, CsvError};

/// The file's name inside the data folder.
pub const STORE_FILE: &str = "learner-accounts.csv";

/// Why accounts could not be written or removed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not remove {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `~/.local/share/mqtt-playground/learner-accounts.csv` on Linux (the folder that holds `logs`);
/// `None` when the system names no home folder.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from_path(PathBuf::from("mqtt-playground"))
        .map(|dirs| dirs.data_dir().join(STORE_FILE))
}

/// The kept accounts, or `None` when there is no file (nothing kept, or cleared).
pub fn load(path: &Path) -> Result<Option<LearnerAccounts>, CsvError> {
    if !path.exists() {
        return Ok(None);
    }
    csv_file::load(path).map(Some)
}

/// Keeps `accounts` (an empty list removes the file).
pub fn save(path: &Path, accounts: &LearnerAccounts) -> Result<(), StoreError> {
    if accounts.is_empty() {
        return clear(path);
    }
    write_private(path, &csv_file::to_csv(accounts))
}

/// Forgets the kept accounts.
pub fn clear(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Remove {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes a file that holds passwords: readable by the user only (0600 on Unix), written to a temporary
/// file first and renamed, so a crash leaves the old file or the new one, never half of one.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let error = |source| StoreError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(error)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        #[cfg(unix)]
        {
            // A leftover temporary file from before had whatever mode it had.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::accounts::generate::generate;

    #[test]
    fn kept_accounts_come_back_and_only_the_user_can_read_them() {
        let folder = tempfile::tempdir().expect("a folder");
        let path = folder.path().join("data").join(STORE_FILE);
        assert_eq!(load(&path).expect("no file is fine"), None);
        let accounts = generate(5, "student").expect("generated");
        save(&path, &accounts).expect("saved");
        assert_eq!(load(&path).expect("loaded"), Some(accounts));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        save(&path, &LearnerAccounts::default()).expect("cleared");
        assert!(!path.exists());
        clear(&path).expect("clearing twice is fine");
    }
}
