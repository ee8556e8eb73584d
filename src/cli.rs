//! Command-line arguments and the headless subcommands; the CLI uses the engine alone, never the ui.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::connect_info::{self, Target};
use crate::engine::fleet::{FleetCommand, FleetTarget};
use crate::engine::monitor::MonitorCommand;
use crate::engine::settings::{self, BrokerSettings, TCP_PORT_LABEL, WS_PORT_LABEL};
use crate::engine::trace::TraceCommand;
use crate::engine::{Command, Engine, StartError};
use crate::scenario::Scenario;
use std::path::Path;

/// MQTT Playground: an MQTT broker, simulated devices and a live view of what flows, in one window.
#[derive(Debug, Parser)]
#[command(name = "mqtt-playground", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Subcommands>,
    /// Broker settings for the window (the broker starts with them as soon as the window opens).
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Open the window with the broker stopped.
    #[arg(long)]
    pub no_broker: bool,
    /// Open the window with this scenario (TOML) loaded and its devices running.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<std::path::PathBuf>,
    /// Open the window on this tab (the watching tabs start the app's subscriber on `#`).
    #[arg(long, value_enum, value_name = "TAB")]
    pub tab: Option<crate::ui::app::Tab>,
    /// Open the Trace tab on this client (by its own client id) and record its packets from the start.
    #[arg(long, value_name = "CLIENT_ID")]
    pub trace_client: Option<String>,
    /// Record every client's packets from the start (what the Flow map draws).
    #[arg(long)]
    pub trace_all: bool,
    /// Open the window in presenter view: projector-sized text, a high-contrast theme and a big
    /// Connect-here card with a QR code (F5 toggles it).
    #[arg(long)]
    pub presenter: bool,
    /// Open the window on the Course tab with this course file (TOML) running; `builtin` is the
    /// built-in course "MQTT in 12 steps".
    #[arg(long, value_name = "FILE")]
    pub course: Option<std::path::PathBuf>,
}

/// The command that opens `--course FILE`: the word `builtin` is the built-in course, anything else a file.
pub fn course_open_command(file: &std::path::Path) -> crate::engine::course::CourseCommand {
    use crate::engine::course::CourseCommand;
    if file.as_os_str() == "builtin" {
        CourseCommand::OpenBuiltIn
    } else {
        CourseCommand::Open(file.to_owned())
    }
}

