//! The filtered list of log messages, kept up to date incrementally so a UI can redraw it every frame.

use std::collections::VecDeque;

use super::log_filter::{LogFilter, LogMatcher};
use super::message::LoggedMessage;
use super::message_log::MessageLog;

/// What one [`FilteredView::update`] changed, e.g. to keep a list scrolled to the bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewChange {
    pub added: usize,
    /// Matches that left the log through eviction or clearing.
    pub dropped: usize,
    /// The whole log was checked again (filter changed or a different log was shown).
    pub rebuilt: bool,
}

/// Seqs of the log messages that pass a [`LogFilter`], oldest first.
///
/// Seqs rather than positions are stored because positions shift on every eviction,
/// while a log's seqs stay put and are contiguous, so each lookup is still O(1).
#[derive(Debug, Clone)]
pub struct FilteredView {
    filter: LogFilter,
    matcher: LogMatcher,
    matching_seqs: VecDeque<u64>,
    /// Messages with a smaller seq have been checked already.
    next_seq_to_check: u64,
    needs_rebuild: bool,
    /// The log's end when the filter last changed: until checking gets there, the view is still
    /// applying that filter (see [`FilteredView::applying_filter`]).
    rebuild_ends_at: u64,
}

impl Default for FilteredView {
    fn default() -> Self {
        FilteredView::new(LogFilter::default())
    }
}

impl FilteredView {
    pub fn new(filter: LogFilter) -> FilteredView {
        FilteredView {
            matcher: filter.matcher(),
            filter,
            matching_seqs: VecDeque::new(),
            next_seq_to_check: 0,
            needs_rebuild: true,
            rebuild_ends_at: 0,
        }
    }

    pub fn filter(&self) -> &LogFilter {
        &self.filter
    }

    /// Changes the filter; the next [`FilteredView::update`] checks the whole log once.
    /// Setting the same filter again costs nothing.
    pub fn set_filter(&mut self, filter: LogFilter) {
        if filter == self.filter {
            return;
        }
        self.matcher = filter.matcher();
        self.filter = filter;
        self.needs_rebuild = true;
    }

    /// Brings the view in line with `log`, checking only messages not seen before.
    pub fn update(&mut self, log: &MessageLog) -> ViewChange {
        self.update_within(log, usize::MAX)
    }

    /// Like [`FilteredView::update`], but checks at most `budget` messages, so a new filter over a
    /// full log is applied over several frames instead of holding the log (and its writers) up in
    /// one long pass. [`FilteredView::unchecked`] says how many are still to go.
    pub fn update_within(&mut self, log: &MessageLog, budget: usize) -> ViewChange {
        let mut change = ViewChange::default();
        // A log whose numbering is behind ours is not the log we followed.
        if self.needs_rebuild || log.next_seq() < self.next_seq_to_check {
            change.dropped = self.matching_seqs.len();
            self.matching_seqs.clear();
            self.next_seq_to_check = 0;
            self.needs_rebuild = false;
            self.rebuild_ends_at = log.next_seq();
            change.rebuilt = true;
        }

        let oldest_kept_seq = log.first_seq().unwrap_or(log.next_seq());
        while self
            .matching_seqs
            .front()
            .is_some_and(|&seq| seq < oldest_kept_seq)
        {
            self.matching_seqs.pop_front();
            change.dropped += 1;
        }

        let first_unchecked = self.next_seq_to_check.max(oldest_kept_seq);
        let mut checked_up_to = log.next_seq();
        if let Some(start_position) = log.position_of_seq(first_unchecked) {
            for (checked, message) in log.range(start_position..).enumerate() {
                if checked == budget {
                    checked_up_to = message.seq;
                    break;
                }
                if self.matcher.matches(message) {
                    self.matching_seqs.push_back(message.seq);
                    change.added += 1;
                }
            }
        }
        self.next_seq_to_check = checked_up_to;
        change
    }

    /// Whether the filter set last is still being applied to the messages the log held then (as
    /// opposed to only new arrivals being left to check).
    pub fn applying_filter(&self) -> bool {
        self.needs_rebuild || self.next_seq_to_check < self.rebuild_ends_at
    }

