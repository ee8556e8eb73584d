//! A future that is polled again only after it asked to be woken: for a wait a task looks at on
//! every turn but that rarely resolves.
//!
//! Why: a session's `select!` polls each of its branches at every turn, one to three turns per
//! message. Polling a wait that is already registered still costs: tokio's `Notify` takes its lock
//! (one lock shared by every session, for the broker's stop signal) to compare wakers. Gated, a
//! turn on which the wait was not woken costs one atomic swap.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use atomic_waker::AtomicWaker;

/// Wraps `inner`, which is polled on the first poll and afterwards only once it has woken.
pub struct PolledWhenWoken<F> {
    /// Boxed so the wrapper is `Unpin` whatever `inner` is; made once per wait.
    inner: Pin<Box<F>>,
    signal: Arc<Signal>,
    /// The waker `inner` is polled with: it marks the signal and wakes the task polling us.
    inner_waker: Waker,
    done: bool,
}

struct Signal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Marked before the task is woken, so the poll that follows sees it.
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future> PolledWhenWoken<F> {
    pub fn new(inner: F) -> Self {
        let signal = Arc::new(Signal {
            // The first poll always reaches `inner` (it has registered nothing yet).
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Self {
            inner: Box::pin(inner),
            inner_waker: Waker::from(signal.clone()),
            signal,
            done: false,
        }
    }
}

impl<F> PolledWhenWoken<F> {
    /// Changes the wrapped future in place (a timer given a new deadline), before or after it
    /// resolved; the next poll reaches it, so it registers its wake-up for the change.
    pub fn restart_with(&mut self, change: impl FnOnce(Pin<&mut F>)) {
        change(self.inner.as_mut());
        self.done = false;
        self.signal.woken.store(true, Ordering::Release);
    }
}

impl<F: Future> Future for PolledWhenWoken<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if this.done {
            // Polled after it resolved: like a fused future, it does not resolve twice.
            return Poll::Pending;
        }
        // Registered before the mark is read: a wake in between is seen now or wakes us again.
        this.signal.task.register(cx.waker());
        if !this.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let polled = this
            .inner
            .as_mut()
            .poll(&mut Context::from_waker(&this.inner_waker));
        this.done = polled.is_ready();
        polled
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    /// Where the inner future leaves its waker, for the test to wake it.
    type SharedWaker = Arc<std::sync::Mutex<Option<Waker>>>;

    /// Counts how often it is polled; resolves once `open` is set (and its waker is woken).
    struct Gate {
        polls: Arc<AtomicUsize>,
        open: Arc<AtomicBool>,
        waker: SharedWaker,
    }

    impl Future for Gate {
        type Output = &'static str;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.open.load(Ordering::SeqCst) {
                return Poll::Ready("opened");
            }
            if let Ok(mut waker) = self.waker.lock() {
                *waker = Some(cx.waker().clone());
            }
            Poll::Pending
        }
    }

    fn gate() -> (Gate, Arc<AtomicUsize>, Arc<AtomicBool>, SharedWaker) {
        let polls = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(std::sync::Mutex::new(None));
        let gate = Gate {
            polls: polls.clone(),
            open: open.clone(),
            waker: waker.clone(),
        };
        (gate, polls, open, waker)
    }

    fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(future).poll(&mut cx)
    }

    #[test]
    fn the_inner_future_is_polled_first_and_then_only_after_it_woke() {
        let (gate, polls, open, waker) = gate();
        let mut gated = PolledWhenWoken::new(gate);
        assert!(poll_once(&mut gated).is_pending());
        for _ in 0..100 {
            assert!(poll_once(&mut gated).is_pending());
        }
        assert_eq!(
            polls.load(Ordering::SeqCst),
            1,
            "polled again without a wake"
        );
        open.store(true, Ordering::SeqCst);
        let registered = waker.lock().ok().and_then(|mut w| w.take());
        registered
            .expect("the inner future registered a waker")
            .wake();
        assert_eq!(poll_once(&mut gated), Poll::Ready("opened"));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert!(poll_once(&mut gated).is_pending(), "resolved twice");
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_moved_on_in_place_resolves_at_its_new_deadline_only() {
        let start = tokio::time::Instant::now();
        let mut silence = PolledWhenWoken::new(tokio::time::sleep(Duration::from_secs(10)));
        assert!(poll_once(&mut silence).is_pending());
        // Moved on twice before its first deadline, as a session's reads move its keep-alive.
        for _ in 0..2 {
            tokio::time::advance(Duration::from_secs(6)).await;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            silence.restart_with(|sleep| sleep.reset(deadline));
        }
        let fired = tokio::time::timeout(Duration::from_secs(60), &mut silence).await;
        assert!(fired.is_ok(), "the moved timer never resolved");
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(22),
            "resolved at another deadline than its last one"
        );
        // Restarted after it resolved, it resolves again at the new deadline.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        silence.restart_with(|sleep| sleep.reset(deadline));
        let fired = tokio::time::timeout(Duration::from_secs(60), &mut silence).await;
        assert!(fired.is_ok(), "the restarted timer never resolved");
        assert_eq!(start.elapsed(), Duration::from_secs(27));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_reaches_the_task_that_waits_in_a_select() {
        let (gate, _polls, open, waker) = gate();
        let mut gated = PolledWhenWoken::new(gate);
        let opener = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            open.store(true, Ordering::SeqCst);
            let registered = waker.lock().ok().and_then(|mut w| w.take());
            if let Some(registered) = registered {
                registered.wake();
            }
        });
        let mut ticks = 0;
        let outcome = loop {
            // Other branches keep the task turning, as a session's reads do.
            tokio::select! {
                opened = &mut gated => break opened,
                _ = tokio::time::sleep(Duration::from_millis(100)) => ticks += 1,
            }
            assert!(ticks < 100, "the wake never reached the select");
        };
        assert_eq!(outcome, "opened");
        let _ = opener.await;
    }
}
