//! The runtime the app's own subscriber's connection runs on: one worker thread below normal CPU
//! priority, so that on a busy machine the broker and its clients come first.
//!
//! Why: with the window watching `#` during a flood, reading, decoding and logging every message
//! took a quarter of the app's CPU away from the broker, and an external subscriber got a quarter
//! fewer messages per second than with the window on a tab without the log. At a lower priority
//! the connection reads only what the broker leaves time for: when the machine is busy it falls
//! behind, and as a QoS 0 subscriber it then misses messages in the broker (bounded by the broker's
//! log per filter) instead of slowing everyone else down. The log's intake, which stores only what
//! the connection read, stays on the engine's runtime (see ingest.rs), and the UI thread keeps its
//! normal priority, so the window keeps drawing. When the machine is not busy, nothing changes.

use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

/// The name of the subscriber's threads (as `top -H` and the tests see them).
pub const THREAD_NAME: &str = "watch";
/// How long a stop waits for the subscriber to say goodbye to its broker.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// Near the bottom of thread-priority's 0–99 scale: nice 18 on Linux (about 2% of a normal thread's
/// share when both want the CPU), "lowest" on Windows; 0 would be Windows' idle class, which runs
/// only when nothing else does. At nice 9 the connection read (and the broker wrote to it) about
/// twice as much during a flood, and the external subscriber got about 15% fewer messages a second.
const PRIORITY: u8 = 1;

/// The subscriber's runtime; stopped (with a short grace) when dropped.
pub struct WatchRuntime {
    /// Taken only by `drop`.
    runtime: Option<Runtime>,
    handle: Handle,
}

impl WatchRuntime {
    pub fn start() -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(THREAD_NAME)
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }
}

impl Drop for WatchRuntime {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        // Dropped from inside a runtime (a test's engine), waiting is not allowed: stop at once.
        if Handle::try_current().is_ok() {
            runtime.shutdown_background();
        } else {
            runtime.shutdown_timeout(STOP_GRACE);
        }
    }
}

/// Lowers the calling thread's priority; where the system refuses (the app already runs below it,
/// and raising needs a privilege), the thread keeps the priority it has.
fn lower_priority() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    let Ok(value) = ThreadPriorityValue::try_from(PRIORITY) else {
        return;
    };
    if let Err(why) = set_current_thread_priority(ThreadPriority::Crossplatform(value)) {
        tracing::debug!(?why, "the subscriber's thread keeps its priority");
    }
}
