//! Makes password guessing slow: counts wrong sign-ins per address, paces an address that keeps failing,
//! and says in one summary line (not one per attempt) how many wrong passwords an address sent.
//!
//! The first [`Pacing::free_failures`] wrong passwords from an address are answered at once (people make
//! typos). After that every sign-in from that address, right or wrong, waits its turn: the turns are
//! spaced by a delay that doubles with each further failure up to a ceiling, and parallel attempts queue
//! behind each other, so opening many connections at once does not guess faster. The wait comes before
//! the check, so a right guess is not told apart from wrong ones by how fast it is answered. A success or
//! a quiet spell clears an address; the number of addresses tracked is capped (oldest forgotten first).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::settings::Credentials;

/// True when both the user name and the password match. Both are compared in full, in time that does
/// not depend on where they differ, and neither comparison can end the other early, so the time taken
/// says nothing about which one was wrong (only, at most, whether a length differed).
pub fn credentials_match(
    expected: &Credentials,
    username: Option<&str>,
    password: Option<&[u8]>,
) -> bool {
    let user_given = username.is_some();
    let password_given = password.is_some();
    let user_ok = username
        .unwrap_or_default()
        .as_bytes()
        .ct_eq(expected.username.as_bytes());
    let password_ok = password
        .unwrap_or_default()
        .ct_eq(expected.password.as_bytes());
    bool::from(user_ok & password_ok) && user_given && password_given
}

/// How guessing is slowed and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Wrong passwords from one address answered without delay.
    pub free_failures: u32,
    /// The wait once the free failures are used up; it doubles with each further failure.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// An address that sent no wrong password for this long starts again from zero.
    pub forget_after: Duration,
    /// At most one summary line per address this often.
    pub summary_every: Duration,
    /// Addresses remembered at once; beyond this the one quiet longest is forgotten.
    pub max_tracked: usize,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            forget_after: Duration::from_secs(10 * 60),
            summary_every: Duration::from_secs(10),
            max_tracked: 4096,
        }
    }
}

/// What one address has done lately.
#[derive(Debug, Clone)]
struct Record {
    /// Wrong passwords since the last success (drives the pacing).
    failures: u32,
    /// Wrong passwords since the address was first seen failing (what the summary says).
    wrong_total: u64,
    last_failure: Instant,
    /// The earliest moment the next paced sign-in may be checked.
    next_turn: Instant,
    /// Failures not yet in a summary line, and whether a summary is already scheduled.
    unreported: u64,
    summary_scheduled: bool,
    last_report: Instant,
}

/// What the front door should say about a wrong password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureNote {
    /// The first from this address: report it on its own line, as usual.
    ReportThis,
    /// Counted for a summary; ask [`AuthGuard::take_summary`] at this moment.
    SummaryAt(Instant),
    /// Counted for a summary that is already scheduled.
    Counted,
}

/// A summary line's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub wrong_total: u64,
    /// True when sign-ins from the address are being slowed down.
    pub slowed: bool,
}

/// Per-address sign-in failures for one broker run.
#[derive(Debug, Default)]
pub struct AuthGuard {
    pacing: Pacing,
    records: Mutex<HashMap<IpAddr, Record>>,
}

impl AuthGuard {
    pub fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            records: Mutex::new(HashMap::new()),
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn delay_after(&self, failures: u32) -> Duration {
        let extra = failures.saturating_sub(self.pacing.free_failures);
        let factor = 1u32.checked_shl(extra.min(31)).unwrap_or(u32::MAX);
        self.pacing
            .first_delay
            .saturating_mul(factor)
            .min(self.pacing.max_delay)
    }

    /// How long a sign-in from `ip` must wait before its credentials are checked, taking its turn; or
    /// `None` when the queue already reaches [`Pacing::max_delay`] ahead: that attempt is turned away
    /// unchecked, so a flood neither holds sockets open for hours nor pushes the next turn out of reach.
    pub fn turn_for(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let mut records = self.records();
        let Some(record) = records.get_mut(&ip) else {
            return Some(Duration::ZERO);
        };
        if now.saturating_duration_since(record.last_failure) >= self.pacing.forget_after {
            record.failures = 0;
        }
        if record.failures < self.pacing.free_failures {
            return Some(Duration::ZERO);
        }
        let turn = record.next_turn.max(now) + self.delay_after(record.failures);
        let wait = turn.saturating_duration_since(now);
        if wait > self.pacing.max_delay {
            return None;
        }
        record.next_turn = turn;
        Some(wait)
    }

