//! What ends a session from outside its connection: the broker stopping, or a newer connection
//! with the same client id asking it to close; one wait per session, made once.
//!
//! Why once: a session waits for these at every turn (between the client's packets, during each
//! write). Waits made anew each turn registered and dropped two waiters, under their locks, for
//! every message; a wait kept for the whole session registers once, and is polled again only when
//! it was woken (see polled_when_woken).

use tokio::sync::watch;

use super::client_handover::Superseded;
use super::polled_when_woken::PolledWhenWoken;

/// Why a session was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    BrokerStopping,
    TakenOver,
}

/// Resolves when the broker stops (`stopping` turns true) or, with a hold on the client id, when a
/// newer connection takes the id over. Poll it until it resolves, not after.
pub fn interruption(
    stopping: watch::Receiver<bool>,
    superseded: Option<Superseded>,
) -> PolledWhenWoken<impl Future<Output = Interruption>> {
    PolledWhenWoken::new(wait_for_interruption(stopping, superseded))
}

async fn wait_for_interruption(
    mut stopping: watch::Receiver<bool>,
    superseded: Option<Superseded>,
) -> Interruption {
    let taken_over = async {
        match &superseded {
            Some(superseded) => superseded.wait().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        // A broker whose stop signal is gone is stopping too.
        _ = stopping.wait_for(|stopping| *stopping) => Interruption::BrokerStopping,
        () = taken_over => Interruption::TakenOver,
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::engine::client_handover::Handovers;
    use crate::engine::session::ready_now;

    const PATIENCE: Duration = Duration::from_secs(5);

    #[tokio::test(start_paused = true)]
    async fn the_broker_stopping_interrupts_a_wait_made_before_it() {
        let (stop, stopping) = watch::channel(false);
        let mut wait = pin!(interruption(stopping, None));
        assert_eq!(ready_now(wait.as_mut()), None);
        // Polled many times before the stop, as a session's turns poll it: still registered.
        for _ in 0..3 {
            assert!(
                tokio::time::timeout(Duration::from_millis(10), wait.as_mut())
                    .await
                    .is_err()
            );
        }
        let _ = stop.send(true);
        assert_eq!(wait.await, Interruption::BrokerStopping);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newer_connection_with_the_same_id_interrupts_the_holder() {
        let handovers = Arc::new(Handovers::default());
        let Some(first) = handovers
            .take("learner-7", handovers.next_order(), PATIENCE)
            .await
        else {
            panic!("a free id is taken at once");
        };
        let (_stop, stopping) = watch::channel(false);
        let mut wait = pin!(interruption(stopping, Some(first.superseded_signal())));
        assert!(
            tokio::time::timeout(Duration::from_millis(10), wait.as_mut())
                .await
                .is_err()
        );
        let newer = tokio::spawn({
            let handovers = handovers.clone();
            async move {
                handovers
                    .take("learner-7", handovers.next_order(), PATIENCE)
                    .await
                    .is_some()
            }
        });
        assert_eq!(wait.await, Interruption::TakenOver);
        drop(first);
        assert!(matches!(newer.await, Ok(true)));
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_hold_only_the_stop_interrupts() {
        let (stop, stopping) = watch::channel(false);
        let mut wait = pin!(interruption(stopping, None));
        assert!(
            tokio::time::timeout(Duration::from_secs(3600), wait.as_mut())
                .await
                .is_err()
        );
        drop(stop);
        assert_eq!(wait.await, Interruption::BrokerStopping);
    }
}
