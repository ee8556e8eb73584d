//! RFC 3339 UTC timestamps with millisecond precision, as written to and read from export files.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z: four-digit years are all RFC 3339 can spell.
const LATEST_WRITABLE_SECONDS: u64 = 253_402_300_799;

/// Formats like `2024-05-01T12:00:00.123Z`. Times before 1970 or after 9999 are clamped
/// to those bounds rather than failing, since an export must never stop on a bad clock.
pub fn format_utc_millis(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let clamped = if since_epoch.as_secs() > LATEST_WRITABLE_SECONDS {
        Duration::new(LATEST_WRITABLE_SECONDS, 999_000_000)
    } else {
        since_epoch
    };
    let writable = UNIX_EPOCH.checked_add(clamped).unwrap_or(UNIX_EPOCH);
    let mut text = String::with_capacity(24);
    // Writing into a String cannot fail, and the clamping above keeps the formatter in range.
    let _ = write!(text, "{}", humantime::format_rfc3339_millis(writable));
    text
}

/// Reads an RFC 3339 time in UTC (`Z` or `+00:00`), with any number of fractional digits.
pub fn parse_utc(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_milliseconds() {
        let time = UNIX_EPOCH + Duration::from_millis(1_714_564_800_123);
        assert_eq!(format_utc_millis(time), "2024-05-01T12:00:00.123Z");
        assert_eq!(parse_utc("2024-05-01T12:00:00.123Z"), Some(time));
        assert_eq!(parse_utc("2024-05-01T12:00:00.123+00:00"), Some(time));
        assert_eq!(
            parse_utc("2024-05-01T12:00:00Z"),
            Some(time - Duration::from_millis(123))
        );
    }

    #[test]
    fn out_of_range_times_are_clamped_and_garbage_rejected() {
        assert_eq!(
            format_utc_millis(UNIX_EPOCH - Duration::from_secs(10)),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_utc_millis(UNIX_EPOCH + Duration::from_secs(LATEST_WRITABLE_SECONDS * 2)),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(parse_utc("yesterday"), None);
        assert_eq!(parse_utc("2024-05-01T12:00:00.123+02:00"), None);
        assert_eq!(parse_utc("2024-13-01T12:00:00Z"), None);
        assert_eq!(parse_utc("2024-05-01T12:00:00.1é3Z"), None);
    }
}
