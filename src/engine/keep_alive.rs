//! A connection's keep-alive: resolves once the client has been silent for the time it is allowed.
//!
//! Why not a timer moved on at every packet: tokio's `Sleep::reset` takes the timer wheel's lock
//! and moves the timer's entry, once per message a client sends. Here a read only notes the time;
//! the timer fires at the deadline it was set to, and if a packet was heard since, it is moved on
//! to the allowed time after that packet: once per allowed silence, not once per message.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::polled_when_woken::PolledWhenWoken;

/// Resolves when nothing was heard from the client for `allowed` (MQTT: 1.5 × its keep-alive).
pub struct Silence {
    allowed: Duration,
    last_heard: Instant,
    /// Gated: a session polls it at every turn, and it resolves only when the client falls silent.
    timer: PolledWhenWoken<Sleep>,
}

impl Silence {
    /// Counting from now.
    pub fn new(allowed: Duration) -> Self {
        Self {
            allowed,
            last_heard: Instant::now(),
            timer: PolledWhenWoken::new(tokio::time::sleep(allowed)),
        }
    }

    /// The client was heard from just now.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }
}

impl Future for Silence {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            ready!(Pin::new(&mut this.timer).poll(cx));
            let deadline = this.last_heard + this.allowed;
            if Instant::now() >= deadline {
                return Poll::Ready(());
            }
            // Heard from since the timer was set: it waits for the rest of the new silence.
            this.timer.restart_with(|sleep| sleep.reset(deadline));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: Duration = Duration::from_secs(15);

    #[tokio::test(start_paused = true)]
    async fn a_client_heard_within_each_allowed_silence_is_never_silent() {
        let mut silence = Silence::new(ALLOWED);
        for _ in 0..10 {
            let wait = tokio::time::timeout(ALLOWED.mul_f32(0.9), &mut silence).await;
            assert!(
                wait.is_err(),
                "silent although heard within the allowed time"
            );
            silence.heard();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn silence_resolves_exactly_the_allowed_time_after_the_last_packet() {
        let start = Instant::now();
        let mut silence = Silence::new(ALLOWED);
        // Heard at 4 s and 10 s: the timer set at the start fires at 15 s and moves on to 25 s.
        tokio::time::advance(Duration::from_secs(4)).await;
        silence.heard();
        tokio::time::advance(Duration::from_secs(6)).await;
        silence.heard();
        let fired = tokio::time::timeout(Duration::from_secs(120), &mut silence).await;
        assert!(fired.is_ok(), "a silent client was never found silent");
        assert_eq!(start.elapsed(), Duration::from_secs(25));
    }
}
