//! The one port every client uses: reads each client's CONNECT, checks credentials, and serves the
//! client's session on rumqttd's router (session.rs), counting as it goes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::accounts::{self, LearnerAccounts};
use super::auth_guard::{AuthGuard, FailureNote};
use super::broker::MAX_PACKET_BYTES;
use super::client_codec::{SafeV4, SafeV5};
use super::client_handover::{Handovers, Hold};
use super::client_id;
use super::clients::{ClientRegistry, Transport};
use super::connection_cap::{self, AcceptTrouble, ConnectionGate};
use super::events::{Event, EventSink};
use super::mqtt_wire::{self, ConnectRead, FrameCounter, ProtocolVersion, Refusal, WireError};
use super::router_link::RouterAccess;
use super::session::{Session, SessionEnd};
use super::settings::Credentials;
use super::trace::{ConnectionEnd, ConnectionTrace};
use super::ws_limits::{GatedStream, SignInGate, websocket_config};

/// A client that opens a socket and says nothing is dropped after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest CONNECT accepted (its will payload is the only large part).
pub const MAX_CONNECT_LEN: usize = 1024 * 1024;
/// How long an ending connection waits for its last bytes to reach the client.
const GRACEFUL_CLOSE: Duration = Duration::from_millis(500);
/// How long a client waits for an earlier connection with its id to end (that takes one GRACEFUL_CLOSE
/// at most) before it goes on anyway.
const HANDOVER_PATIENCE: Duration = Duration::from_secs(2);
/// What an MQTT 5 client taken over by a newer connection with its id is told: DISCONNECT with reason
/// 0x8E, "session taken over".
const TAKEN_OVER_V5: [u8; 3] = [0xE0, 0x01, 0x8E];

/// What every connection handler needs to know; shared by all connections of one broker run.
pub struct FrontDoor {
    /// rumqttd's router, which every client's session is served on.
    pub router: Arc<RouterAccess>,
    pub credentials: Option<Credentials>,
    /// Learners' accounts, accepted besides `credentials` (the instructor's).
    pub learners: LearnerAccounts,
    pub registry: Arc<ClientRegistry>,
    pub events: EventSink,
    pub stopping: watch::Receiver<bool>,
    /// The cap on concurrent connections, shared by the TCP and WebSocket ports.
    pub gate: Arc<ConnectionGate>,
    /// Wrong sign-ins per address, to slow guessing down.
    pub auth_guard: Arc<AuthGuard>,
    /// Which connection holds each client id towards rumqttd.
    pub handovers: Arc<Handovers>,
    /// What all clients together may leave the broker holding in partly sent packets.
    pub partial_packets: super::partial_packets::PartialPacketBudget,
}

impl FrontDoor {
    /// Counts a refused connection and tells Activity why.
    fn count_refusal(&self, why: Event) {
        self.registry
            .totals
            .connections_refused
            .fetch_add(1, Ordering::Relaxed);
        self.events.send(why);
    }
}

/// Accepts TCP clients until the broker stops.
pub async fn serve_tcp(listener: TcpListener, door: Arc<FrontDoor>) {
    serve(listener, door, Transport::Tcp).await
}

/// Accepts WebSocket clients (MQTT over WebSocket, subprotocol "mqtt") until the broker stops.
pub async fn serve_websocket(listener: TcpListener, door: Arc<FrontDoor>) {
    serve(listener, door, Transport::WebSocket).await
}