    /// Waits for this address's turn (no wait for addresses in good standing); false when the address
    /// has too many attempts queued already and this one should be turned away unchecked.
    pub async fn wait_turn(&self, ip: IpAddr) -> bool {
        match self.turn_for(ip, Instant::now()) {
            Some(wait) if wait.is_zero() => true,
            Some(wait) => {
                tokio::time::sleep(wait).await;
                true
            }
            None => false,
        }
    }

    /// The right credentials came from `ip`: its pacing starts again from zero.
    pub fn succeeded(&self, ip: IpAddr) {
        if let Some(record) = self.records().get_mut(&ip) {
            record.failures = 0;
        }
    }

    /// A wrong password (or user name) came from `ip`.
    pub fn failed(&self, ip: IpAddr, now: Instant) -> FailureNote {
        let mut records = self.records();
        if !records.contains_key(&ip) {
            self.make_room(&mut records, now);
        }
        let forget_after = self.pacing.forget_after;
        let record = records.entry(ip).or_insert_with(|| Record {
            failures: 0,
            wrong_total: 0,
            last_failure: now,
            next_turn: now,
            unreported: 0,
            summary_scheduled: false,
            last_report: now,
        });
        let quiet_spell = now.saturating_duration_since(record.last_failure) >= forget_after;
        if quiet_spell && !record.summary_scheduled {
            record.failures = 0;
            record.wrong_total = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.wrong_total = record.wrong_total.saturating_add(1);
        record.last_failure = now;
        if record.wrong_total == 1 {
            record.last_report = now;
            return FailureNote::ReportThis;
        }
        record.unreported += 1;
        if record.summary_scheduled {
            return FailureNote::Counted;
        }
        record.summary_scheduled = true;
        FailureNote::SummaryAt((record.last_report + self.pacing.summary_every).max(now))
    }

    /// The scheduled summary for `ip`, if it still has failures to report.
    pub fn take_summary(&self, ip: IpAddr, now: Instant) -> Option<Summary> {
        let mut records = self.records();
        let record = records.get_mut(&ip)?;
        record.summary_scheduled = false;
        if record.unreported == 0 {
            return None;
        }
        record.unreported = 0;
        record.last_report = now;
        Some(Summary {
            wrong_total: record.wrong_total,
            slowed: record.failures >= self.pacing.free_failures,
        })
    }

    /// Addresses currently remembered (for tests and diagnostics).
    pub fn tracked(&self) -> usize {
        self.records().len()
    }

    /// Forgets quiet addresses, then the one quiet longest, so one more fits under the cap.
    fn make_room(&self, records: &mut HashMap<IpAddr, Record>, now: Instant) {
        if records.len() < self.pacing.max_tracked {
            return;
        }
        let forget_after = self.pacing.forget_after;
        records.retain(|_, r| {
            r.summary_scheduled || now.saturating_duration_since(r.last_failure) < forget_after
        });
        while records.len() >= self.pacing.max_tracked.max(1) {
            let oldest = records
                .iter()
                .min_by_key(|(_, r)| r.last_failure)
                .map(|(ip, _)| *ip);
            match oldest {
                Some(ip) => records.remove(&ip),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, last))
    }

    fn fail_times(guard: &AuthGuard, who: IpAddr, times: u32) {
        for _ in 0..times {
            guard.failed(who, Instant::now());
        }
    }

    /// Starts a paced sign-in; the handle finishes when the attempt gets its turn.
    fn start_attempt(guard: &Arc<AuthGuard>, who: IpAddr) -> tokio::task::JoinHandle<()> {
        let guard = guard.clone();
        tokio::spawn(async move {
            assert!(guard.wait_turn(who).await, "a turn, not turned away");
        })
    }

    fn wait_of(guard: &AuthGuard, who: IpAddr) -> Duration {
        guard
            .turn_for(who, Instant::now())
            .expect("a turn, not turned away")
    }

    /// Lets spawned tasks run without moving the paused clock.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn credentials_match_only_when_both_match() {
        let expected = Credentials {
            username: "teacher".into(),
            password: "s3cret".into(),
        };
        assert!(credentials_match(
            &expected,
            Some("teacher"),
            Some(b"s3cret")
        ));
        assert!(!credentials_match(
            &expected,
            Some("teacher"),
            Some(b"s3creT")
        ));
        assert!(!credentials_match(
            &expected,
            Some("teachex"),
            Some(b"s3cret")
        ));
        assert!(!credentials_match(
            &expected,
            Some("teacher"),
            Some(b"s3cret!")
        ));
        assert!(!credentials_match(&expected, None, Some(b"s3cret")));
        assert!(!credentials_match(&expected, Some("teacher"), None));
    }

