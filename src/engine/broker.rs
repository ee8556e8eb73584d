//! The embedded broker's lifecycle: one rumqttd router for the app's life, and the ports (the front
//! door) on a runtime of their own that a stop shuts down, so every connection closes and every port
//! is freed at once. While the broker runs, the publisher's session takes the router's turn for a
//! message itself when the router is free, and the router's task on that runtime serves the rest; in
//! between runs the router is kept as it is.

use std::io;
use std::net::{IpAddr, SocketAddr};

use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttd::RouterConfig;
use tokio::runtime::Runtime;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::clients::ClientRegistry;
use super::events::EventSink;
use super::front_door::{self, FrontDoor};
use super::router_link::RouterAccess;
use super::settings::BrokerSettings;

// Still reachable as `engine::broker::…` for code written before the error types had a file of their own.
pub use super::broker_error::{BrokerError, Listener};

/// Facts about a running broker that front ends show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningInfo {
    pub tcp: SocketAddr,
    pub websocket: Option<SocketAddr>,
    pub settings: BrokerSettings,
    pub started: Instant,
    /// The most connections served at once (the setting, or sized from the open-files limit).
    pub connection_cap: usize,
}

struct RunningBroker {
    info: RunningInfo,
    runtime: ListenerRuntime,
    stopping: watch::Sender<bool>,
    router_run: RouterRun,
}

/// The router while its task runs on a broker's runtime: how to pause it, and the task.
pub(super) struct RouterRun {
    pause: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RouterRun {
    /// Runs `router`'s task on `handle`'s runtime until paused (or until this is dropped). The
    /// sessions on that runtime take most messages' turns themselves; the task serves the rest.
    pub(super) fn start(handle: &tokio::runtime::Handle, router: rumqttd::SharedRouter) -> Self {
        let (pause, paused) = oneshot::channel::<()>();
        let task = handle.spawn(async move {
            router
                .run_until(async move {
                    // A dropped sender pauses it too.
                    let _ = paused.await;
                })
                .await;
        });
        Self { pause, task }
    }

    /// Pauses the router's task and waits for it to end (it does at its next turn); an error when
    /// the task failed.
    pub(super) async fn pause(self) -> Result<(), tokio::task::JoinError> {
        let _ = self.pause.send(());
        self.task.await
    }
}

/// The router and the way into it, kept for the app's life (retained messages and persistent
/// sessions outlive a stop).
struct RouterHome {
    access: Arc<RouterAccess>,
    router: rumqttd::SharedRouter,
}

/// A new router, not running yet, and the way into it.
fn new_router() -> (Arc<RouterAccess>, rumqttd::SharedRouter) {
    let router = rumqttd::SharedRouter::new(rumqttd::Router::new(0, router_config()));
    (Arc::new(RouterAccess::of(&router)), router)
}

/// The runtime serving one broker run. Dropping a tokio runtime inside async code panics, so an
/// unplanned drop (an error path, the engine going away) shuts it down in the background instead.
struct ListenerRuntime(Option<Runtime>);

impl ListenerRuntime {
    fn get(&self) -> Option<&Runtime> {
        self.0.as_ref()
    }

    /// Shuts down and waits for every task (and socket) to be gone; call it off async threads.
    fn shut_down(mut self, timeout: Duration) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_timeout(timeout);
        }
    }
}

impl Drop for ListenerRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Owns the router and, while the broker runs, the runtime serving its listeners.
#[derive(Default)]
pub struct BrokerHost {
    router: Option<RouterHome>,
    running: Option<RunningBroker>,
}

/// How long a stop waits for connections to close themselves before they are cut.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// How long a stop waits for the router to hand itself back (it does at its next turn).
const ROUTER_PAUSE_WAIT: Duration = Duration::from_secs(5);

impl BrokerHost {
    pub fn running(&self) -> Option<&RunningInfo> {
        self.running.as_ref().map(|r| &r.info)
    }

