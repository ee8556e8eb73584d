//! The one way the app reads a whole file it is asked to open: regular files only, and never more than a
//! stated number of bytes, whatever the file's metadata claims (pipes, devices and /proc files report 0).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file could not be read; each message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LimitedReadError {
    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is {kind}, not a regular file; save what you want to open as a file and open that"
    )]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{path} is larger than {limit_text}, more than this app opens; is it the right file?")]
    TooLarge {
        path: PathBuf,
        limit: u64,
        limit_text: String,
    },
}

/// Opens `path` for reading if it is a regular file (for readers that stream with their own bounds).
pub fn open_regular(path: &Path) -> Result<File, LimitedReadError> {
    let io_error = |source| LimitedReadError::Io {
        path: path.to_owned(),
        source,
    };
    // Checked before opening: opening a pipe with no writer would wait forever.
    refuse_unless_regular(path, &std::fs::metadata(path).map_err(io_error)?)?;
    let file = File::open(path).map_err(io_error)?;
    // Checked again on what was opened, in case the path changed in between.
    refuse_unless_regular(path, &file.metadata().map_err(io_error)?)?;
    Ok(file)
}

/// Reads all of `path` if it is a regular file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, LimitedReadError> {
    let io_error = |source| LimitedReadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(LimitedReadError::TooLarge {
            path: path.to_owned(),
            limit,
            limit_text: describe_bytes(limit),
        });
    }
    Ok(bytes)
}

fn refuse_unless_regular(
    path: &Path,
    metadata: &std::fs::Metadata,
) -> Result<(), LimitedReadError> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let kind = if file_type.is_dir() {
        "a folder"
    } else {
        special_kind(&file_type)
    };
    Err(LimitedReadError::NotAFile {
        path: path.to_owned(),
        kind,
    })
}

#[cfg(unix)]
fn special_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a pipe (FIFO)"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// "4 MiB", "512 KiB", "100 bytes".
pub fn describe_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_file_is_read_whole() {
        let path = std::env::temp_dir().join(format!("limited-read-{}.txt", std::process::id()));
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(read_limited(&path, 5).unwrap(), b"hello");
        let err = read_limited(&path, 4).unwrap_err();
        assert!(
            matches!(err, LimitedReadError::TooLarge { limit: 4, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("4 bytes"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_whose_metadata_says_zero_is_still_cut_at_the_limit() {
        // /proc files are regular files that report size 0 and hold more.
        let path = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
        let err = read_limited(path, 16).unwrap_err();
        assert!(
            matches!(err, LimitedReadError::TooLarge { limit: 16, .. }),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_refused_without_reading() {
        let err = read_limited(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
        let err = read_limited(&std::env::temp_dir(), 1024).unwrap_err();
        assert!(err.to_string().contains("a folder"), "{err}");
    }

    #[test]
    fn sizes_are_said_in_words() {
        assert_eq!(describe_bytes(4 * 1024 * 1024), "4 MiB");
        assert_eq!(describe_bytes(64 * 1024), "64 KiB");
        assert_eq!(describe_bytes(100), "100 bytes");
    }
}
