//! The menu entry: a `.desktop` file and hicolor icons under the user's own XDG data directory.
//!
//! Desktop entries are the freedesktop.org convention (Linux and the BSDs). Windows puts a shortcut in
//! the Start menu and macOS an app bundle in /Applications instead; on those systems the subcommand
//! says so rather than writing files nobody reads.

use std::path::{Path, PathBuf};

use super::icon::{APP_ID, ICON_PNGS, ICON_SVG};

/// The shipped entry (the `.deb` installs this very file); `Exec` is rewritten for a user install.
pub const DESKTOP_ENTRY: &str = include_str!("../../assets/mqtt-playground.desktop");

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "cannot tell where your data directory is: neither XDG_DATA_HOME nor HOME is set; set XDG_DATA_HOME (usually ~/.local/share)"
    )]
    NoDataHome,
    #[error(
        "the data directory {0} does not exist: create it (mkdir -p {0}) or point XDG_DATA_HOME at one that does"
    )]
    MissingDataHome(PathBuf),
    #[error(
        "could not write {path}: {source} (is the directory read-only, or a file in the way?); `install-desktop-entry --remove` takes out what was written before it"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not remove {path}: {source} (is the directory read-only?)")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot tell where this program is ({0}), so the menu entry would not know what to start"
    )]
    NoExe(std::io::Error),
    #[error(
        "this program's path {0} is not valid UTF-8, which a desktop entry cannot name; move it to a plain path"
    )]
    ExeNotUtf8(PathBuf),
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Where per-user menu entries and icons go: `$XDG_DATA_HOME` (if absolute), else `~/.local/share`.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn data_home() -> Result<PathBuf, InstallError> {
    let from_env = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".local").join("share"))
    };
    from_env.or_else(home).ok_or(InstallError::NoDataHome)
}

#[cfg(target_os = "macos")]
pub fn data_home() -> Result<PathBuf, InstallError> {
    Err(InstallError::Unsupported(
        "macOS has no desktop entries: apps live as bundles in /Applications (build one with cargo-bundle); start MQTT Playground from a terminal meanwhile",
    ))
}

#[cfg(windows)]
pub fn data_home() -> Result<PathBuf, InstallError> {
    Err(InstallError::Unsupported(
        "Windows has no desktop entries: make a shortcut to mqtt-playground.exe in %APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs instead",
    ))
}

#[cfg(not(any(unix, windows)))]
pub fn data_home() -> Result<PathBuf, InstallError> {
    Err(InstallError::Unsupported(
        "this system has no desktop menu convention MQTT Playground knows",
    ))
}

/// Every file an install writes under `data_home`, in the order written.
fn targets(data_home: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let icons = data_home.join("icons").join("hicolor");
    let mut files: Vec<(PathBuf, Vec<u8>)> = ICON_PNGS
        .iter()
        .map(|(size, png)| {
            (
                icons
                    .join(format!("{size}x{size}"))
                    .join("apps")
                    .join(format!("{APP_ID}.png")),
                png.to_vec(),
            )
        })
        .collect();
    files.push((
        icons
            .join("scalable")
            .join("apps")
            .join(format!("{APP_ID}.svg")),
        ICON_SVG.as_bytes().to_vec(),
    ));
    files.push((entry_path(data_home), Vec::new()));
    files
}

/// Where the `.desktop` file goes.
pub fn entry_path(data_home: &Path) -> PathBuf {
    data_home
        .join("applications")
        .join(format!("{APP_ID}.desktop"))
}

/// Writes the icons, then the entry (last, so a menu never shows an entry whose icon is missing).
pub fn install(data_home: &Path, exe: &Path) -> Result<Vec<PathBuf>, InstallError> {
    if !data_home.is_dir() {
        return Err(InstallError::MissingDataHome(data_home.to_path_buf()));
    }
    let exe_text = exe
        .to_str()
        .ok_or_else(|| InstallError::ExeNotUtf8(exe.to_path_buf()))?;
    let entry = entry_for(exe_text);
    let mut written = Vec::new();
    for (path, bytes) in targets(data_home) {
        let bytes = if bytes.is_empty() {
            entry.as_bytes().to_vec()
        } else {
            bytes
        };
        write(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), InstallError> {
    let failed = |source| InstallError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, bytes).map_err(failed)
}

/// Removes what [`install`] wrote; returns the files that were there. Directories stay.
pub fn remove(data_home: &Path) -> Result<Vec<PathBuf>, InstallError> {
    let mut removed = Vec::new();
    // The entry first, so the menu never shows an entry whose icon is gone.
    for (path, _) in targets(data_home).into_iter().rev() {
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(InstallError::Remove { path, source }),
        }
    }
    Ok(removed)
}

/// The shipped entry with `Exec` naming this program by its full path.
pub fn entry_for(exe: &str) -> String {
    let exec = format!("Exec={}", exec_argument(exe));
    DESKTOP_ENTRY
        .lines()
        .map(|line| {
            if line.starts_with("Exec=") {
                exec.as_str()
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Quotes a path for an `Exec` key: the spec's argument quoting, then its string escaping (`\` doubled),
/// and `%` doubled because `%` starts a field code.
fn exec_argument(path: &str) -> String {
    let plain = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._+-,:@".contains(c));
    if plain {
        return path.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in path.chars() {
        match c {
            '"' | '`' | '$' => {
                quoted.push_str("\\\\");
                quoted.push(c);
            }
            '\\' => quoted.push_str("\\\\\\\\"),
            '%' => quoted.push_str("%%"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_path_is_written_as_is() {
        assert_eq!(
            exec_argument("/usr/bin/mqtt-playground"),
            "/usr/bin/mqtt-playground"
        );
    }

    #[test]
    fn a_path_with_spaces_and_reserved_characters_is_quoted_and_escaped() {
        assert_eq!(
            exec_argument("/home/a b/100%/$x/mqtt-playground"),
            "\"/home/a b/100%%/\\\\$x/mqtt-playground\""
        );
    }

    #[test]
    fn the_entry_names_the_program_and_keeps_the_other_keys() {
        let entry = entry_for("/opt/mqtt/mqtt-playground");
        assert!(entry.contains("\nExec=/opt/mqtt/mqtt-playground\n"));
        assert!(entry.contains("\nIcon=mqtt-playground\n"));
        assert_eq!(entry.matches("Exec=").count(), 1);
    }

    #[test]
    fn a_missing_data_home_is_refused_and_nothing_is_written() {
        let dir =
            std::env::temp_dir().join(format!("mqtt-playground-no-such-{}", std::process::id()));
        let err = install(&dir, Path::new("/usr/bin/mqtt-playground")).unwrap_err();
        assert!(matches!(err, InstallError::MissingDataHome(_)), "{err}");
        assert!(!dir.exists());
    }
}