async fn serve(listener: TcpListener, door: Arc<FrontDoor>, transport: Transport) {
    let mut stopping = door.stopping.clone();
    let mut trouble = AcceptTrouble::default();
    // Set while this loop owes a summary of the refusals over the cap.
    let mut summary_due: Option<tokio::time::Instant> = None;
    loop {
        let due = summary_due;
        let summary = async move {
            match due {
                Some(due) => tokio::time::sleep_until(due).await,
                None => std::future::pending().await,
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|s| *s) => return,
            _ = summary => {
                summary_due = door
                    .gate
                    .close_summary(&door.events)
                    .then(|| tokio::time::Instant::now() + connection_cap::SUMMARY_EVERY);
                continue;
            }
        };
        let (socket, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                // Out of file descriptors and similar: back off (reported once) instead of spinning.
                let wait = trouble.failed(&err, &door.events);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopping.wait_for(|s| *s) => return,
                }
                continue;
            }
        };
        trouble.succeeded();
        let Some(permit) = door.gate.try_enter() else {
            door.registry
                .totals
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            if door.gate.note_refusal() == connection_cap::Report::Now {
                door.events
                    .send(connection_cap::first_refusal(peer, door.gate.cap()));
                summary_due = Some(tokio::time::Instant::now() + connection_cap::SUMMARY_EVERY);
            }
            door.gate.turn_away(socket, transport == Transport::Tcp);
            continue;
        };
        let _ = socket.set_nodelay(true);
        // Which of several connections with one client id is the newest (see client_handover).
        let order = door.handovers.next_order();
        let door = door.clone();
        // One task type per transport: a TCP client's task is not as large as a WebSocket one's,
        // which holds the handshake and the WebSocket stream (the task is allocated per connection).
        match transport {
            Transport::Tcp => {
                tokio::spawn(async move {
                    // Holds this connection's place under the cap until it ends.
                    let _permit = permit;
                    // TCP halves split for free; WebSocket needs tokio's locking split.
                    let (reader, writer) = socket.into_split();
                    handle_client(reader, writer, peer, transport, order, &door, None).await
                });
            }
            Transport::WebSocket => {
                tokio::spawn(async move {
                    let _permit = permit;
                    serve_websocket_client(socket, peer, order, &door).await
                });
            }
        }
    }
}

/// Serves one WebSocket client: the handshake, then its MQTT connection.
async fn serve_websocket_client(socket: TcpStream, peer: SocketAddr, order: u64, door: &FrontDoor) {
    match accept_websocket(socket).await {
        Ok((stream, gate)) => {
            let (reader, writer) = tokio::io::split(stream);
            handle_client(
                reader,
                writer,
                peer,
                Transport::WebSocket,
                order,
                door,
                Some(&gate),
            )
            .await;
            if gate.tripped() {
                door.events.send(Event::ConnectionRejected {
                    peer,
                    reason: SignInGate::describe_trip(),
                });
            }
        }
        Err(reason) => door.events.send(Event::ConnectionRejected { peer, reason }),
    }
}

type WsByteStream =
    ws_stream_tungstenite::WsStream<async_tungstenite::tokio::TokioAdapter<GatedStream<TcpStream>>>;

/// Browsers refuse the connection unless the server echoes the MQTT subprotocol they asked for.
// The error type is tungstenite's callback signature, not ours to shrink.
#[allow(clippy::result_large_err)]
fn answer_subprotocol(
    request: &async_tungstenite::tungstenite::handshake::server::Request,
    mut response: async_tungstenite::tungstenite::handshake::server::Response,
) -> Result<
    async_tungstenite::tungstenite::handshake::server::Response,
    async_tungstenite::tungstenite::handshake::server::ErrorResponse,
> {
    let asked = request
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let chosen = asked
        .split(',')
        .map(str::trim)
        .find(|p| p.eq_ignore_ascii_case("mqtt") || p.eq_ignore_ascii_case("mqttv3.1"));
    if let Some(protocol) = chosen
        && let Ok(value) = async_tungstenite::tungstenite::http::HeaderValue::from_str(protocol)
    {
        response
            .headers_mut()
            .insert("sec-websocket-protocol", value);
    }
    Ok(response)
}

/// Completes the WebSocket handshake and offers the stream as plain bytes, size-limited (see ws_limits).
async fn accept_websocket(socket: TcpStream) -> Result<(WsByteStream, Arc<SignInGate>), String> {
    let gate = Arc::new(SignInGate::default());
    let handshake = async_tungstenite::tokio::accept_hdr_async_with_config(
        GatedStream::new(socket, gate.clone()),
        answer_subprotocol,
        Some(websocket_config(MAX_PACKET_BYTES)),
    );
    match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
        Ok(Ok(ws)) => Ok((ws_stream_tungstenite::WsStream::new(ws), gate)),
        Ok(Err(err)) => Err(format!(
            "the WebSocket handshake failed ({err}); MQTT clients that are not browsers should use the TCP port"
        )),
        Err(_) => Err("no WebSocket handshake within 10 s".to_owned()),
    }
}

