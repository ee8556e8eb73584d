//! What a teacher pastes into a bug report (built from a snapshot, nothing secret in it), and the
//! hook that writes what Activity shows to the log file.

use std::fmt::Write as _;

use super::events::Event;
use super::limits::{Capacity, thousands};
use super::log_budget;
use super::snapshot::{BrokerStatus, Snapshot};

/// The tracing target of the Activity lines, so the terminal can leave them out (serve prints them itself).
pub const ACTIVITY_TARGET: &str = "mqtt_playground::activity";
/// How many recent warnings and errors the report lists.
pub const RECENT_PROBLEMS: usize = 20;

/// Writes an event to the log as Activity shows it: problems as warnings, the rest as information;
/// of each, at most `log_budget::LINES_PER_SECOND` a second (the rest are counted, see log_budget).
pub fn trace_event(event: &Event) {
    let problem = matches!(
        event,
        Event::BrokerFailed(_)
            | Event::CommandRejected(_)
            | Event::MonitorProblem(_)
            | Event::ClientRefused { .. }
            | Event::ConnectionRejected { .. }
            | Event::ConnectionsOverCap { .. }
            | Event::BrokerProblem(_)
            | Event::ClientDisconnected { clean: false, .. }
    );
    // The lock is let go before anything is logged.
    let admission = log_budget::ACTIVITY_LOG_BUDGETS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .admit(problem, std::time::Instant::now());
    if let Some(left_out) = admission.left_out_before {
        log_left_out(problem, left_out);
    }
    if !admission.write {
        return;
    }
    if problem {
        tracing::warn!(target: ACTIVITY_TARGET, "{}", event.describe());
    } else {
        tracing::info!(target: ACTIVITY_TARGET, "{}", event.describe());
    }
}

/// Writes the summary of the lines the last full second left out of the log, if any (called
/// regularly, so a flood's summary does not wait for the next event).
pub fn close_log_second() {
    for problem in [false, true] {
        let left_out = log_budget::ACTIVITY_LOG_BUDGETS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .roll(problem, std::time::Instant::now());
        if let Some(left_out) = left_out {
            log_left_out(problem, left_out);
        }
    }
}

/// A summary of left-out problems is itself a warning, so Copy diagnostics shows it too.
fn log_left_out(problem: bool, left_out: u64) {
    if problem {
        tracing::warn!(target: ACTIVITY_TARGET, "{}", log_budget::left_out_line("warnings", left_out));
    } else {
        tracing::info!(target: ACTIVITY_TARGET, "{}", log_budget::left_out_line("Activity lines", left_out));
    }
}

/// Everything the report is made of; the front end gathers it, [`report`] only formats.
pub struct DiagnosticsInput<'a> {
    pub snapshot: &'a Snapshot,
    pub capacity: &'a Capacity,
    /// The folder the log files are in, or why there are none.
    pub log_folder: Result<&'a std::path::Path, &'a str>,
    /// The last warnings and errors, oldest first.
    pub recent_problems: &'a [String],
}

