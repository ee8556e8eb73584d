//! One connection per client id towards rumqttd at a time: a newcomer whose id is still held asks the
//! earlier connection to close, and waits until rumqttd has let go of it before sending its CONNECT.
//!
//! Why: rumqttd numbers connections by reusable slots. When a newcomer takes over an id whose old
//! connection is closing at that very moment, the old link may report its end after the router has
//! already given the old slot to the newcomer, and the router then drops the newcomer instead (seen as
//! a reconnect that gets no CONNACK). Ending the old connection first, in order, leaves no such window.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

/// Who holds each client id, shared by every connection of one broker run.
#[derive(Debug, Default)]
pub struct Handovers {
    held: Mutex<HashMap<String, Holder>>,
    next_token: AtomicU64,
}

#[derive(Debug)]
struct Holder {
    token: u64,
    /// Set to true when a newer connection with the same id wants this one gone.
    superseded: watch::Sender<bool>,
    /// Closed (its sender dropped) when the holder has let go of the id.
    released: watch::Receiver<()>,
}

/// A connection's hold on its client id; dropping it lets the next connection with that id go on.
#[derive(Debug)]
pub struct Hold {
    handovers: Arc<Handovers>,
    client_id: String,
    token: u64,
    superseded: watch::Receiver<bool>,
    /// Dropped last (after the map entry is gone), which wakes whoever waits for this hold.
    _released: watch::Sender<()>,
}

impl Handovers {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Holder>> {
        // Single inserts and removes cannot leave the map inconsistent, so a poisoned lock is usable.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the id, first asking an earlier connection that holds it to close and waiting (at most
    /// `patience`) until it has. After that wait the id is taken anyway: a connection that does not
    /// let go in time must not lock its id out.
    pub async fn take(self: &Arc<Self>, client_id: &str, patience: Duration) -> Hold {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let released = {
                let mut held = self.lock();
                match held.get(client_id) {
                    Some(holder) if tokio::time::Instant::now() < deadline => {
                        holder.superseded.send_replace(true);
                        holder.released.clone()
                    }
                    _ => return self.insert(&mut held, client_id),
                }
            };
            let mut released = released;
            // `changed` fails once the holder's sender is dropped: that is the release.
            let _ = tokio::time::timeout_at(deadline, async {
                while released.changed().await.is_ok() {}
            })
            .await;
        }
    }

    fn insert(self: &Arc<Self>, held: &mut HashMap<String, Holder>, client_id: &str) -> Hold {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let (superseded_tx, superseded_rx) = watch::channel(false);
        let (released_tx, released_rx) = watch::channel(());
        held.insert(
            client_id.to_owned(),
            Holder {
                token,
                superseded: superseded_tx,
                released: released_rx,
            },
        );
        Hold {
            handovers: self.clone(),
            client_id: client_id.to_owned(),
            token,
            superseded: superseded_rx,
            _released: released_tx,
        }
    }

    /// How many ids are held (for tests).
    pub fn held_count(&self) -> usize {
        self.lock().len()
    }
}

impl Hold {
    /// Resolves when a newer connection with the same id asks this one to close.
    pub async fn superseded(&mut self) {
        // An error means the entry (and its sender) went away while this hold lives: only a newcomer
        // that gave up waiting replaces an entry, and it wants this connection gone too.
        let _ = self.superseded.wait_for(|s| *s).await;
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut held = self.handovers.lock();
        // A newcomer that stopped waiting may have replaced this entry: leave that one alone.
        if held.get(&self.client_id).map(|h| h.token) == Some(self.token) {
            held.remove(&self.client_id);
        }
    }
}

/// Waits for the hold, if there is one, to be superseded; never resolves without a hold.
pub async fn superseded(hold: &mut Option<Hold>) {
    match hold {
        Some(hold) => hold.superseded().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENCE: Duration = Duration::from_secs(5);

    #[tokio::test(start_paused = true)]
    async fn a_free_id_is_taken_at_once_and_released_on_drop() {
        let handovers = Arc::new(Handovers::default());
        let hold = handovers.take("a", PATIENCE).await;
        assert_eq!(handovers.held_count(), 1);
        drop(hold);
        assert_eq!(handovers.held_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newcomer_asks_the_holder_to_close_and_waits_for_its_release() {
        let handovers = Arc::new(Handovers::default());
        let mut first = handovers.take("a", PATIENCE).await;
        let newcomer = tokio::spawn({
            let handovers = handovers.clone();
            async move { handovers.take("a", PATIENCE).await }
        });
        // The holder hears it is superseded; the newcomer still waits.
        first.superseded().await;
        tokio::task::yield_now().await;
        assert!(!newcomer.is_finished());
        let started = tokio::time::Instant::now();
        drop(first);
        let second = newcomer.await.expect("the newcomer gets the id");
        assert!(started.elapsed() < PATIENCE, "released, not timed out");
        assert_eq!(handovers.held_count(), 1);
        drop(second);
        assert_eq!(handovers.held_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_holder_that_never_lets_go_is_replaced_after_the_patience_and_keeps_its_hands_off() {
        let handovers = Arc::new(Handovers::default());
        let stuck = handovers.take("a", PATIENCE).await;
        let started = tokio::time::Instant::now();
        let newcomer = handovers.take("a", PATIENCE).await;
        assert!(started.elapsed() >= PATIENCE);
        // The stuck one going later must not take the newcomer's entry with it.
        drop(stuck);
        assert_eq!(handovers.held_count(), 1);
        drop(newcomer);
        assert_eq!(handovers.held_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn different_ids_do_not_wait_for_each_other() {
        let handovers = Arc::new(Handovers::default());
        let _a = handovers.take("a", PATIENCE).await;
        let started = tokio::time::Instant::now();
        let _b = handovers.take("b", PATIENCE).await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(handovers.held_count(), 2);
    }
}
