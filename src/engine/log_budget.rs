//! Bounds the Activity lines written to the log file: a flood of connections (a script reconnecting
//! in a loop, a thousand devices starting) would otherwise write a line each, growing the log file
//! without end and costing the broker CPU; past the bound, lines are counted and a summary line says
//! how many were left out.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Activity lines written to the log file per second, at most.
pub const LINES_PER_SECOND: u32 = 100;

/// The lines written and left out in the current one-second window.
#[derive(Debug)]
pub struct LogBudget {
    window_start: Option<Instant>,
    written: u32,
    left_out: u64,
}

/// Whether a line goes to the log, and how many the window that just ended left out.
#[derive(Debug, PartialEq, Eq)]
pub struct Admission {
    pub write: bool,
    pub left_out_before: Option<u64>,
}

impl LogBudget {
    pub const fn new() -> Self {
        Self {
            window_start: None,
            written: 0,
            left_out: 0,
        }
    }

    /// Takes a line at `now`.
    pub fn admit(&mut self, now: Instant) -> Admission {
        let left_out_before = self.roll(now);
        let write = self.written < LINES_PER_SECOND;
        if write {
            self.written += 1;
        } else {
            self.left_out += 1;
        }
        Admission {
            write,
            left_out_before,
        }
    }

    /// Starts a new window if a second has passed since this one began: how many lines the
    /// ended window left out, if any.
    pub fn roll(&mut self, now: Instant) -> Option<u64> {
        if let Some(start) = self.window_start
            && now.saturating_duration_since(start) < Duration::from_secs(1)
        {
            return None;
        }
        self.window_start = Some(now);
        self.written = 0;
        let left_out = std::mem::take(&mut self.left_out);
        (left_out > 0).then_some(left_out)
    }
}

impl Default for LogBudget {
    fn default() -> Self {
        Self::new()
    }
}

/// Activity's information lines and its problems, each with a budget of its own, so a flood of
/// connects cannot crowd a warning (the broker failing, the connection cap reached) out of the log
/// and out of Copy diagnostics.
#[derive(Debug, Default)]
pub struct LogBudgets {
    info: LogBudget,
    problems: LogBudget,
}

impl LogBudgets {
    pub const fn new() -> Self {
        Self {
            info: LogBudget::new(),
            problems: LogBudget::new(),
        }
    }

    /// Takes a line at `now`: a problem (a warning) or information.
    pub fn admit(&mut self, problem: bool, now: Instant) -> Admission {
        self.budget(problem).admit(now)
    }

    /// How many lines of the kind the window that just ended left out, if it ended.
    pub fn roll(&mut self, problem: bool, now: Instant) -> Option<u64> {
        self.budget(problem).roll(now)
    }

    fn budget(&mut self, problem: bool) -> &mut LogBudget {
        if problem {
            &mut self.problems
        } else {
            &mut self.info
        }
    }
}

/// The app's budgets (the log file is one for the whole process).
pub static ACTIVITY_LOG_BUDGETS: Mutex<LogBudgets> = Mutex::new(LogBudgets::new());

/// The line that stands for the lines left out (`what`: "Activity lines", "warnings").
pub fn left_out_line(what: &str, left_out: u64) -> String {
    format!(
        "{} more {what} in one second were left out of this log (at most {LINES_PER_SECOND} a second are written)",
        super::display_text::thousands(left_out)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_bound_lines_are_counted_and_the_next_window_reports_them() {
        let mut budget = LogBudget::new();
        let start = Instant::now();
        for _ in 0..LINES_PER_SECOND {
            assert!(budget.admit(start).write);
        }
        let over = budget.admit(start + Duration::from_millis(500));
        assert_eq!(
            over,
            Admission {
                write: false,
                left_out_before: None
            }
        );
        budget.admit(start + Duration::from_millis(900));
        let next = budget.admit(start + Duration::from_secs(1));
        assert_eq!(
            next,
            Admission {
                write: true,
                left_out_before: Some(2)
            }
        );
        assert_eq!(budget.roll(start + Duration::from_secs(3)), None);
    }

    #[test]
    fn a_flood_of_information_does_not_crowd_out_a_warning() {
        let mut budgets = LogBudgets::new();
        let now = Instant::now();
        for _ in 0..LINES_PER_SECOND {
            assert!(budgets.admit(false, now).write);
        }
        assert!(!budgets.admit(false, now).write);
        assert!(budgets.admit(true, now).write, "the warning was left out");
        assert_eq!(budgets.roll(true, now + Duration::from_secs(1)), None);
        assert_eq!(budgets.roll(false, now + Duration::from_secs(1)), Some(1));
    }

    #[test]
    fn a_quiet_log_writes_every_line_and_reports_nothing() {
        let mut budget = LogBudget::new();
        let start = Instant::now();
        for second in 0..5 {
            let at = start + Duration::from_secs(second);
            assert_eq!(
                budget.admit(at),
                Admission {
                    write: true,
                    left_out_before: None
                }
            );
        }
    }

    #[test]
    fn the_summary_line_says_how_many_and_why() {
        assert_eq!(
            left_out_line("Activity lines", 4212),
            "4,212 more Activity lines in one second were left out of this log (at most 100 a second are written)"
        );
    }
}