/// The diagnostics text: version, OS, ports, bind, limits, counts, log file, recent problems.
/// It never contains the password (only whether one is set).
pub fn report(input: &DiagnosticsInput<'_>) -> String {
    let mut out = String::new();
    let s = input.snapshot;
    let _ = writeln!(
        out,
        "MQTT Playground {} diagnostics",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "system: {} {} ({})",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::env::consts::FAMILY
    );
    match &s.broker {
        BrokerStatus::Running(info) => {
            let scope = if info.settings.is_open_to_network() {
                "open to the network"
            } else {
                "this computer only"
            };
            let _ = writeln!(out, "broker: running");
            let _ = writeln!(out, "  bind: {} ({scope})", info.settings.bind);
            let _ = writeln!(out, "  MQTT port: {}", info.tcp.port());
            let _ = writeln!(
                out,
                "  WebSocket port: {}",
                info.websocket
                    .map(|w| w.port().to_string())
                    .unwrap_or_else(|| "off".to_owned())
            );
            let learners = &info.settings.learner_accounts;
            let _ = writeln!(
                out,
                "  sign-in: {}",
                match (info.settings.credentials.is_some(), learners.is_empty()) {
                    (true, true) => "user name and password set".to_owned(),
                    (true, false) =>
                        format!("user name and password set, and {}", learners.describe()),
                    (false, _) => "none (anyone may connect)".to_owned(),
                }
            );
            let _ = writeln!(
                out,
                "  connection cap: {} ({})",
                thousands(info.connection_cap as u64),
                if info.settings.max_connections.is_some() {
                    "set by the user"
                } else {
                    "sized from the open-files limit"
                }
            );
        }
        BrokerStatus::Failed(err) => {
            let _ = writeln!(out, "broker: failed: {err}");
        }
        other => {
            let _ = writeln!(out, "broker: {other:?}");
        }
    }
    let c = input.capacity;
    match c.open_files {
        Some(limit) => {
            let _ = writeln!(
                out,
                "open-files limit: {} (hard limit {}); {} kept for the app; fits {} external clients or {} devices",
                thousands(limit.soft),
                thousands(limit.hard),
                thousands(c.reserve),
                thousands(c.external_clients),
                thousands(c.embedded_devices)
            );
        }
        None => {
            let _ = writeln!(out, "open-files limit: none on this system");
        }
    }
    let _ = writeln!(
        out,
        "connections: {} connected now, {} accepted and {} refused since start",
        thousands(s.clients.len() as u64),
        thousands(s.totals.connections_accepted),
        thousands(s.totals.connections_refused)
    );
    let groups = &s.fleet.groups;
    let _ = writeln!(
        out,
        "devices: {} groups, {} of {} connected, toward {}",
        groups.len(),
        thousands(groups.iter().map(|g| u64::from(g.connected)).sum()),
        thousands(groups.iter().map(|g| u64::from(g.devices_total)).sum()),
        s.fleet.target.label()
    );
    let _ = writeln!(
        out,
        "messages: {} in, {} out since start; {} events not shown (the window fell behind)",
        thousands(s.totals.messages_in),
        thousands(s.totals.messages_out),
        thousands(s.events_dropped)
    );
    match input.log_folder {
        Ok(path) => {
            let _ = writeln!(
                out,
                "log files: {} (mqtt-playground.YYYY-MM-DD.log, one a day)",
                path.display()
            );
        }
        Err(why) => {
            let _ = writeln!(out, "log files: none ({why})");
        }
    }
    let problems = input.recent_problems;
    let shown = &problems[problems.len().saturating_sub(RECENT_PROBLEMS)..];
    if shown.is_empty() {
        let _ = writeln!(out, "recent warnings and errors: none");
    } else {
        let _ = writeln!(out, "recent warnings and errors (oldest first):");
        for line in shown {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::broker::RunningInfo;
    use crate::engine::limits::OpenFilesLimit;
    use crate::engine::settings::{BrokerSettings, Credentials};

    fn running_with_password() -> Snapshot {
        let settings = BrokerSettings {
            credentials: Some(Credentials {
                username: "teacher".into(),
                password: "apple pie".into(),
            }),
            ..BrokerSettings::default()
        };
        Snapshot {
            broker: BrokerStatus::Running(RunningInfo {
                tcp: "127.0.0.1:1883".parse().unwrap(),
                websocket: Some("127.0.0.1:9001".parse().unwrap()),
                settings,
                started: std::time::Instant::now(),
                connection_cap: 256,
            }),
            ..Snapshot::default()
        }
    }

    fn build(snapshot: &Snapshot, problems: &[String]) -> String {
        let capacity = Capacity::from_limit(Some(OpenFilesLimit {
            soft: 1024,
            hard: 524_288,
        }));
        report(&DiagnosticsInput {
            snapshot,
            capacity: &capacity,
            log_folder: Ok(std::path::Path::new("/tmp/logs")),
            recent_problems: problems,
        })
    }

    #[test]
    fn the_report_names_the_limit_cap_ports_and_log_file() {
        let text = build(&running_with_password(), &[]);
        assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
        assert!(text.contains("open-files limit: 1,024"), "{text}");
        assert!(text.contains("hard limit 524,288"), "{text}");
        assert!(text.contains("connection cap: 256"), "{text}");
        assert!(text.contains("MQTT port: 1883"), "{text}");
        assert!(text.contains("WebSocket port: 9001"), "{text}");
        assert!(
            text.contains("bind: 127.0.0.1 (this computer only)"),
            "{text}"
        );
        assert!(text.contains("log files: /tmp/logs"), "{text}");
        assert!(text.contains(std::env::consts::OS), "{text}");
    }

    #[test]
    fn the_report_never_contains_the_password() {
        let text = build(&running_with_password(), &["a warning".to_owned()]);
        assert!(!text.contains("apple pie"), "{text}");
        assert!(text.contains("password set"), "{text}");
    }

    #[test]
    fn only_the_last_problems_are_listed() {
        let problems: Vec<String> = (0..50).map(|i| format!("problem {i}")).collect();
        let text = build(&Snapshot::default(), &problems);
        assert!(text.contains("problem 49"), "{text}");
        assert!(text.contains("problem 30"), "{text}");
        assert!(!text.contains("problem 29"), "{text}");
    }
}
