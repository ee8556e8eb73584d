//! The engine: everything that speaks MQTT, on a tokio runtime of its own. Front ends (the window,
//! the CLI, tests) talk to it only through [`Command`]s, [`Event`]s and [`Snapshot`]s.

pub mod accounts;
pub mod auth_guard;
pub mod broker;
pub mod broker_error;
pub mod client_codec;
pub mod client_handover;
pub mod client_id;
pub mod client_packet_rules;
pub mod client_rates;
pub mod clients;
pub mod connect_info;
pub mod connection_cap;
pub mod course;
pub mod diagnostics;
pub mod display_text;
pub mod events;
pub mod fleet;
pub mod front_door;
pub mod interruption;
pub mod keep_alive;
pub mod known_filters;
pub mod limited_read;
pub mod limits;
pub mod log_budget;
pub mod monitor;
pub mod mqtt_wire;
pub mod partial_packets;
pub mod polled_when_woken;
pub mod router_link;
pub mod session;
pub mod settings;
pub mod snapshot;
pub mod stats;
pub mod stop_signal;
pub mod template;
pub mod trace;
pub mod watch;
pub mod ws_limits;

use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::mpsc;

pub use broker::RunningInfo;
pub use broker_error::{BrokerError, Listener};
pub use clients::{ClientRow, Transport};
pub use events::{Event, EventSource, Waker};
pub use mqtt_wire::ProtocolVersion;
pub use settings::{BrokerSettings, Credentials, SettingsError};
pub use snapshot::{BrokerStatus, Snapshot};

use broker::BrokerHost;
use clients::ClientRegistry;
use events::EventSink;
use fleet::{Fleet, FleetCommand};
use snapshot::SnapshotBuilder;

/// What a front end asks the engine to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    StartBroker(BrokerSettings),
    StopBroker,
    /// Stop, then start with these settings (a port change while running, say).
    RestartBroker(BrokerSettings),
    /// Simulated devices: groups, live edits, kill and reconnect, the broker they target.
    Fleet(FleetCommand),
    /// The app's own subscriber and publisher: subscriptions, the log, plots, export.
    Monitor(monitor::MonitorCommand),
    /// The protocol trace: which clients to decode, clear, export, the `serve --trace` file.
    Trace(trace::TraceCommand),
    /// The workshop course: open, close, skip a step, reset progress.
    Course(course::CourseCommand),
}

/// The engine's answer to a command sent with [`Engine::call`].
pub type Outcome = Result<(), String>;

/// A command travelling to the engine, with an optional way back for callers that wait.
struct Request {
    command: Command,
    reply: Option<SyncSender<Outcome>>,
}

/// How many commands may wait for the engine; a full queue is reported, never waited on.
const COMMAND_QUEUE_LEN: usize = 64;
/// How long the engine lets connects and disconnects gather before showing them, at least.
const CLIENTS_SETTLE: Duration = Duration::from_millis(20);
/// And at least this many times as long as the last refresh took: a refresh copies every client's
/// row, so with thousands connected, a flood of connects would otherwise keep the engine busy
/// copying rows (and take CPU from the broker accepting them). This keeps it near 3% of a core
/// (8,000 rows take about 2 ms: the list then follows a flood every 60 ms instead of every 20).
const SETTLE_PER_REFRESH_COST: u32 = 30;
/// And never longer than this: the wait holds up commands too, and one refresh slowed by a busy
/// machine must not stall the engine for seconds.
const CLIENTS_SETTLE_AT_MOST: Duration = Duration::from_millis(250);
/// How often the engine looks at its counters to refresh the snapshot. Each refresh that changes a
/// number repaints the window: twice a second keeps counters lively without a software renderer
/// (llvmpipe) spending half a core redrawing them.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(500);

/// Why the engine did not take a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the engine is busy with earlier commands; try again in a moment")]
    Busy,
    #[error("the engine has stopped; restart the app")]
    Gone,
    #[error("the engine did not answer within {0:?}")]
    NoAnswer(Duration),
    #[error("the engine could not start: {0}")]
    CannotStart(String),
}

/// The handle front ends hold. Dropping it stops the broker cleanly and ends the engine's threads.
pub struct Engine {
    runtime: Option<Runtime>,
    /// The app's own subscriber's runtime, ended after the engine's (which closes the subscriber).
    watch_runtime: Option<monitor::WatchRuntime>,
    commands: mpsc::Sender<Request>,
    events: EventSource,
    sink: EventSink,
    snapshot: Arc<Mutex<Arc<Snapshot>>>,
    log: monitor::LogAccess,
    trace: trace::TraceAccess,
    course: course::CourseAccess,
}

