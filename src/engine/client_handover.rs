//! One connection per client id towards rumqttd at a time: a newcomer whose id is still held asks the
//! earlier connection to close, and waits until rumqttd has let go of it before sending its CONNECT.
//!
//! Connections are ordered by when the port accepted them, and the newest wins, as MQTT wants: an
//! older attempt that reaches this point after a newer one (a client that gave up on a slow connect
//! and tried again leaves its first attempt queued behind the port) is turned away instead of taking
//! the newer connection over.
//!
//! Why: rumqttd numbers connections by reusable slots. When a newcomer takes over an id whose old
//! connection is closing at that very moment, the old link may report its end after the router has
//! already given the old slot to the newcomer, and the router then drops the newcomer instead (seen as
//! a reconnect that gets no CONNACK). Ending the old connection first, in order, leaves no such window.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// Who holds each client id, shared by every connection of one broker run.
#[derive(Debug, Default)]
pub struct Handovers {
    held: Mutex<HashMap<Arc<str>, Holder>>,
    next_order: AtomicU64,
}

#[derive(Debug)]
struct Holder {
    /// When the port accepted the holder's connection (see [`Handovers::next_order`]).
    order: u64,
    signals: Arc<Signals>,
}

/// What a holder and the connections waiting for its id tell each other: one small allocation per
/// connection (two `watch` channels were 7% of the broker's samples in a connect flood).
#[derive(Debug, Default)]
struct Signals {
    /// A newer connection with the same id wants the holder gone.
    superseded: Flag,
    /// The holder has let go of the id.
    released: Flag,
}

/// A flag that is set once and can be awaited.
#[derive(Debug, Default)]
struct Flag {
    set: AtomicBool,
    changed: Notify,
}

impl Flag {
    fn set(&self) {
        self.set.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    async fn wait(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the flag is read, so a `set` in between is not missed.
            changed.as_mut().enable();
            if self.set.load(Ordering::Acquire) {
                return;
            }
            changed.await;
        }
    }
}

/// A connection's hold on its client id; dropping it lets the next connection with that id go on.
#[derive(Debug)]
pub struct Hold {
    handovers: Arc<Handovers>,
    client_id: Arc<str>,
    order: u64,
    signals: Arc<Signals>,
}

impl Handovers {
    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Holder>> {
        // Single inserts and removes cannot leave the map inconsistent, so a poisoned lock is usable.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A number for a connection the port just accepted: later connections get larger ones.
    pub fn next_order(&self) -> u64 {
        self.next_order.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes the id for the connection accepted as `order`, first asking an earlier connection that
    /// holds it to close and waiting (at most `patience`) until it has. After that wait the id is
    /// taken anyway: a connection that does not let go in time must not lock its id out. None when
    /// a connection accepted later holds the id, or took it while this one waited: this one is the
    /// stale attempt.
    pub async fn take(
        self: &Arc<Self>,
        client_id: &str,
        order: u64,
        patience: Duration,
    ) -> Option<Hold> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let holder = {
                let mut held = self.lock();
                match held.get(client_id) {
                    Some(holder) if holder.order > order => return None,
                    Some(holder) if tokio::time::Instant::now() < deadline => {
                        holder.signals.superseded.set();
                        holder.signals.clone()
                    }
                    _ => return Some(self.insert(&mut held, client_id, order)),
                }
            };
            let _ = tokio::time::timeout_at(deadline, holder.released.wait()).await;
        }
    }

    fn insert(
        self: &Arc<Self>,
        held: &mut HashMap<Arc<str>, Holder>,
        client_id: &str,
        order: u64,
    ) -> Hold {
        let client_id: Arc<str> = client_id.into();
        let signals = Arc::new(Signals::default());
        let replaced = held.insert(
            client_id.clone(),
            Holder {
                order,
                signals: signals.clone(),
            },
        );
        // A holder that did not let go in time is replaced; it is to close all the same.
        if let Some(replaced) = replaced {
            replaced.signals.superseded.set();
        }
        Hold {
            handovers: self.clone(),
            client_id,
            order,
            signals,
        }
    }

    /// How many ids are held (for tests).
    pub fn held_count(&self) -> usize {
        self.lock().len()
    }
}

impl Hold {
    /// What tells this hold's connection that a newer one wants the id, owned apart from the hold
    /// (a session waits on it for as long as it lasts).
    pub fn superseded_signal(&self) -> Superseded {
        Superseded(self.signals.clone())
    }
}

/// Tells a connection that a newer connection with the same id asks it to close.
#[derive(Debug)]
pub struct Superseded(Arc<Signals>);

