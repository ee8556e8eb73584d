//! Where the app's log goes: the terminal, a rotated log file in the platform's data directory (for
//! bug reports), and the last warnings and errors kept in memory for Copy diagnostics.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::engine::diagnostics::{ACTIVITY_TARGET, RECENT_PROBLEMS};

/// Log files kept: one a day, a week of them.
const LOG_FILES_KEPT: usize = 7;
const LOG_FILE_PREFIX: &str = "mqtt-playground";

/// Where the log file is, or why there is none; set once at start.
static LOG_FILE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
/// The last warnings and errors, oldest first.
static RECENT: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// Keeps the log file's writer thread alive; dropping it (at exit) flushes what is pending.
pub struct LoggingGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// The folder the log files go in: `~/.local/share/mqtt-playground/logs` on Linux,
/// `%APPDATA%\mqtt-playground\data\logs` on Windows, `~/Library/Application Support/mqtt-playground/logs`
/// on macOS. `None` when the system names no home directory.
pub fn log_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from_path(PathBuf::from("mqtt-playground"))
        .map(|dirs| dirs.data_dir().join("logs"))
}

/// The folder holding the log files (named `mqtt-playground.YYYY-MM-DD.log`, UTC dates, a week
/// kept), or why there is none.
pub fn log_folder() -> Result<&'static Path, &'static str> {
    match LOG_FILE.get() {
        Some(Ok(path)) => Ok(path.as_path()),
        Some(Err(why)) => Err(why.as_str()),
        None => Err("logging was not started"),
    }
}

/// The last warnings and errors, oldest first (at most [`RECENT_PROBLEMS`]).
pub fn recent_problems() -> Vec<String> {
    RECENT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect()
}

/// Starts logging: the terminal gets warnings (RUST_LOG overrides), the log file information and
/// up. If the log folder cannot be made, that is said once and the app carries on without a file.
pub fn init(dir: Option<PathBuf>) -> LoggingGuard {
    // The terminal leaves out Activity's lines: `serve` prints those itself, the window shows them.
    let terminal_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,rumqttd=off,{ACTIVITY_TARGET}=off")));
    let terminal =
        SkipRumqttdChatter(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .with_filter(terminal_filter.and(QuietRumqttd));

    let (file_layer, guard, status) = match open_log_file(dir) {
        Ok((appender, path)) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = SkipRumqttdChatter(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer),
            )
            .with_filter(EnvFilter::new("info,rumqttd=warn").and(QuietRumqttd));
            (Some(layer), Some(guard), Ok(path))
        }
        Err(why) => (None, None, Err(why)),
    };
    let recent =
        SkipRumqttdChatter(RecentProblems).with_filter(LevelFilter::WARN.and(QuietRumqttd));
    // Every layer has its own filter (none is unfiltered), so events no layer wants, such as
    // rumqttd's per-packet trace lines, are turned away at their callsite and cost nothing.
    let _ = tracing_subscriber::registry()
        .with(terminal)
        .with(file_layer)
        .with(recent)
        .try_init();
    if let Err(why) = &status {
        eprintln!("mqtt-playground: no log file: {why}; carrying on without one");
    }
    let _ = LOG_FILE.set(status);
    LoggingGuard { _file: guard }
}