impl Engine {
    /// Starts the engine's runtime. The broker is not started until a [`Command::StartBroker`].
    pub fn start() -> Result<Self, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("engine")
            .enable_all()
            .build()
            .map_err(|e| EngineError::CannotStart(e.to_string()))?;
        let watch_runtime =
            monitor::WatchRuntime::start().map_err(|e| EngineError::CannotStart(e.to_string()))?;
        let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE_LEN);
        let (sink, events) = events::event_queue();
        let snapshot = Arc::new(Mutex::new(Arc::new(Snapshot::default())));
        let log = monitor::LogAccess::default();
        let trace = trace::TraceAccess::default();
        let course = course::CourseAccess::default();
        runtime.spawn(run(
            command_rx,
            sink.clone(),
            snapshot.clone(),
            log.clone(),
            trace.clone(),
            course.clone(),
            watch_runtime.handle(),
        ));
        Ok(Self {
            runtime: Some(runtime),
            watch_runtime: Some(watch_runtime),
            commands,
            events,
            sink,
            snapshot,
            log,
            trace,
            course,
        })
    }

    /// Queues a command without waiting; its result arrives as events and in the snapshot.
    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        self.commands
            .try_send(Request {
                command,
                reply: None,
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => EngineError::Busy,
                mpsc::error::TrySendError::Closed(_) => EngineError::Gone,
            })
    }

    /// Sends a command and waits for its outcome. For the CLI and tests: never call it from a UI thread.
    pub fn call(&self, command: Command, timeout: Duration) -> Result<Outcome, EngineError> {
        let (reply, answer) = sync_channel(1);
        self.commands
            .try_send(Request {
                command,
                reply: Some(reply),
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => EngineError::Busy,
                mpsc::error::TrySendError::Closed(_) => EngineError::Gone,
            })?;
        answer.recv_timeout(timeout).map_err(|e| match e {
            std::sync::mpsc::RecvTimeoutError::Timeout => EngineError::NoAnswer(timeout),
            std::sync::mpsc::RecvTimeoutError::Disconnected => EngineError::Gone,
        })
    }

    /// Starts the broker and waits until it is listening (CLI and tests).
    pub fn start_broker_blocking(
        &self,
        settings: BrokerSettings,
    ) -> Result<RunningInfo, StartError> {
        self.call(Command::StartBroker(settings), Duration::from_secs(30))?
            .map_err(StartError::Refused)?;
        match self.snapshot().broker.clone() {
            BrokerStatus::Running(info) => Ok(info),
            BrokerStatus::Failed(err) => Err(StartError::Broker(err)),
            other => Err(StartError::Refused(format!(
                "the broker is {other:?} after starting"
            ))),
        }
    }

    /// The latest picture of the engine's state; cheap to call every frame.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The subscriber's message log, topic tree and plotted series, read-only.
    pub fn log(&self) -> &monitor::LogAccess {
        &self.log
    }

    /// The protocol trace's records, read-only.
    pub fn trace(&self) -> &trace::TraceAccess {
        &self.trace
    }

    /// The workshop course and every learner's progress, read-only.
    pub fn course(&self) -> &course::CourseAccess {
        &self.course
    }

    /// Events, oldest first.
    pub fn events(&self) -> &EventSource {
        &self.events
    }

    /// Registers a callback the engine calls when it has news (the window's repaint request).
    pub fn set_waker(&self, waker: Waker) {
        self.sink.set_waker(waker);
    }
}

/// Why [`Engine::start_broker_blocking`] did not give a running broker.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Broker(BrokerError),
    #[error("{0}")]
    Refused(String),
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Stop the broker the polite way (clients get disconnected, ports are freed), then end the runtime.
        let _ = self.call(Command::StopBroker, Duration::from_secs(5));
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        drop(self.watch_runtime.take());
    }
}

/// The engine's main loop: carries out commands one at a time and refreshes the snapshot.
async fn run(
    mut commands: mpsc::Receiver<Request>,
    sink: EventSink,
    published: Arc<Mutex<Arc<Snapshot>>>,
    log: monitor::LogAccess,
    trace: trace::TraceAccess,
    course: course::CourseAccess,
    watch: tokio::runtime::Handle,
) {
    let mut engine = EngineLoop {
        course: course::CourseRunner::new(course, trace.clone(), sink.clone()),
        last_refresh_took: Duration::ZERO,
        monitor: monitor::Monitor::new(log, sink.clone(), watch),
        host: BrokerHost::default(),
        fleet: Fleet::default(),
        registry: Arc::new(ClientRegistry::with_trace(trace)),
        sink,
        builder: SnapshotBuilder::default(),
        published,
    };
    let registry = engine.registry.clone();
    let mut ticker = tokio::time::interval(SNAPSHOT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = commands.recv() => {
                let Some(Request { command, reply }) = request else { break };
                let outcome = engine.execute(command).await;
                // The snapshot shows a command's effect before anyone waiting hears it is done.
                engine.refresh();
                if let Some(reply) = reply {
                    let _ = reply.try_send(outcome);
                }
            }
            _ = ticker.tick() => {
                diagnostics::close_log_second();
                engine.refresh();
            }
            _ = registry.changed.notified() => {
                // Let a burst of connects (a fleet starting) land before drawing them.
                let settle = (engine.last_refresh_took * SETTLE_PER_REFRESH_COST)
                    .clamp(CLIENTS_SETTLE, CLIENTS_SETTLE_AT_MOST);
                tokio::time::sleep(settle).await;
                engine.refresh();
            }
        }
    }
    engine.course.close();
    engine.stop().await;
    engine.monitor.shutdown().await;
}