#[derive(Debug, Subcommand)]
pub enum Subcommands {
    /// Run the broker without a window (a classroom server, a CI job); stop it with Ctrl-C.
    Serve(Box<ServeArgs>),
    /// Load any MQTT broker (an embedded one by default): `bench pub`, `sub`, `conn`, `latency`; prints figures.
    Bench(Box<crate::bench::BenchArgs>),
    /// Put MQTT Playground in your desktop's menu (a .desktop file and icons in ~/.local/share); --remove takes them out.
    InstallDesktopEntry(crate::desktop::InstallArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Run this scenario's device groups (and use its broker settings unless flags say otherwise).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<std::path::PathBuf>,
    /// Record every message (all topics, `#`) to this JSON Lines file; appends if it exists.
    /// The window's Messages tab can open the file again.
    #[arg(long, value_name = "FILE.jsonl")]
    pub record: Option<std::path::PathBuf>,
    /// Print the diagnostics (version, OS, ports, open-files limit, counts, recent problems) once
    /// everything has started; on Unix, `kill -USR1 <pid>` prints them again at any time.
    #[arg(long)]
    pub diagnostics: bool,
    /// Write every packet of every client, both directions, to this JSON Lines file (appends if it
    /// exists): one object per line with time, client, direction ("in" = client to broker), packet
    /// and the packet's fields, the same format as the Trace tab's export.
    #[arg(long, value_name = "FILE.jsonl")]
    pub trace: Option<std::path::PathBuf>,
    /// Run a workshop course: a course file (TOML), or `builtin` for "MQTT in 12 steps". A line is
    /// printed each time a learner completes a step; the roster is printed at exit and, on Unix,
    /// on `kill -USR2 <pid>`.
    #[arg(long, value_name = "FILE|builtin")]
    pub course: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub accounts: crate::serve_accounts::AccountsArgs,
}

/// The broker's settings as flags; shared by the window and `serve`.
#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Address to listen on: 127.0.0.1 serves this computer only, 0.0.0.0 your whole network [default: 127.0.0.1].
    #[arg(long, value_name = "ADDR", value_parser = parse_bind_arg)]
    pub bind: Option<IpAddr>,
    /// TCP port for MQTT clients (MQTT 3.1, 3.1.1 and 5 all use this one port) [default: 1883].
    #[arg(long, value_name = "N", value_parser = parse_tcp_port_arg)]
    pub port: Option<u16>,
    /// Port for MQTT over WebSocket (browser clients such as MQTT.js) [default: 9001].
    #[arg(long, value_name = "N", value_parser = parse_ws_port_arg)]
    pub ws_port: Option<u16>,
    /// Do not open a WebSocket port.
    #[arg(long)]
    pub no_websocket: bool,
    /// Require this user name from every client (needs --password).
    #[arg(long, value_name = "U", alias = "username")]
    pub user: Option<String>,
    /// The password that goes with --user.
    #[arg(long, value_name = "P")]
    pub password: Option<String>,
    /// The most clients (devices included) connected at once; more are refused with "server
    /// unavailable" [default: what the open-files limit allows; at most 20,000, whatever is asked].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<std::num::NonZeroU32>,
}

fn parse_bind_arg(text: &str) -> Result<IpAddr, String> {
    settings::parse_bind(text).map_err(|e| e.to_string())
}

fn parse_tcp_port_arg(text: &str) -> Result<u16, String> {
    settings::parse_port(TCP_PORT_LABEL, text).map_err(|e| e.to_string())
}

fn parse_ws_port_arg(text: &str) -> Result<u16, String> {
    settings::parse_port(WS_PORT_LABEL, text).map_err(|e| e.to_string())
}

impl BrokerArgs {
    /// The settings these flags describe, or what is wrong with them.
    pub fn to_settings(&self) -> Result<BrokerSettings, settings::SettingsError> {
        self.over(&BrokerSettings::default())
    }

    /// `base` (a scenario's broker settings, say) with every flag the user gave put over it.
    pub fn over(&self, base: &BrokerSettings) -> Result<BrokerSettings, settings::SettingsError> {
        let credentials = if self.user.is_some() || self.password.is_some() {
            settings::parse_credentials(
                self.user.as_deref().unwrap_or(""),
                self.password.as_deref().unwrap_or(""),
            )?
        } else {
            base.credentials.clone()
        };
        let ws_port = if self.no_websocket {
            None
        } else {
            // The base's "no WebSocket" (a saved state, a scenario with websocket_port = 0) stands.
            self.ws_port.or(base.ws_port)
        };
        let settings = BrokerSettings {
            bind: self.bind.unwrap_or(base.bind),
            tcp_port: self.port.unwrap_or(base.tcp_port),
            ws_port,
            credentials,
            max_connections: self.max_connections.or(base.max_connections),
            learner_accounts: base.learner_accounts.clone(),
        };
        settings.validate()?;
        Ok(settings)
    }
}

/// A scenario to run, with the broker settings its file and the flags give together.
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub settings: BrokerSettings,
}

/// Opens `--scenario` (if given) and merges its broker settings under the flags.
pub fn load_scenario(
    path: Option<&Path>,
    flags: &BrokerArgs,
) -> anyhow::Result<Option<LoadedScenario>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let scenario = Scenario::open(path)?;
    let base = match &scenario.broker {
        Some(section) => section.to_settings()?,
        None => BrokerSettings::default(),
    };
    let settings = flags.over(&base)?;
    Ok(Some(LoadedScenario { scenario, settings }))
}