    /// Messages of `log` the view has not checked yet.
    pub fn unchecked(&self, log: &MessageLog) -> u64 {
        let oldest_kept_seq = log.first_seq().unwrap_or(log.next_seq());
        if self.needs_rebuild {
            return log.next_seq().saturating_sub(oldest_kept_seq);
        }
        log.next_seq()
            .saturating_sub(self.next_seq_to_check.max(oldest_kept_seq))
    }

    pub fn len(&self) -> usize {
        self.matching_seqs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matching_seqs.is_empty()
    }

    /// The seq of the `index`-th matching message, 0 being the oldest.
    pub fn seq_at(&self, index: usize) -> Option<u64> {
        self.matching_seqs.get(index).copied()
    }

    /// The `index`-th matching message, for drawing only the visible rows.
    pub fn message_at<'log>(
        &self,
        log: &'log MessageLog,
        index: usize,
    ) -> Option<&'log LoggedMessage> {
        log.get_by_seq(self.seq_at(index)?)
    }

    /// Where the `index`-th matching message sits in the whole log.
    pub fn log_position_at(&self, log: &MessageLog, index: usize) -> Option<usize> {
        log.position_of_seq(self.seq_at(index)?)
    }

    /// Where a message sits in this view, e.g. to keep a selection visible after a filter change.
    pub fn index_of_seq(&self, seq: u64) -> Option<usize> {
        self.matching_seqs.binary_search(&seq).ok()
    }

    pub fn seqs(&self) -> impl DoubleEndedIterator<Item = u64> + ExactSizeIterator + '_ {
        self.matching_seqs.iter().copied()
    }

    pub fn iter<'a>(
        &'a self,
        log: &'a MessageLog,
    ) -> impl DoubleEndedIterator<Item = &'a LoggedMessage> + 'a {
        self.matching_seqs
            .iter()
            .filter_map(move |&seq| log.get_by_seq(seq))
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;
    use std::time::SystemTime;

    #[test]
    fn a_budget_spreads_a_rebuild_over_several_updates_and_misses_nothing() {
        let mut log = MessageLog::default();
        for i in 0..1000u32 {
            let topic: Arc<str> = if i % 2 == 0 {
                "even".into()
            } else {
                "odd".into()
            };
            log.push(
                SystemTime::now(),
                topic,
                0,
                false,
                Bytes::from(i.to_string()),
            );
        }
        let mut view = FilteredView::new(LogFilter {
            topic: Some(super::super::TopicFilter::parse("even").unwrap()),
            text: String::new(),
        });
        assert_eq!(view.unchecked(&log), 1000);
        let mut rounds = 0;
        while view.unchecked(&log) > 0 {
            view.update_within(&log, 300);
            rounds += 1;
            assert!(rounds <= 4, "300 a round covers 1000 in four rounds");
        }
        assert_eq!(rounds, 4);
        assert_eq!(view.len(), 500);
        log.push(SystemTime::now(), "even".into(), 0, false, Bytes::from("x"));
        view.update_within(&log, 300);
        assert_eq!(view.len(), 501);
        assert_eq!(view.unchecked(&log), 0);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use bytes::Bytes;

    use super::super::message_log::{LogLimits, MIN_CAPACITY};
    use super::*;

    fn log_with_capacity(capacity: usize) -> MessageLog {
        MessageLog::new(LogLimits {
            capacity,
            ..LogLimits::default()
        })
    }

    fn push(log: &mut MessageLog, topic: &str, payload: &str) {
        log.push(
            SystemTime::UNIX_EPOCH,
            Arc::from(topic),
            0,
            false,
            Bytes::from(payload.to_owned()),
        );
    }

    fn topic_filter(text: &str) -> LogFilter {
        LogFilter {
            topic: Some(text.parse().unwrap()),
            text: String::new(),
        }
    }

    #[test]
    fn incremental_update_checks_only_new_messages() {
        let mut log = log_with_capacity(MIN_CAPACITY);
        let mut view = FilteredView::new(topic_filter("a/#"));
        push(&mut log, "a/1", "x");
        push(&mut log, "b/1", "x");
        push(&mut log, "a/2", "x");
        let change = view.update(&log);
        assert_eq!(
            change,
            ViewChange {
                added: 2,
                dropped: 0,
                rebuilt: true
            }
        );
        assert_eq!(view.seqs().collect::<Vec<_>>(), vec![0, 2]);

        assert_eq!(view.update(&log), ViewChange::default());
        push(&mut log, "a", "x");
        push(&mut log, "b", "x");
        assert_eq!(
            view.update(&log),
            ViewChange {
                added: 1,
                dropped: 0,
                rebuilt: false
            }
        );
        assert_eq!(view.seqs().collect::<Vec<_>>(), vec![0, 2, 3]);
        assert_eq!(view.message_at(&log, 2).map(|m| &*m.topic), Some("a"));
        assert_eq!(view.log_position_at(&log, 1), Some(2));
        assert_eq!(view.index_of_seq(3), Some(2));
        assert_eq!(view.iter(&log).count(), 3);
    }

    #[test]
    fn evicted_matches_are_dropped_from_the_front() {
        let mut log = log_with_capacity(MIN_CAPACITY);
        let mut view = FilteredView::new(topic_filter("even"));
        for i in 0..MIN_CAPACITY {
            push(&mut log, if i % 2 == 0 { "even" } else { "odd" }, "x");
        }
        assert_eq!(view.update(&log).added, 50);
        for _ in 0..10 {
            push(&mut log, "odd", "x");
        }
        let change = view.update(&log);
        assert_eq!(
            change,
            ViewChange {
                added: 0,
                dropped: 5,
                rebuilt: false
            }
        );
        assert_eq!(view.len(), 45);
        assert_eq!(view.seq_at(0), Some(10));
        assert_eq!(view.message_at(&log, 0).map(|m| m.seq), Some(10));
    }

    #[test]
    fn eviction_past_unchecked_messages_between_updates() {
        let mut log = log_with_capacity(MIN_CAPACITY);
        let mut view = FilteredView::new(LogFilter::default());
        view.update(&log);
        for _ in 0..(MIN_CAPACITY * 3) {
            push(&mut log, "t", "x");
        }
        assert_eq!(view.update(&log).added, MIN_CAPACITY);
        assert_eq!(view.seq_at(0), log.first_seq());
    }

    #[test]
    fn filter_change_rebuilds_once_and_same_filter_is_free() {
        let mut log = log_with_capacity(MIN_CAPACITY);
        let mut view = FilteredView::new(LogFilter::default());
        push(&mut log, "a", "hello");
        push(&mut log, "b", "HELLO world");
        push(&mut log, "c", "bye");
        assert_eq!(view.update(&log).added, 3);

        view.set_filter(LogFilter {
            topic: None,
            text: "hello".to_owned(),
        });
        let change = view.update(&log);
        assert_eq!(
            change,
            ViewChange {
                added: 2,
                dropped: 3,
                rebuilt: true
            }
        );
        assert_eq!(view.seqs().collect::<Vec<_>>(), vec![0, 1]);

        view.set_filter(view.filter().clone());
        assert_eq!(view.update(&log), ViewChange::default());
    }

    #[test]
    fn clearing_the_log_empties_the_view_and_new_messages_follow() {
        let mut log = log_with_capacity(MIN_CAPACITY);
        let mut view = FilteredView::default();
        push(&mut log, "a", "x");
        push(&mut log, "a", "x");
        view.update(&log);
        log.clear();
        push(&mut log, "a", "after");
        let change = view.update(&log);
        assert_eq!(
            change,
            ViewChange {
                added: 1,
                dropped: 2,
                rebuilt: false
            }
        );
        assert_eq!(view.seqs().collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn switching_to_another_log_rebuilds() {
        let mut first = log_with_capacity(MIN_CAPACITY);
        for _ in 0..5 {
            push(&mut first, "a", "x");
        }
        let mut view = FilteredView::default();
        view.update(&first);
        let mut second = log_with_capacity(MIN_CAPACITY);
        push(&mut second, "b", "x");
        let change = view.update(&second);
        assert!(change.rebuilt);
        assert_eq!(view.len(), 1);
        assert_eq!(view.message_at(&second, 0).map(|m| &*m.topic), Some("b"));
    }
}