/// The state the main loop owns.
struct EngineLoop {
    host: BrokerHost,
    fleet: Fleet,
    registry: Arc<ClientRegistry>,
    sink: EventSink,
    builder: SnapshotBuilder,
    published: Arc<Mutex<Arc<Snapshot>>>,
    /// The app's own subscriber: its connection, log, plots and recording.
    monitor: monitor::Monitor,
    /// The workshop course, when one is open.
    course: course::CourseRunner,
    /// How long the last snapshot refresh took.
    last_refresh_took: Duration,
}

impl EngineLoop {
    fn refresh(&mut self) {
        let started = std::time::Instant::now();
        self.builder.refresh(
            &self.host,
            &self.registry,
            &mut self.fleet,
            &self.monitor,
            &self.published,
            &self.sink,
        );
        self.last_refresh_took = started.elapsed();
    }

    /// Shows a state at once, before the slow part of a command.
    fn show(&mut self, status: BrokerStatus) {
        self.builder.set_status(status);
        self.refresh();
    }

    fn reject(&self, message: String) -> Outcome {
        self.sink.send(Event::CommandRejected(message.clone()));
        Err(message)
    }

    async fn execute(&mut self, command: Command) -> Outcome {
        match command {
            Command::StartBroker(settings) => self.start(settings).await,
            Command::StopBroker => {
                self.stop().await;
                Ok(())
            }
            Command::RestartBroker(settings) => {
                // A bad edit never takes down a running broker.
                if let Err(err) = settings.validate() {
                    return self.reject(err.to_string());
                }
                self.stop().await;
                self.start(settings).await
            }
            Command::Monitor(command) => match self.monitor.execute(command).await {
                Ok(done) => {
                    if let Some(done) = done {
                        self.sink.send(Event::MonitorChanged(done));
                    }
                    Ok(())
                }
                Err(err) => self.reject(err.to_string()),
            },
            Command::Trace(command) => {
                // Exports and file opening touch the disk: off the engine's own threads.
                let trace = self.registry.trace.clone();
                match tokio::task::spawn_blocking(move || trace.execute(command)).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(err)) => self.reject(err.to_string()),
                    Err(err) => self.reject(format!("the trace command failed: {err}")),
                }
            }
            Command::Course(command) => match self.course.execute(command).await {
                Ok(done) => {
                    self.sink.send(Event::CourseChanged(done));
                    Ok(())
                }
                Err(err) => self.reject(err.to_string()),
            },
            Command::Fleet(command) => {
                // A group is refused up front when it would not fit next to who is connected now.
                self.fleet
                    .set_broker_connections(self.registry.open_connections());
                match self.fleet.execute(command, self.host.running()) {
                    Ok(done) => {
                        self.sink.send(Event::FleetChanged(done));
                        // The fleet's devices are never learners of a course.
                        self.course.own_clients().set_devices(
                            self.fleet
                                .snapshot()
                                .groups
                                .into_iter()
                                .flat_map(|g| g.devices.into_iter().map(|d| d.client_id)),
                        );
                        // The subscriber follows the fleet's target (the embedded broker or an external one).
                        self.follow_target();
                        Ok(())
                    }
                    Err(err) => self.reject(err.to_string()),
                }
            }
        }
    }

    /// Points the subscriber where the fleet's target is now (after broker or fleet changes).
    fn follow_target(&mut self) {
        let target = self.fleet.target();
        self.monitor.follow(monitor::Destination {
            resolved: target.resolve(self.host.running()),
            label: target.label(),
            embedded: matches!(target, fleet::FleetTarget::Embedded),
        });
    }

    async fn stop(&mut self) {
        if self.host.running().is_none() {
            return;
        }
        self.show(BrokerStatus::Stopping);
        self.monitor.broker_stopping();
        self.host.stop(&self.registry).await;
        self.fleet.broker_changed(None);
        self.follow_target();
        self.builder.set_status(BrokerStatus::Stopped);
        self.sink.send(Event::BrokerStopped);
    }

    async fn start(&mut self, settings: BrokerSettings) -> Outcome {
        if let Some(running) = self.host.running() {
            return self.reject(BrokerError::AlreadyRunning(running.tcp).to_string());
        }
        self.show(BrokerStatus::Starting);
        match self
            .host
            .start(settings, self.registry.clone(), self.sink.clone())
            .await
        {
            Ok(info) => {
                self.fleet.broker_changed(Some(&info));
                let target = self.fleet.target();
                self.monitor.follow(monitor::Destination {
                    resolved: target.resolve(Some(&info)),
                    label: target.label(),
                    embedded: matches!(target, fleet::FleetTarget::Embedded),
                });
                self.sink.send(Event::BrokerStarted {
                    tcp: info.tcp,
                    websocket: info.websocket,
                });
                self.builder.set_status(BrokerStatus::Running(info));
            }
            Err(err) => {
                self.builder.set_status(BrokerStatus::Failed(err.clone()));
                self.sink.send(Event::BrokerFailed(err));
            }
        }
        Ok(())
    }
}