impl Superseded {
    /// Resolves when a newer connection with the same id asks this one to close.
    pub async fn wait(&self) {
        self.0.superseded.wait().await;
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        {
            let mut held = self.handovers.lock();
            // A newcomer that stopped waiting may have replaced this entry: leave that one alone.
            if held.get(&self.client_id).map(|h| h.order) == Some(self.order) {
                held.remove(&self.client_id);
            }
        }
        // After the entry is gone, so whoever wakes finds the id free.
        self.signals.released.set();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENCE: Duration = Duration::from_secs(5);

    /// Takes `id` for a connection accepted now.
    async fn take(handovers: &Arc<Handovers>, id: &str) -> Option<Hold> {
        handovers.take(id, handovers.next_order(), PATIENCE).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_free_id_is_taken_at_once_and_released_on_drop() {
        let handovers = Arc::new(Handovers::default());
        let hold = take(&handovers, "a").await;
        assert!(hold.is_some());
        assert_eq!(handovers.held_count(), 1);
        drop(hold);
        assert_eq!(handovers.held_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newcomer_asks_the_holder_to_close_and_waits_for_its_release() {
        let handovers = Arc::new(Handovers::default());
        let first = take(&handovers, "a").await.expect("free");
        let newcomer = tokio::spawn({
            let handovers = handovers.clone();
            async move { take(&handovers, "a").await }
        });
        // The holder hears it is superseded; the newcomer still waits.
        first.superseded_signal().wait().await;
        tokio::task::yield_now().await;
        assert!(!newcomer.is_finished());
        let started = tokio::time::Instant::now();
        drop(first);
        let second = newcomer
            .await
            .expect("runs")
            .expect("the newcomer gets the id");
        assert!(started.elapsed() < PATIENCE, "released, not timed out");
        assert_eq!(handovers.held_count(), 1);
        drop(second);
        assert_eq!(handovers.held_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_older_attempt_arriving_late_is_turned_away_and_the_newer_one_stays() {
        let handovers = Arc::new(Handovers::default());
        // Accepted first, but slower to get here (a client that gave up on it and tried again).
        let older = handovers.next_order();
        let newer = take(&handovers, "a").await.expect("free");
        assert!(handovers.take("a", older, PATIENCE).await.is_none());
        // The newer connection was not asked to close.
        let asked =
            tokio::time::timeout(Duration::from_secs(1), newer.superseded_signal().wait()).await;
        assert!(asked.is_err(), "the newer connection was asked to close");
        assert_eq!(handovers.held_count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_newcomer_overtaken_by_a_newer_one_gives_up() {
        let handovers = Arc::new(Handovers::default());
        let first = take(&handovers, "a").await.expect("free");
        let second_order = handovers.next_order();
        let third_order = handovers.next_order();
        let second = tokio::spawn({
            let handovers = handovers.clone();
            async move { handovers.take("a", second_order, PATIENCE).await }
        });
        first.superseded_signal().wait().await;
        // The first lets go; before the second runs again, the third takes the id.
        drop(first);
        let third = handovers.take("a", third_order, PATIENCE).await;
        assert!(third.is_some());
        assert!(second.await.expect("runs").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_holder_that_never_lets_go_is_replaced_after_the_patience_and_keeps_its_hands_off() {
        let handovers = Arc::new(Handovers::default());
        let stuck = take(&handovers, "a").await;
        let started = tokio::time::Instant::now();
        let newcomer = take(&handovers, "a").await;
        assert!(newcomer.is_some());
        assert!(started.elapsed() >= PATIENCE);
        // The stuck one going later must not take the newcomer's entry with it.
        drop(stuck);
        assert_eq!(handovers.held_count(), 1);
        drop(newcomer);
        assert_eq!(handovers.held_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_holder_replaced_without_a_wait_is_still_asked_to_close() {
        let handovers = Arc::new(Handovers::default());
        let replaced = take(&handovers, "a").await.expect("free");
        let newcomer = handovers
            .take("a", handovers.next_order(), Duration::ZERO)
            .await;
        assert!(newcomer.is_some());
        let asked =
            tokio::time::timeout(Duration::from_secs(1), replaced.superseded_signal().wait()).await;
        assert!(asked.is_ok(), "the replaced holder was not asked to close");
    }

    #[tokio::test(start_paused = true)]
    async fn different_ids_do_not_wait_for_each_other() {
        let handovers = Arc::new(Handovers::default());
        let _a = take(&handovers, "a").await;
        let started = tokio::time::Instant::now();
        let _b = take(&handovers, "b").await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(handovers.held_count(), 2);
    }
}