/// `mqtt-playground serve`: runs the broker (and a scenario's devices) until Ctrl-C or SIGTERM,
/// logging connects and disconnects.
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let loaded = load_scenario(args.scenario.as_deref(), &args.broker)?;
    let mut settings = match &loaded {
        Some(loaded) => loaded.settings.clone(),
        None => args.broker.to_settings()?,
    };
    // A bad course file is reported before anything starts.
    let course = args
        .course
        .as_deref()
        .map(crate::serve_course::check_course)
        .transpose()?;
    let learners = crate::serve_accounts::plan(&args.accounts)?;
    if let Some(planned) = &learners {
        settings.learner_accounts = planned.accounts.clone();
        settings.validate()?;
    }
    print_limits_and_log();
    let engine = Engine::start()?;
    if let Some(course) = course {
        // Before the broker starts, so every learner's first CONNECT counts.
        crate::serve_course::open(&engine, course)?;
    }
    if let Some(path) = &args.trace {
        // Before the broker starts, so the file holds every connection from its CONNECT on.
        start_trace_file(&engine, path)?;
    }
    let external = loaded
        .as_ref()
        .is_some_and(|l| matches!(l.scenario.target, FleetTarget::External(_)));
    if external {
        // The devices go elsewhere; a local broker on 1883 would only get in the way of one already there.
        println!(
            "The scenario's devices connect to an external broker; the embedded broker is not started."
        );
    } else {
        let info = start_and_announce(&engine, settings)?;
        crate::serve_accounts::announce(&info);
        if let Some(planned) = &learners {
            crate::serve_accounts::write_outputs(planned, &info)?;
        }
    }
    if let Some(loaded) = loaded {
        let groups = loaded.scenario.groups.len();
        let target = loaded.scenario.target.label();
        engine
            .call(
                Command::Fleet(FleetCommand::Replace {
                    target: loaded.scenario.target,
                    groups: loaded.scenario.groups,
                    start: true,
                }),
                Duration::from_secs(30),
            )?
            .map_err(|e| anyhow::anyhow!(e))?;
        println!("running {groups} device groups toward {target}");
    }

    let stop = stop_on_signal(&engine)?;
    if let Some(path) = &args.record {
        start_recording(&engine, path)?;
    }
    let diagnostics_asked = diagnostics_on_signal();
    let roster_asked = if args.course.is_some() {
        crate::serve_course::roster_on_signal()
    } else {
        Arc::new(AtomicBool::new(false))
    };
    if args.diagnostics {
        print!("{}", diagnostics_text(&engine));
    }
    let mut next_status = std::time::Instant::now() + FLEET_STATUS_EVERY;
    while !stop.load(Ordering::Relaxed) {
        if let Some(first) = engine.events().next_timeout(Duration::from_millis(200)) {
            print_events(&engine, first);
            // Lets a burst (a thousand clients connecting) gather, to be printed in one write
            // instead of waking this thread and writing once per line.
            std::thread::sleep(EVENTS_GATHER);
        }
        if diagnostics_asked.swap(false, Ordering::Relaxed) {
            print!("{}", diagnostics_text(&engine));
        }
        if roster_asked.swap(false, Ordering::Relaxed) {
            print!("{}", crate::serve_course::roster_text(&engine));
        }
        if std::time::Instant::now() >= next_status {
            next_status += FLEET_STATUS_EVERY;
            for line in fleet_status_lines(&engine) {
                println!("{line}");
            }
        }
    }
    if args.record.is_some() {
        match engine.call(
            Command::Monitor(MonitorCommand::StopRecording),
            Duration::from_secs(10),
        )? {
            Ok(()) => {}
            Err(why) => eprintln!("mqtt-playground: {why}"),
        }
    }
    if args.trace.is_some()
        && let Err(why) = engine.call(
            Command::Trace(TraceCommand::StopFile),
            Duration::from_secs(10),
        )?
    {
        eprintln!("mqtt-playground: {why}");
    }
    if args.course.is_some() {
        print!("{}", crate::serve_course::roster_text(&engine));
    }
    println!("stopping…");
    drop(engine);
    println!("stopped");
    Ok(())
}

