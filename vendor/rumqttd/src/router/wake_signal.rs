//! MQTT Playground patch (see PATCHED.md): the router's "there is something for you" to one link,
//! as a flag and a waker instead of a channel of `()`.
//!
//! Why: a session polls its link's wake-up at every turn of its loop, one to three turns per
//! message, and the router sends one for every batch it leaves a link. Through a flume channel each
//! poll took the channel's lock and each wake-up queued a token under it (about a tenth of the
//! broker's instructions at 1,000 messages a second spread over 1,000 publishers). Here a poll is an
//! atomic swap and a waker check, a wake-up an atomic store and a wake. Wake-ups that come before the
//! link looks are one wake-up, as the link takes everything queued at once anyway.
//!
//! The errors are flume's, so `LinkError` and its callers stay as they were: a link whose router
//! side is gone (the `WakeSender` dropped) gets `Disconnected` once it has taken the last wake-up.
//! Tested in the app (`tests/wake_signal.rs`): this crate's own tests do not build on their own here.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use atomic_waker::AtomicWaker;
use flume::{RecvError, RecvTimeoutError, TryRecvError};
use parking_lot::{Condvar, Mutex};

#[derive(Debug, Default)]
struct Shared {
    pending: AtomicBool,
    closed: AtomicBool,
    /// The task waiting in `poll_recv`, if any.
    waker: AtomicWaker,
    /// Threads waiting in `recv`/`recv_deadline`: the sender takes the lock only when there are some.
    blocked: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Shared {
    fn fire(&self) {
        self.waker.wake();
        // SeqCst on both sides: a blocking receiver either sees the flag or is seen counted.
        if self.blocked.load(Ordering::SeqCst) > 0 {
            let _held = self.lock.lock();
            self.condvar.notify_all();
        }
    }
}

/// The router's side; dropping it tells the link the router is done with it.
#[derive(Debug)]
pub struct WakeSender(Arc<Shared>);

/// The link's side. Not `Clone`: the signal wakes one waiting task, so it has one receiver.
#[derive(Debug)]
pub struct WakeReceiver(Arc<Shared>);

/// A new signal, not raised.
pub fn wake_signal() -> (WakeSender, WakeReceiver) {
    let shared = Arc::new(Shared::default());
    (WakeSender(shared.clone()), WakeReceiver(shared))
}

impl WakeSender {
    /// Raises the signal. Never fails (the `Result` keeps the channel's `try_send(()).ok()` shape).
    pub fn try_send(&self, _: ()) -> Result<(), ()> {
        self.0.pending.store(true, Ordering::SeqCst);
        self.0.fire();
        Ok(())
    }
}

impl Drop for WakeSender {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::SeqCst);
        self.0.fire();
    }
}

impl WakeReceiver {
    /// Takes the signal if it is raised.
    pub fn try_recv(&self) -> Result<(), TryRecvError> {
        if self.0.pending.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        if self.0.closed.load(Ordering::SeqCst) {
            // A raise just before the close is still taken first.
            return match self.0.pending.swap(false, Ordering::SeqCst) {
                true => Ok(()),
                false => Err(TryRecvError::Disconnected),
            };
        }
        Err(TryRecvError::Empty)
    }

    /// Takes the signal, or registers the task to be woken when it is raised or closed.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<(), RecvError>> {
        // Registered before the flags are read: a raise in between is seen now or wakes us.
        self.0.waker.register(cx.waker());
        match self.taken() {
            Some(taken) => Poll::Ready(taken.map_err(|_| RecvError::Disconnected)),
            None => Poll::Pending,
        }
    }

    pub async fn recv_async(&self) -> Result<(), RecvError> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Blocks the thread until the signal is raised or closed.
    pub fn recv(&self) -> Result<(), RecvError> {
        self.recv_until(None).map_err(|_| RecvError::Disconnected)
    }

    /// Blocks the thread until the signal is raised or closed, or `deadline` passes.
    pub fn recv_deadline(&self, deadline: Instant) -> Result<(), RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<(), RecvTimeoutError> {
        let mut held = self.0.lock.lock();
        self.0.blocked.fetch_add(1, Ordering::SeqCst);
        let outcome = loop {
            if let Some(taken) = self.taken() {
                break taken;
            }
            let timed_out = match deadline {
                None => {
                    self.0.condvar.wait(&mut held);
                    false
                }
                Some(deadline) => self.0.condvar.wait_until(&mut held, deadline).timed_out(),
            };
            if timed_out {
                break self.taken().unwrap_or(Err(RecvTimeoutError::Timeout));
            }
        };
        self.0.blocked.fetch_sub(1, Ordering::SeqCst);
        outcome
    }

    /// The signal taken or found closed; `None` while it is neither.
    fn taken(&self) -> Option<Result<(), RecvTimeoutError>> {
        match self.try_recv() {
            Ok(()) => Some(Ok(())),
            Err(TryRecvError::Disconnected) => Some(Err(RecvTimeoutError::Disconnected)),
            Err(TryRecvError::Empty) => None,
        }
    }
}