    /// Starts the broker, or says in words why it cannot; a running broker is left as it is.
    pub async fn start(
        &mut self,
        settings: BrokerSettings,
        registry: Arc<ClientRegistry>,
        events: EventSink,
    ) -> Result<RunningInfo, BrokerError> {
        if let Some(running) = &self.running {
            return Err(BrokerError::AlreadyRunning(running.info.tcp));
        }
        settings.validate()?;
        // Bind the user-facing ports first: they are the ones that can be taken, and failing here
        // leaves nothing half-started.
        let tcp = bind_public(settings.bind, settings.tcp_port, Listener::Tcp)?;
        let websocket = match settings.ws_port {
            Some(port) => Some(bind_public(settings.bind, port, Listener::WebSocket)?),
            None => None,
        };
        let tcp_addr = local_addr(&tcp, Listener::Tcp)?;
        let ws_addr = match &websocket {
            Some(l) => Some(local_addr(l, Listener::WebSocket)?),
            None => None,
        };

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("broker")
            .enable_all()
            .build()
            .map_err(|e| BrokerError::Internal(e.to_string()))?;
        let runtime = ListenerRuntime(Some(runtime));
        let Some(handle) = runtime.get().map(|r| r.handle().clone()) else {
            return Err(BrokerError::Internal("no runtime".to_owned()));
        };

        let (router, router_run) = self.run_router(&handle);
        let (stopping, stopping_rx) = watch::channel(false);
        let connection_cap = match settings.max_connections {
            Some(cap) => usize::try_from(cap.get())
                .unwrap_or(usize::MAX)
                .min(super::limits::MAX_CONNECTION_CAP),
            None => super::limits::Capacity::current().default_connection_cap(),
        };
        let door = Arc::new(FrontDoor {
            gate: super::connection_cap::ConnectionGate::new(connection_cap),
            router,
            credentials: settings.credentials.clone(),
            learners: settings.learner_accounts.clone(),
            registry,
            events,
            stopping: stopping_rx,
            auth_guard: Default::default(),
            handovers: Default::default(),
            partial_packets: Default::default(),
        });
        let tcp_door = door.clone();
        handle.spawn(async move {
            match tokio::net::TcpListener::from_std(tcp) {
                Ok(listener) => front_door::serve_tcp(listener, tcp_door).await,
                Err(err) => tracing::error!(%err, "could not serve the TCP port"),
            }
        });
        if let Some(ws) = websocket {
            handle.spawn(async move {
                match tokio::net::TcpListener::from_std(ws) {
                    Ok(listener) => front_door::serve_websocket(listener, door).await,
                    Err(err) => tracing::error!(%err, "could not serve the WebSocket port"),
                }
            });
        }

        let info = RunningInfo {
            tcp: tcp_addr,
            websocket: ws_addr,
            settings,
            started: Instant::now(),
            connection_cap,
        };
        self.running = Some(RunningBroker {
            info: info.clone(),
            runtime,
            stopping,
            router_run,
        });
        Ok(info)
    }

    /// Stops the broker: clients are disconnected, listeners closed, ports freed before this returns.
    /// Returns false when it was not running.
    pub async fn stop(&mut self, registry: &ClientRegistry) -> bool {
        let Some(running) = self.running.take() else {
            return false;
        };
        let _ = running.stopping.send(true);
        let deadline = Instant::now() + STOP_GRACE;
        while registry.open_connections() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.park_router(running.router_run).await;
        // Shutting the runtime down drops every task, and with them every socket; it blocks while
        // worker threads finish, so it runs off the engine's own threads.
        let runtime = running.runtime;
        let _ = tokio::task::spawn_blocking(move || runtime.shut_down(STOP_GRACE)).await;
        true
    }

    /// Starts the router on the broker's runtime: the one kept from the last run, or a new one on
    /// first use (or if the last was lost: its task did not stop, or a turn panicked).
    fn run_router(&mut self, handle: &tokio::runtime::Handle) -> (Arc<RouterAccess>, RouterRun) {
        let (access, router) = match self.router.take() {
            Some(RouterHome { access, router }) if !router.is_gone() => (access, router),
            _ => new_router(),
        };
        self.router = Some(RouterHome {
            access: access.clone(),
            router: router.clone(),
        });
        (access, RouterRun::start(handle, router))
    }

