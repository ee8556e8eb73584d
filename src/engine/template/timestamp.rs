//! Writes the render context's wall-clock time as Unix milliseconds, Unix seconds or RFC 3339.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How `timestamp` renders the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimestampFormat {
    UnixMillis,
    UnixSeconds,
    Iso,
}

impl TimestampFormat {
    pub fn from_word(word: &str) -> Option<TimestampFormat> {
        match word {
            "unix_ms" => Some(TimestampFormat::UnixMillis),
            "unix" => Some(TimestampFormat::UnixSeconds),
            "iso" => Some(TimestampFormat::Iso),
            _ => None,
        }
    }
}

/// The last millisecond RFC 3339 formatting can show (9999-12-31T23:59:59.999Z).
const LATEST_FORMATTABLE: Duration = Duration::from_millis(253_402_300_799_999);

pub(super) fn write_timestamp(out: &mut String, now: SystemTime, format: TimestampFormat) {
    // Writing to a String cannot fail, so the results of write! are ignored.
    match format {
        TimestampFormat::UnixMillis => {
            let _ = write!(
                out,
                "{}",
                signed_since_epoch(now, |since| since.as_millis())
            );
        }
        TimestampFormat::UnixSeconds => {
            let _ = write!(
                out,
                "{}",
                signed_since_epoch(now, |since| u128::from(since.as_secs()))
            );
        }
        TimestampFormat::Iso => {
            // humantime panics before 1970 and fails after 9999, so the clock is clamped into that range.
            let since_epoch = now
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .min(LATEST_FORMATTABLE);
            let clamped = UNIX_EPOCH + since_epoch;
            let _ = write!(out, "{}", humantime::format_rfc3339_millis(clamped));
        }
    }
}

/// Time since the epoch in some unit, negative for a clock set before 1970.
fn signed_since_epoch(now: SystemTime, in_unit: impl Fn(Duration) -> u128) -> i128 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(in_unit(after)).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(in_unit(before.duration())).unwrap_or(i128::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(now: SystemTime, format: TimestampFormat) -> String {
        let mut out = String::new();
        write_timestamp(&mut out, now, format);
        out
    }

    #[test]
    fn clock_before_1970_does_not_panic() {
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(render(before, TimestampFormat::UnixMillis), "-1500");
        assert_eq!(render(before, TimestampFormat::UnixSeconds), "-1");
        assert_eq!(
            render(before, TimestampFormat::Iso),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn clock_after_9999_is_clamped() {
        let far = UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        assert_eq!(
            render(far, TimestampFormat::Iso),
            "9999-12-31T23:59:59.999Z"
        );
    }
}