/// The open-files limit (and what raising it did), what fits in it, and where the log files go.
fn print_limits_and_log() {
    use crate::engine::limits::{Capacity, thousands};
    if let Some(raised) = crate::engine::limits::raised_at_start() {
        println!("{}", raised.describe());
    }
    let capacity = Capacity::current();
    if capacity.open_files.is_some() {
        println!(
            "room for about {} clients or {} simulated devices ({})",
            thousands(capacity.external_clients),
            thousands(capacity.embedded_devices),
            crate::engine::limits::costs_in_words()
        );
    }
    match crate::logging::log_folder() {
        Ok(folder) => println!("log files: {}", folder.display()),
        Err(why) => println!("log files: none ({why})"),
    }
}

/// The diagnostics report for the terminal (what the window's Copy diagnostics copies).
pub fn diagnostics_text(engine: &Engine) -> String {
    let snapshot = engine.snapshot();
    let problems = crate::logging::recent_problems();
    crate::engine::diagnostics::report(&crate::engine::diagnostics::DiagnosticsInput {
        snapshot: &snapshot,
        capacity: &snapshot.limits,
        log_folder: crate::logging::log_folder(),
        recent_problems: &problems,
    })
}

/// A flag raised by SIGUSR1 (Unix): print the diagnostics again.
fn diagnostics_on_signal() -> Arc<AtomicBool> {
    crate::user_signal::flag_on(crate::user_signal::UserSignal::Usr1)
}

/// `serve --trace`: decode every client's packets and append them to `path` as JSON Lines.
fn start_trace_file(engine: &Engine, path: &Path) -> anyhow::Result<()> {
    for command in [
        TraceCommand::StartFile(path.to_owned()),
        TraceCommand::WatchAll(true),
    ] {
        engine
            .call(Command::Trace(command), Duration::from_secs(10))?
            .map_err(|why| anyhow::anyhow!(why))?;
    }
    println!("tracing every packet of every client to {}", path.display());
    Ok(())
}

/// How often `serve` prints how the devices are doing.
const FLEET_STATUS_EVERY: Duration = Duration::from_secs(5);

fn start_and_announce(
    engine: &Engine,
    settings: BrokerSettings,
) -> anyhow::Result<crate::engine::RunningInfo> {
    let info = match engine.start_broker_blocking(settings) {
        Ok(info) => info,
        Err(StartError::Broker(err)) => anyhow::bail!("{err}"),
        Err(other) => return Err(other.into()),
    };
    println!(
        "MQTT Playground broker running (Ctrl-C stops it); at most {} connections at once",
        crate::engine::limits::thousands(info.connection_cap as u64)
    );
    for address in connect_info::client_addresses(info.settings.bind) {
        println!(
            "  mqtt://{}  ({}; MQTT 3.1, 3.1.1 and 5)",
            std::net::SocketAddr::new(address.ip, info.tcp.port()),
            address.scope
        );
        if let Some(ws) = info.websocket {
            println!(
                "  {}  (WebSocket)",
                connect_info::websocket_url(address.ip, ws.port())
            );
        }
    }
    // The terminal's output often ends up in a log or a shared screen: the password stays out of it.
    let shown_credentials =
        info.settings
            .credentials
            .as_ref()
            .map(|c| crate::engine::Credentials {
                username: c.username.clone(),
                password: "<password>".to_owned(),
            });
    if let Some(first) = connect_info::snippets(&Target {
        host: connect_info::client_addresses(info.settings.bind)
            .first()
            .map(|a| a.ip)
            .unwrap_or(info.tcp.ip()),
        tcp_port: info.tcp.port(),
        websocket_port: info.websocket.map(|w| w.port()),
        credentials: shown_credentials.as_ref(),
    })
    .first()
    {
        println!("  try: {}", first.text);
    }
    Ok(info)
}

