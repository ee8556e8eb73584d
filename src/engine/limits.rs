//! How many connections fit in this process's open-files limit, and raising that limit at start.
//!
//! Every connection costs file descriptors: an external client three (the front door's socket to
//! the client, its socket to rumqttd, rumqttd's end of that), an in-process device on the embedded
//! broker four (its own socket too). Desktop sessions usually give programs a soft limit of 1,024,
//! so at start the soft limit is raised to the hard one, as servers do.
//!
//! Platforms: on Linux and the BSDs the soft limit is raised to the hard limit; on macOS to the
//! lower of the hard limit and `kern.maxfilesperproc` (the `rlimit` crate does that). Windows has no
//! such per-process limit for sockets (they are handles, limited only by memory): there nothing is
//! raised and the capacity is bounded only by the broker's own connection limit.

/// Descriptors kept for the app itself: runtimes, the window and its GPU driver, fonts, the log
/// file, listeners, the app's own subscriber. Measured: the headless app with nothing connected
/// uses about 30; the window about 100; 256 leaves room for both.
pub const RESERVED_FOR_APP: u64 = 256;
/// An external client: the front door's socket to it (its session is served on the router in-process).
pub const PER_EXTERNAL_CLIENT: u64 = 1;
/// A simulated device on the embedded broker: its own socket plus what an external client costs.
pub const PER_EMBEDDED_DEVICE: u64 = 2;
/// A simulated device connecting to an external broker: only its own socket.
pub const PER_EXTERNAL_DEVICE: u64 = 1;
/// What a connection costs in open files, in words (the terminal and the Diagnostics panel say it).
pub fn costs_in_words() -> String {
    let files = |n: u64| {
        if n == 1 {
            "1 open file".to_owned()
        } else {
            format!("{n} open files")
        }
    };
    format!(
        "each client costs {}, each simulated device {}",
        files(PER_EXTERNAL_CLIENT),
        files(PER_EMBEDDED_DEVICE)
    )
}

/// The most connections the front door lets in at once, whatever the user asks for.
pub const MAX_CONNECTION_CAP: usize = 20_000;
/// rumqttd's router refuses connections past this many (set in the broker's router config). A refusal
/// there leaves a dead will sender behind that poisons the listener (see client_id.rs), so the router
/// gets headroom above the front door's cap for sessions still closing when their slot is reused.
pub const ROUTER_MAX_CONNECTIONS: usize = MAX_CONNECTION_CAP + 4_000;

/// The process's open-files limit (RLIMIT_NOFILE): the soft limit is the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFilesLimit {
    pub soft: u64,
    pub hard: u64,
}

/// The open-files limit now, or `None` where the platform has no such limit (Windows).
pub fn open_files_limit() -> Option<OpenFilesLimit> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, hard)| OpenFilesLimit { soft, hard })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// What raising the limit at start did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub before: Option<OpenFilesLimit>,
    pub after: Option<OpenFilesLimit>,
    /// Why the limit could not be raised, if it could not.
    pub error: Option<String>,
}

impl Raised {
    /// One line for the terminal and the log.
    pub fn describe(&self) -> String {
        match (self.before, self.after, &self.error) {
            (_, _, Some(error)) => format!(
                "could not raise the open-files limit ({error}); it stays at {}",
                self.before
                    .map(|l| thousands(l.soft))
                    .unwrap_or_else(|| "its default".to_owned())
            ),
            (Some(before), Some(after), None) if after.soft > before.soft => format!(
                "open-files limit raised from {} to {}",
                thousands(before.soft),
                thousands(after.soft)
            ),
            (_, Some(after), None) => format!("open-files limit {}", thousands(after.soft)),
            _ => "this system has no per-process open-files limit".to_owned(),
        }
    }
}

/// Raises the soft open-files limit to the hard limit (what servers do at start). Call it once at
/// start, before any thread opens files; it never fails the app, only reports.
pub fn raise_open_files_limit() -> Raised {
    let before = open_files_limit();
    #[cfg(unix)]
    let error = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(_) => None,
        // A hard limit of "unlimited" cannot be the soft one on Linux (it is capped by fs.nr_open):
        // settle for a generous finite limit instead.
        Err(_) => rlimit::increase_nofile_limit(1 << 20)
            .err()
            .map(|e| e.to_string()),
    };
    #[cfg(not(unix))]
    let error = None;
    let raised = Raised {
        before,
        after: open_files_limit(),
        error,
    };
    tracing::info!("{}", raised.describe());
    let _ = RAISED_AT_START.set(raised.clone());
    raised
}