/// Why a connection ended before it reached the broker.
enum Rejection {
    /// The peer closed before saying anything (port scanners, health checks): not worth reporting.
    Silent,
    Reported(String),
    /// A CONNECT for an MQTT version no listener speaks: it deserves a CONNACK saying so.
    UnsupportedVersion(String),
}

async fn read_connect<S: AsyncRead + Unpin>(
    client: &mut S,
    buffer: &mut Vec<u8>,
) -> Result<(mqtt_wire::ConnectInfo, usize), Rejection> {
    // Read straight into `buffer`: a buffer on the stack would stay in every connection's task
    // for its whole life.
    // One deadline for the whole CONNECT: a client trickling a byte at a time must not hold a slot forever.
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        match mqtt_wire::read_connect(buffer, MAX_CONNECT_LEN) {
            Ok(ConnectRead::Complete { info, packet_len }) => return Ok((info, packet_len)),
            Ok(ConnectRead::Incomplete { .. }) => {}
            Err(err @ WireError::UnknownProtocol { .. }) => {
                return Err(Rejection::UnsupportedVersion(err.to_string()));
            }
            Err(err) => return Err(Rejection::Reported(err.to_string())),
        }
        if buffer.len() == buffer.capacity() {
            buffer.reserve(buffer.len().clamp(256, 4096));
        }
        match tokio::time::timeout_at(deadline, client.read_buf(buffer)).await {
            Err(_) => {
                return Err(Rejection::Reported(
                    "sent no complete CONNECT packet within 10 s".to_owned(),
                ));
            }
            Ok(Err(_)) => return Err(Rejection::Silent),
            Ok(Ok(0)) if buffer.is_empty() => return Err(Rejection::Silent),
            Ok(Ok(0)) => {
                return Err(Rejection::Reported(
                    "closed the connection in the middle of its CONNECT packet".to_owned(),
                ));
            }
            Ok(Ok(_)) => {}
        }
    }
}

fn credentials_match(
    instructor: &Credentials,
    learners: &LearnerAccounts,
    info: &mqtt_wire::ConnectInfo,
) -> bool {
    accounts::sign_in_matches(
        instructor,
        learners,
        info.username.as_deref(),
        info.password.as_deref(),
    )
}

/// The first wrong sign-in from an address gets its own Activity line; later ones are summed up.
fn report_wrong_credentials(
    door: &FrontDoor,
    ip: std::net::IpAddr,
    first_line: impl FnOnce() -> Event,
) {
    match door.auth_guard.failed(ip, tokio::time::Instant::now()) {
        FailureNote::ReportThis => door.events.send(first_line()),
        FailureNote::Counted => {}
        FailureNote::SummaryAt(at) => {
            let guard = door.auth_guard.clone();
            let events = door.events.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                if let Some(summary) = guard.take_summary(ip, tokio::time::Instant::now()) {
                    events.send(Event::WrongPasswords {
                        ip,
                        wrong_total: summary.wrong_total,
                        slowed: summary.slowed,
                    });
                }
            });
        }
    }
}

async fn refuse<S: AsyncWrite + Unpin>(client: &mut S, version: ProtocolVersion, why: Refusal) {
    let _ = client
        .write_all(&mqtt_wire::connack_refusal(version, why))
        .await;
    let _ = client.flush().await;
    let _ = client.shutdown().await;
}

