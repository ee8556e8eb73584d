//! A flag that SIGUSR1 or SIGUSR2 raises (Unix), for `serve`'s "print the diagnostics / the roster now".

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which user signal raises the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSignal {
    Usr1,
    Usr2,
}

/// A flag set each time the signal arrives; the caller clears it once it has acted. On systems
/// without the signal (or when listening fails) the flag is simply never raised.
pub fn flag_on(which: UserSignal) -> Arc<AtomicBool> {
    let asked = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        let flag = asked.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build();
        let (name, kind) = match which {
            UserSignal::Usr1 => ("sigusr1", tokio::signal::unix::SignalKind::user_defined1()),
            UserSignal::Usr2 => ("sigusr2", tokio::signal::unix::SignalKind::user_defined2()),
        };
        if let Ok(runtime) = runtime {
            let _ = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    runtime.block_on(async {
                        let Ok(mut signals) = tokio::signal::unix::signal(kind) else {
                            return;
                        };
                        while signals.recv().await.is_some() {
                            flag.store(true, Ordering::Relaxed);
                        }
                    })
                });
        }
    }
    #[cfg(not(unix))]
    let _ = which;
    asked
}
