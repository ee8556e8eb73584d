//! Ctrl-C (SIGINT) and SIGTERM, noticed on the engine's runtime so front ends without tokio can stop cleanly.

use super::Engine;

/// The exit status of a second Ctrl-C while the first one's clean stop is still under way (128 + SIGINT).
const FORCED_EXIT_STATUS: i32 = 130;

impl Engine {
    /// Calls `on_stop` (on an engine thread) at the first Ctrl-C or SIGTERM, so the front end can
    /// shut down the normal way: the window closes, `serve` leaves its loop, and dropping the engine
    /// stops the broker and disconnects the devices. A second signal, should that shutdown hang,
    /// ends the process at once.
    ///
    /// The handlers are in place when this returns, so a signal sent right after is not lost.
    pub fn on_stop_signal(&self, on_stop: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let Some(runtime) = &self.runtime else {
            return Err(std::io::Error::other("the engine has stopped"));
        };
        let _in_runtime = runtime.enter();
        let mut signals = StopSignals::listen()?;
        runtime.spawn(async move {
            if !signals.next().await {
                return;
            }
            tracing::info!("Ctrl-C or SIGTERM: stopping");
            on_stop();
            if signals.next().await {
                eprintln!("mqtt-playground: second Ctrl-C or SIGTERM: exiting without waiting");
                std::process::exit(FORCED_EXIT_STATUS);
            }
        });
        Ok(())
    }
}

/// The signals that ask the program to stop.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Registers the handlers (must run inside the runtime).
    fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for the next stop signal; false if signals can no longer arrive.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        {
            tokio::select! {
                got = self.interrupt.recv() => got.is_some(),
                got = self.terminate.recv() => got.is_some(),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.is_ok()
        }
    }
}