static RAISED_AT_START: std::sync::OnceLock<Raised> = std::sync::OnceLock::new();

/// What [`raise_open_files_limit`] did at start, if it ran.
pub fn raised_at_start() -> Option<&'static Raised> {
    RAISED_AT_START.get()
}

/// How many connections fit in the open-files limit in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// `None` where the platform has no such limit.
    pub open_files: Option<OpenFilesLimit>,
    /// Descriptors kept for the app itself.
    pub reserve: u64,
    /// External clients that fit, with nothing else connected.
    pub external_clients: u64,
    /// Simulated devices on the embedded broker that fit, with nothing else connected.
    pub embedded_devices: u64,
}

impl Default for Capacity {
    fn default() -> Self {
        Self::from_limit(None)
    }
}

impl Capacity {
    /// The capacity under the limit in force right now.
    pub fn current() -> Self {
        Self::from_limit(open_files_limit())
    }

    pub fn from_limit(open_files: Option<OpenFilesLimit>) -> Self {
        let budget = open_files.map(|l| l.soft.saturating_sub(RESERVED_FOR_APP));
        Self {
            open_files,
            reserve: RESERVED_FOR_APP,
            external_clients: budget.map_or(u64::MAX, |b| b / PER_EXTERNAL_CLIENT),
            embedded_devices: budget.map_or(u64::MAX, |b| b / PER_EMBEDDED_DEVICE),
        }
    }

    /// The front door's cap when the user set none: what fits, and never more than rumqttd takes.
    pub fn default_connection_cap(&self) -> usize {
        usize::try_from(self.external_clients)
            .unwrap_or(usize::MAX)
            .clamp(1, MAX_CONNECTION_CAP)
    }

    /// Whether `demand` fits; if not, a message naming the limit and what to do.
    pub fn check(&self, demand: &Demand) -> Result<(), CapacityError> {
        // The open files first: the default cap follows from them, and their message says more.
        if let Some(limit) = self.open_files {
            self.check_open_files(demand, limit)?;
        }
        if let Some(cap) = demand.connection_cap {
            let connections = demand.embedded_devices + demand.external_clients;
            if connections > cap as u64 {
                return Err(CapacityError::OverConnectionCap {
                    devices: demand.embedded_devices,
                    others: demand.external_clients,
                    cap: cap as u64,
                    at_most: (cap as u64).saturating_sub(demand.external_clients + demand.running),
                });
            }
        }
        Ok(())
    }

    fn check_open_files(
        &self,
        demand: &Demand,
        limit: OpenFilesLimit,
    ) -> Result<(), CapacityError> {
        let devices = demand.embedded_devices + demand.external_devices;
        let needed = self.reserve
            + demand.embedded_devices * PER_EMBEDDED_DEVICE
            + demand.external_devices * PER_EXTERNAL_DEVICE
            + demand.external_clients * PER_EXTERNAL_CLIENT;
        if needed <= limit.soft {
            return Ok(());
        }
        // How many of the new devices fit next to what already runs.
        let per_device = if demand.embedded_devices > 0 {
            PER_EMBEDDED_DEVICE
        } else {
            PER_EXTERNAL_DEVICE
        };
        let fixed = self.reserve + demand.external_clients * PER_EXTERNAL_CLIENT;
        let fit_in_all = limit.soft.saturating_sub(fixed) / per_device;
        Err(CapacityError::TooFewOpenFiles {
            devices,
            running: demand.running,
            needed,
            limit: limit.soft,
            hard: limit.hard,
            suggestion: needed.next_power_of_two().max(4096),
            at_most: fit_in_all.saturating_sub(demand.running),
        })
    }
}

/// What a fleet command would have connected at once, counted for [`Capacity::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demand {
    /// Devices on the embedded broker, those already running included.
    pub embedded_devices: u64,
    /// Devices on an external broker, those already running included.
    pub external_devices: u64,
    /// Of the devices above, how many already run.
    pub running: u64,
    /// Other clients connected to the embedded broker now.
    pub external_clients: u64,
    /// The front door's cap, when devices use the embedded broker and it runs.
    pub connection_cap: Option<usize>,
}