    #[tokio::test(start_paused = true)]
    async fn five_failures_are_free_the_sixth_waits_one_second() {
        let guard = Arc::new(AuthGuard::default());
        let who = ip(23);
        fail_times(&guard, who, 4);
        assert_eq!(wait_of(&guard, who), Duration::ZERO);
        fail_times(&guard, who, 1);

        let sixth = start_attempt(&guard, who);
        settle().await;
        tokio::time::advance(Duration::from_millis(999)).await;
        settle().await;
        assert!(!sixth.is_finished(), "the sixth attempt still waits");
        tokio::time::advance(Duration::from_millis(1)).await;
        settle().await;
        assert!(
            sixth.is_finished(),
            "the sixth attempt had its turn after 1 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_delay_doubles_up_to_30_seconds() {
        let guard = AuthGuard::default();
        let who = ip(23);
        fail_times(&guard, who, 5);
        let mut delays = Vec::new();
        for _ in 0..8 {
            let wait = wait_of(&guard, who);
            delays.push(wait.as_secs());
            tokio::time::advance(wait).await;
            guard.failed(who, Instant::now());
        }
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[tokio::test(start_paused = true)]
    async fn parallel_attempts_queue_behind_each_other() {
        let guard = Arc::new(AuthGuard::default());
        let who = ip(23);
        fail_times(&guard, who, 5);
        let first = start_attempt(&guard, who);
        let second = start_attempt(&guard, who);
        settle().await;
        tokio::time::advance(Duration::from_secs(1)).await;
        settle().await;
        assert!(first.is_finished());
        assert!(
            !second.is_finished(),
            "the second waits for a turn of its own"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        settle().await;
        assert!(second.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_is_turned_away_once_the_queue_reaches_the_longest_delay() {
        let guard = AuthGuard::default();
        let who = ip(23);
        fail_times(&guard, who, 5);
        // Turns 1 s apart: 30 fit within the 30 s ceiling, the 31st is turned away unchecked.
        let waits: Vec<_> = (0..31)
            .map(|_| guard.turn_for(who, Instant::now()))
            .collect();
        assert_eq!(waits[29], Some(Duration::from_secs(30)));
        assert_eq!(waits[30], None);
        // Once time passes, turns free up again.
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(guard.turn_for(who, Instant::now()).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_or_a_quiet_spell_clears_an_address_and_others_are_never_slowed() {
        let guard = AuthGuard::default();
        let who = ip(23);
        fail_times(&guard, who, 7);
        assert!(!wait_of(&guard, who).is_zero());
        assert_eq!(wait_of(&guard, ip(24)), Duration::ZERO);

        guard.succeeded(who);
        assert_eq!(wait_of(&guard, who), Duration::ZERO);

        fail_times(&guard, who, 6);
        assert!(!wait_of(&guard, who).is_zero());
        tokio::time::advance(Pacing::default().forget_after).await;
        assert_eq!(wait_of(&guard, who), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_failure_is_reported_then_one_summary_per_ten_seconds() {
        let guard = AuthGuard::default();
        let who = ip(23);
        let start = Instant::now();
        assert_eq!(guard.failed(who, start), FailureNote::ReportThis);
        assert_eq!(
            guard.failed(who, start),
            FailureNote::SummaryAt(start + Duration::from_secs(10))
        );
        for _ in 0..10 {
            assert_eq!(guard.failed(who, start), FailureNote::Counted);
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        let summary = guard.take_summary(who, Instant::now()).expect("a summary");
        assert_eq!(summary.wrong_total, 12);
        assert!(summary.slowed);
        assert_eq!(guard.take_summary(who, Instant::now()), None);
        // The next failure schedules the next summary ten seconds after this one.
        let now = Instant::now();
        assert_eq!(
            guard.failed(who, now),
            FailureNote::SummaryAt(now + Duration::from_secs(10))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn memory_is_bounded_by_forgetting_the_quietest_address() {
        let guard = AuthGuard::new(Pacing {
            max_tracked: 3,
            ..Pacing::default()
        });
        for last in 1..=3 {
            guard.failed(ip(last), Instant::now());
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        guard.failed(ip(4), Instant::now());
        assert_eq!(guard.tracked(), 3);
        // 192.168.1.1 was the quietest: it is the one forgotten.
        assert_eq!(guard.failed(ip(1), Instant::now()), FailureNote::ReportThis);
        for last in 0..=255 {
            guard.failed(ip(last), Instant::now());
        }
        assert_eq!(guard.tracked(), 3);
    }
}