fn open_log_file(
    dir: Option<PathBuf>,
) -> Result<(tracing_appender::rolling::RollingFileAppender, PathBuf), String> {
    let dir = dir.ok_or_else(|| "this system names no home directory".to_owned())?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("could not create the folder {}: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(LOG_FILES_KEPT)
        .build(&dir)
        .map_err(|e| format!("could not open a log file in {}: {e}", dir.display()))?;
    Ok((appender, dir))
}

/// rumqttd's spans are left out of every output: each connection runs inside an ERROR-level span
/// entered on every poll, which made the log file cost a third of the connection rate (1,000
/// devices took minutes to connect instead of seconds).
struct QuietRumqttd;

impl QuietRumqttd {
    fn wants(meta: &tracing::Metadata<'_>) -> bool {
        !(meta.is_span() && meta.target().starts_with("rumqttd"))
    }
}

impl<S> tracing_subscriber::layer::Filter<S> for QuietRumqttd {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        Self::wants(meta)
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if Self::wants(meta) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
}

/// rumqttd reports ordinary disconnects as errors ("no-connection id 7 is already gone",
/// "router-drop", "disconnected"): each output leaves them out, so real problems stand out.
///
/// Not a filter: a per-output filter that turned an event away by its text (`event_enabled`) left
/// tracing-subscriber's per-output filter state set whenever every output turned it away, and debug
/// builds then panicked at the next log line on that thread (`RUST_LOG=info serve` lost rumqttd's
/// connection tasks that way; tests/logging_chatter.rs). Here every filter lets the event through
/// and the output itself drops it.
struct SkipRumqttdChatter<L>(L);

impl<L> SkipRumqttdChatter<L> {
    fn is_chatter(event: &tracing::Event<'_>) -> bool {
        if !event.metadata().target().starts_with("rumqttd") {
            return false;
        }
        let mut message = MessageText::default();
        event.record(&mut message);
        is_rumqttd_chatter(&message.0)
    }
}

/// Everything but `on_event` goes straight to the wrapped output.
impl<S, L> Layer<S> for SkipRumqttdChatter<L>
where
    S: tracing::Subscriber,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.0.on_register_dispatch(subscriber)
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.0.on_layer(subscriber)
    }

    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        self.0.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.0.enabled(metadata, ctx)
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        self.0.on_new_span(attrs, id, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.0.max_level_hint()
    }

    fn on_record(&self, span: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        self.0.on_record(span, values, ctx)
    }

    fn on_follows_from(&self, span: &span::Id, follows: &span::Id, ctx: Context<'_, S>) {
        self.0.on_follows_from(span, follows, ctx)
    }

    fn event_enabled(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) -> bool {
        self.0.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if !Self::is_chatter(event) {
            self.0.on_event(event, ctx)
        }
    }

    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        self.0.on_enter(id, ctx)
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        self.0.on_exit(id, ctx)
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        self.0.on_close(id, ctx)
    }

    fn on_id_change(&self, old: &span::Id, new: &span::Id, ctx: Context<'_, S>) {
        self.0.on_id_change(old, new, ctx)
    }

    /// The fmt output finds its own pieces (formatted span fields) by downcasting through here.
    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        if id == std::any::TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else {
            // SAFETY: the same contract, passed on to the wrapped output.
            unsafe { self.0.downcast_raw(id) }
        }
    }
}

/// True for rumqttd's lines about connections that ended the ordinary way.
fn is_rumqttd_chatter(message: &str) -> bool {
    const CHATTER: [&str; 6] = [
        "is already gone",
        "router-drop",
        "connection-stop",
        "disconnected",
        "Connection is already disconnected",
        // A connection closed before its CONNECT: the broker's own readiness check at start.
        "connection closed by peer",
    ];
    CHATTER.iter().any(|c| message.contains(c))
}

/// An event's message followed by its other fields (`error=…`), as one line.
#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

/// Keeps the last warnings and errors for Copy diagnostics.
struct RecentProblems;

impl<S: tracing::Subscriber> Layer<S> for RecentProblems {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut message = MessageText::default();
        event.record(&mut message);
        let line = format!(
            "{} {} {}: {}",
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
            event.metadata().level(),
            event.metadata().target(),
            message.0
        );
        let mut recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() >= RECENT_PROBLEMS {
            recent.pop_front();
        }
        recent.push_back(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rumqttds_disconnect_noise_is_recognised() {
        assert!(is_rumqttd_chatter("no-connection id 7 is already gone"));
        assert!(is_rumqttd_chatter("router-drop"));
        assert!(is_rumqttd_chatter(
            "Error while handling MQTT connect packet error=Network(Io(Custom { kind: ConnectionAborted, error: \"connection closed by peer\" }))"
        ));
        assert!(!is_rumqttd_chatter("no space for new connection"));
        assert!(!is_rumqttd_chatter("Invalid client_id: x"));
    }

    #[test]
    fn the_log_folder_is_in_the_data_directory() {
        if let Some(dir) = log_dir() {
            assert!(dir.ends_with("logs"), "{}", dir.display());
            assert!(
                dir.to_string_lossy().contains("mqtt-playground"),
                "{}",
                dir.display()
            );
        }
    }
}