/// Why devices cannot start: there is not room for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    #[error(
        "{} devices{} need about {} open files, but this computer allows MQTT Playground {}; {}, or run at most {} {}devices",
        thousands(*.devices),
        running_note(*.running),
        thousands(*.needed),
        thousands(*.limit),
        how_to_raise(*.suggestion, *.hard),
        thousands(*.at_most),
        if *.running > 0 { "more " } else { "" }
    )]
    TooFewOpenFiles {
        devices: u64,
        running: u64,
        needed: u64,
        limit: u64,
        hard: u64,
        /// A limit that would fit them (a power of two).
        suggestion: u64,
        at_most: u64,
    },
    #[error(
        "{} devices and {} other clients would pass the broker's connection cap of {}; raise it (--max-connections) or run at most {} more devices",
        thousands(*.devices),
        thousands(*.others),
        thousands(*.cap),
        thousands(*.at_most)
    )]
    OverConnectionCap {
        devices: u64,
        others: u64,
        cap: u64,
        at_most: u64,
    },
}

fn running_note(running: u64) -> String {
    if running > 0 {
        format!(" (counting the {} already running)", thousands(running))
    } else {
        String::new()
    }
}

fn how_to_raise(suggestion: u64, hard: u64) -> String {
    if suggestion <= hard {
        format!("raise it with `ulimit -n {suggestion}` in the terminal before starting")
    } else {
        format!(
            "ask for a higher limit: this computer's hard limit is {}; an administrator can raise it (`ulimit -Hn`, /etc/security/limits.conf, or LimitNOFILE for a systemd service) to {suggestion}",
            thousands(hard)
        )
    }
}

/// Counts in messages are written the way the window shows them.
pub use super::display_text::thousands;

#[cfg(test)]
mod tests {
    #[test]
    fn the_costs_in_words_are_the_budgets_figures() {
        assert_eq!(
            costs_in_words(),
            format!(
                "each client costs {PER_EXTERNAL_CLIENT} open file, each simulated device {PER_EMBEDDED_DEVICE} open files"
            )
        );
    }

    use super::*;

    fn desktop() -> Capacity {
        Capacity::from_limit(Some(OpenFilesLimit {
            soft: 1024,
            hard: 524_288,
        }))
    }

    #[test]
    fn a_desktop_limit_fits_a_few_hundred_connections() {
        let c = desktop();
        assert_eq!(c.external_clients, 1024 - RESERVED_FOR_APP);
        assert_eq!(c.embedded_devices, (1024 - RESERVED_FOR_APP) / 2);
        assert_eq!(c.default_connection_cap(), 768);
        let no_limit = Capacity::from_limit(None);
        assert_eq!(no_limit.default_connection_cap(), MAX_CONNECTION_CAP);
    }

    #[test]
    fn two_thousand_devices_do_not_fit_in_1024_and_the_message_says_what_to_do() {
        let err = desktop()
            .check(&Demand {
                embedded_devices: 2000,
                ..Demand::default()
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2,000 devices need about 4,256 open files"),
            "{err}"
        );
        assert!(err.contains("allows MQTT Playground 1,024"), "{err}");
        assert!(err.contains("ulimit -n 8192"), "{err}");
        assert!(err.contains("at most 384 devices"), "{err}");
        assert!(
            desktop()
                .check(&Demand {
                    embedded_devices: 384,
                    ..Demand::default()
                })
                .is_ok()
        );
    }

    #[test]
    fn running_devices_and_other_clients_count_too() {
        let err = desktop()
            .check(&Demand {
                embedded_devices: 400,
                running: 100,
                external_clients: 50,
                ..Demand::default()
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("counting the 100 already running"), "{err}");
        // (1024 - 256 - 50 × 1) / 2 = 359 in all, 100 of them running.
        assert!(err.contains("at most 259 more"), "{err}");
    }

    #[test]
    fn the_connection_cap_is_checked_too() {
        let err = Capacity::from_limit(None)
            .check(&Demand {
                embedded_devices: 30,
                external_clients: 5,
                connection_cap: Some(20),
                ..Demand::default()
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("connection cap of 20"), "{err}");
        assert!(err.contains("--max-connections"), "{err}");
    }

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