/// Serves one client connection from its first byte to its last.
async fn handle_client<R, W>(
    mut client_rd: R,
    mut client_wr: W,
    peer: SocketAddr,
    transport: Transport,
    order: u64,
    door: &FrontDoor,
    sign_in_gate: Option<&SignInGate>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buffer = Vec::with_capacity(256);
    let (info, connect_len) = match read_connect(&mut client_rd, &mut buffer).await {
        Ok(found) => found,
        Err(Rejection::Silent) => return,
        Err(Rejection::UnsupportedVersion(reason)) => {
            door.count_refusal(Event::ConnectionRejected { peer, reason });
            // MQTT 3.1.1 defines this answer for any protocol level it does not speak.
            refuse(
                &mut client_wr,
                ProtocolVersion::V311,
                Refusal::UnsupportedProtocolVersion,
            )
            .await;
            return;
        }
        Err(Rejection::Reported(reason)) => {
            door.count_refusal(Event::ConnectionRejected { peer, reason });
            return;
        }
    };
    let refused = |reason: String| Event::ClientRefused {
        peer,
        client_id: info.client_id.clone(),
        reason,
    };
    if let Some(expected) = &door.credentials {
        // An address that keeps guessing waits its turn before the check (see auth_guard).
        let mut stopping = door.stopping.clone();
        let got_turn = tokio::select! {
            got_turn = door.auth_guard.wait_turn(peer.ip()) => got_turn,
            _ = stopping.wait_for(|s| *s) => return,
        };
        if !got_turn {
            // Too many sign-ins queued from this address: turned away unchecked (counted in Activity's
            // summary), so the answer says nothing about the password.
            door.registry
                .totals
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            report_wrong_credentials(door, peer.ip(), || {
                refused(
                    "too many sign-ins from this address at once; try again in a minute".to_owned(),
                )
            });
            refuse(&mut client_wr, info.version, Refusal::ServerUnavailable).await;
            return;
        }
        if !credentials_match(expected, &door.learners, &info) {
            door.registry
                .totals
                .connections_refused
                .fetch_add(1, Ordering::Relaxed);
            let reason = if info.username.is_none() {
                "sent no user name, and this broker requires one"
            } else {
                "wrong user name or password"
            };
            report_wrong_credentials(door, peer.ip(), || refused(reason.to_owned()));
            refuse(&mut client_wr, info.version, Refusal::BadCredentials).await;
            return;
        }
        door.auth_guard.succeeded(peer.ip());
    }

    if let Some(gate) = sign_in_gate {
        gate.open();
    }

    let connect_bytes = match info.version {
        ProtocolVersion::V5 | ProtocolVersion::V311 => buffer,
        ProtocolVersion::V31 => {
            let Some(packet) = buffer.get(..connect_len) else {
                return;
            };
            match mqtt_wire::rewrite_v31_connect_as_v311(packet) {
                Ok(mut rewritten) => {
                    rewritten.extend_from_slice(buffer.get(connect_len..).unwrap_or_default());
                    rewritten
                }
                Err(err) => {
                    door.events.send(refused(err.to_string()));
                    refuse(
                        &mut client_wr,
                        info.version,
                        Refusal::UnsupportedProtocolVersion,
                    )
                    .await;
                    return;
                }
            }
        }
    };
    // rumqttd's router refuses some legal client ids in a way that poisons its listener: escape them.
    let connect_bytes = match client_id::connect_for_router(&info, connect_bytes) {
        Ok(bytes) => bytes,
        Err(problem) => {
            door.count_refusal(refused(problem.to_string()));
            refuse(&mut client_wr, info.version, Refusal::ClientIdNotValid).await;
            return;
        }
    };
    // Registered before the broker hears of it, so a stop in progress waits for this connection too.
    let registration =
        door.registry
            .register(info.client_id.clone(), peer, info.version, transport);
    if *door.stopping.borrow() {
        refuse(&mut client_wr, info.version, Refusal::ServerUnavailable).await;
        return;
    }
    // An earlier connection with this id ends (in order, see client_handover) before rumqttd hears of
    // this one. rumqttd gives clients without an id fresh ones, so those never wait.
    let hold = if info.client_id.is_empty() {
        None
    } else {
        let mut stopping = door.stopping.clone();
        let taken = tokio::select! {
            taken = door.handovers.take(&info.client_id, order, HANDOVER_PATIENCE) => Some(taken),
            _ = stopping.wait_for(|s| *s) => None,
        };
        match taken {
            Some(Some(hold)) => Some(hold),
            // A newer connection with this id got here first: this attempt is stale (its client
            // most likely gave up on it and connected again); MQTT lets the newest one stay.
            Some(None) => {
                door.count_refusal(refused(
                    "a newer connection with the same client id arrived first".to_owned(),
                ));
                return;
            }
            None => {
                refuse(&mut client_wr, info.version, Refusal::ServerUnavailable).await;
                return;
            }
        }
    };
    let entry = registration.entry.clone();
    entry
        .bytes_in
        .fetch_add(connect_bytes.len() as u64, Ordering::Relaxed);
    // What the client sends is held to what clients may send.
    let mut counter = FrameCounter::client_to_broker();
    // The CONNECT (and anything the client sent right behind it) goes first, through the same counter.
    if let Err(err) = counter.feed(&connect_bytes) {
        door.events.send(refused(err.to_string()));
        return;
    }
    // The trace keeps the client's own id (from `info`), whatever the router's CONNECT carries.
    let trace = ConnectionTrace::begin_at(
        &door.registry.trace,
        &info,
        registration.connection,
        &connect_bytes,
        Some(peer),
    );
    let trace_in = trace.client_leg(&connect_bytes, counter.at_boundary());
    let trace_out = trace.broker_leg();
    macro_rules! session {
        ($protocol:expr) => {
            Session {
                client_rd: &mut client_rd,
                client_wr: &mut client_wr,
                protocol: $protocol,
                version: info.version,
                connect_bytes,
                counter,
                trace_in,
                trace_out,
                entry: &entry,
                door,
                superseded: hold.as_ref().map(Hold::superseded_signal),
            }
            .run()
            .await
        };
    }
    let ending = match info.version {
        ProtocolVersion::V5 => session!(SafeV5::default()),
        ProtocolVersion::V311 | ProtocolVersion::V31 => session!(SafeV4::default()),
    };
    if matches!(ending, SessionEnd::TakenOver) && info.version == ProtocolVersion::V5 {
        let _ = tokio::time::timeout(GRACEFUL_CLOSE, client_wr.write_all(&TAKEN_OVER_V5)).await;
    }
    if !matches!(ending, SessionEnd::ClientClosed { .. }) {
        let _ = tokio::time::timeout(GRACEFUL_CLOSE, client_wr.shutdown()).await;
    }
    trace.end(trace_end(&ending));
    let was_accepted = entry.accepted.load(Ordering::Relaxed);
    let disconnected = |clean: bool| Event::ClientDisconnected {
        peer,
        client_id: info.client_id.clone(),
        clean,
    };
    match ending {
        SessionEnd::BrokerStopping if was_accepted => door.events.send(disconnected(true)),
        SessionEnd::Refused(reason) => door.count_refusal(refused(reason)),
        SessionEnd::ClientClosed { clean } if was_accepted => {
            door.events.send(disconnected(clean))
        }
        SessionEnd::BrokerClosed if was_accepted => {
            door.events.send(disconnected(false))
        }
        SessionEnd::BrokerClosed => door.count_refusal(refused(
            "the broker closed the connection without accepting it (see Known limits in the README)"
                .to_owned(),
        )),
        SessionEnd::TakenOver | SessionEnd::KeepAliveExpired if was_accepted => {
            door.events.send(disconnected(false))
        }
        SessionEnd::OverLimit(reason) => {
            door.events.send(Event::ConnectionRejected {
                peer,
                reason: reason.clone(),
            });
            if was_accepted {
                door.events.send(disconnected(false));
            }
        }
        SessionEnd::ProtocolError {
            from_client,
            reason,
        } => {
            let who = if from_client {
                "the client"
            } else {
                "the broker"
            };
            door.events.send(Event::ConnectionRejected {
                peer,
                reason: format!("{who} sent a malformed packet ({reason})"),
            });
            if was_accepted {
                door.events.send(disconnected(false));
            }
        }
        SessionEnd::BrokerStopping
        | SessionEnd::ClientClosed { .. }
        | SessionEnd::TakenOver
        | SessionEnd::KeepAliveExpired => {}
    }
    drop(hold);
    drop(registration);
}

/// How the trace tells a connection's end.
fn trace_end(ending: &SessionEnd) -> ConnectionEnd {
    match ending {
        SessionEnd::ClientClosed { clean: true } => ConnectionEnd::Clean,
        SessionEnd::ClientClosed { clean: false } | SessionEnd::KeepAliveExpired => {
            ConnectionEnd::Lost
        }
        SessionEnd::BrokerClosed => ConnectionEnd::ClosedByBroker,
        SessionEnd::BrokerStopping => ConnectionEnd::BrokerStopping,
        SessionEnd::TakenOver => ConnectionEnd::TakenOver,
        SessionEnd::Refused(reason) | SessionEnd::OverLimit(reason) => {
            ConnectionEnd::Refused(reason.clone())
        }
        SessionEnd::ProtocolError {
            from_client,
            reason,
        } => ConnectionEnd::Malformed(format!(
            "{} sent a malformed packet ({reason})",
            if *from_client {
                "the client"
            } else {
                "the broker"
            }
        )),
    }
}