/// How long `serve` lets Activity lines gather after printing some (the event queue holds 4,096,
/// so up to some 80,000 events a second still all get printed).
const EVENTS_GATHER: Duration = Duration::from_millis(50);

const PRINT_AT_MOST: usize = 10_000;

/// Prints an event and every event already waiting behind it, in one write.
fn print_events(engine: &Engine, first: crate::engine::Event) {
    let mut lines = String::new();
    // The devices are looked up once per burst, not once per line (a fleet starting is both).
    let snapshot = engine.snapshot();
    let devices: std::collections::HashSet<&str> = snapshot
        .fleet
        .groups
        .iter()
        .flat_map(|g| g.devices.iter().map(|d| d.client_id.as_str()))
        .collect();
    // Bounded, so a flood that never lets the queue empty still gets its lines out.
    let waiting = std::iter::from_fn(|| engine.events().try_next()).take(PRINT_AT_MOST);
    for event in std::iter::once(first).chain(waiting) {
        // A thousand devices connecting would bury everything else: their summary comes below.
        if !is_device_chatter(&devices, &event) {
            lines.push_str(&event.describe());
            lines.push('\n');
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(lines.as_bytes());
    let _ = out.flush();
}

/// True for the connects and clean disconnects of the app's own simulated devices.
fn is_device_chatter(
    devices: &std::collections::HashSet<&str>,
    event: &crate::engine::Event,
) -> bool {
    use crate::engine::Event;
    let client_id = match event {
        Event::ClientConnected { client_id, .. } => client_id,
        Event::ClientDisconnected {
            client_id,
            clean: true,
            ..
        } => client_id,
        _ => return false,
    };
    devices.contains(client_id.as_str())
}

/// One line per running group: connected, rate against target, errors.
pub fn fleet_status_lines(engine: &Engine) -> Vec<String> {
    let snapshot = engine.snapshot();
    snapshot
        .fleet
        .groups
        .iter()
        .filter(|g| g.run != crate::engine::fleet::RunState::Stopped)
        .map(|g| {
            let mut line = format!(
                "  {}: {}/{} connected, {} msg/s (target {:.1}), {} sent",
                g.spec.name, g.connected, g.devices_total, g.rate_per_s, g.target_rate, g.sent
            );
            if let Some(error) = &g.last_error {
                line.push_str(&format!(", last error: {error}"));
            }
            line
        })
        .collect()
}

/// `serve --record`: opens the file, subscribes to every topic at QoS 1 (so a busy broker does not
/// drop messages meant for the recording) and waits until the broker confirmed the subscription.
fn start_recording(engine: &Engine, path: &Path) -> anyhow::Result<()> {
    let patience = Duration::from_secs(10);
    engine
        .call(
            Command::Monitor(MonitorCommand::StartRecording(path.to_owned())),
            patience,
        )?
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    engine
        .call(
            Command::Monitor(MonitorCommand::Subscribe {
                filter: crate::engine::monitor::DEFAULT_FILTER.to_owned(),
                qos: 1,
            }),
            patience,
        )?
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    let deadline = std::time::Instant::now() + patience;
    while !engine.snapshot().monitor.subscribed {
        if std::time::Instant::now() > deadline {
            let why = engine.snapshot().monitor.last_error.clone();
            anyhow::bail!(
                "could not subscribe for the recording: {}",
                why.unwrap_or_else(|| "the broker did not answer".to_owned())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "recording every message (topic filter #) to {}",
        path.display()
    );
    Ok(())
}

/// A flag raised by Ctrl-C (SIGINT) or SIGTERM.
fn stop_on_signal(engine: &Engine) -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    engine.on_stop_signal(move || flag.store(true, Ordering::Relaxed))?;
    Ok(stop)
}