    /// Ends the router's task before the broker's runtime goes; the router itself stays for the
    /// next run.
    async fn park_router(&mut self, run: RouterRun) {
        let what_happened = match tokio::time::timeout(ROUTER_PAUSE_WAIT, run.pause()).await {
            Ok(Ok(())) => match &self.router {
                Some(home) if home.router.is_gone() => "failed (a turn of it panicked)".to_owned(),
                _ => return,
            },
            Ok(Err(err)) => format!("failed ({err})"),
            Err(_) => format!("did not stop within {ROUTER_PAUSE_WAIT:?}"),
        };
        tracing::error!(
            "the broker's router {what_happened}; the next start makes a new one (retained messages and sessions are lost)"
        );
        self.router = None;
    }
}

/// Router limits; rumqttd's defaults are all zeros, so every field is set.
pub(super) fn router_config() -> RouterConfig {
    RouterConfig {
        max_connections: super::limits::ROUTER_MAX_CONNECTIONS,
        // How many messages the router hands a subscriber per trip through its link. The router
        // alternates between up to 500 batches from publishers and one trip per ready subscriber,
        // so at 200 a few publishers flat out outran a subscriber by 3 to 1 and rumqttd skipped
        // the QoS 0 messages that fell out of its log (70-80% lost with the window open, decided
        // by as little as the build's code layout). At 4,000 the drain kept up while the router had
        // a thread of its own. Run as a task on the broker's runtime it takes publishers' data
        // faster, and at 4,000 a subscriber starved of CPU by the window fell up to 218k messages
        // behind in a flood's first second and lost messages in 4 of 24 runs; at 16,000 none of 16
        // did, and it drained 1.2x faster (BENCHMARKS.md, goal 2). A subscriber that stops reading
        // holds at most this many notifications (248 B each, 4 MB, plus the payloads they share).
        max_outgoing_packet_count: 16_000,
        // Each subscription filter's log: 16 × 2 MB of messages (about 300 B of memory per 64 B
        // message). rumqttd drops its oldest segment when the log is full, so the log always holds
        // 30–32 MB; with 3 × 8 MB it held 16–24 MB. A QoS 0 subscriber that lags further behind than
        // the log reaches loses messages: with the window open and 10 publishers flat out, 3 × 8 MB
        // lost 0.5–3.8% in 5 of 10 runs, 16 × 2 MB none in 4, for about 55 MiB more at the peak
        // (BENCHMARKS.md, goal 2).
        max_segment_size: 2 * 1024 * 1024,
        max_segment_count: 16,
        custom_segment: None,
        initialized_filters: None,
        shared_subscriptions_strategy: Default::default(),
    }
}

/// The largest packet the broker takes from a client; the WebSocket port's cap too.
pub const MAX_PACKET_BYTES: usize = 16 * 1024 * 1024;

fn bind_public(
    ip: IpAddr,
    port: u16,
    listener: Listener,
) -> Result<std::net::TcpListener, BrokerError> {
    let bound = std::net::TcpListener::bind((ip, port)).map_err(|err| match err.kind() {
        io::ErrorKind::AddrInUse => BrokerError::PortInUse {
            listener,
            ip,
            port,
            free_alternative: next_free_port(ip, port),
        },
        io::ErrorKind::AddrNotAvailable => BrokerError::AddressNotAvailable { ip },
        io::ErrorKind::PermissionDenied => BrokerError::PermissionDenied { listener, port },
        _ => BrokerError::Io {
            listener,
            detail: err.to_string(),
        },
    })?;
    bound.set_nonblocking(true).map_err(|err| BrokerError::Io {
        listener,
        detail: err.to_string(),
    })?;
    Ok(bound)
}

fn local_addr(l: &std::net::TcpListener, listener: Listener) -> Result<SocketAddr, BrokerError> {
    l.local_addr().map_err(|err| BrokerError::Io {
        listener,
        detail: err.to_string(),
    })
}

/// The first port after `port` that can be bound on `ip` right now.
pub fn next_free_port(ip: IpAddr, port: u16) -> Option<u16> {
    (port.saturating_add(1)..=port.saturating_add(200))
        .filter(|p| *p > port)
        .find(|p| std::net::TcpListener::bind((ip, *p)).is_ok())
}
