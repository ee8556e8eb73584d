//! The one port every client uses: reads each client's CONNECT, checks credentials, and carries the
//! bytes to the internal rumqttd listener that speaks that client's protocol version, counting as it goes.

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
use super::client_handover::{self, Handovers};
use super::client_id;
use super::clients::{ClientEntry, ClientRegistry, Transport};
use super::connection_cap::{self, AcceptTrouble, ConnectionGate};
use super::events::{Event, EventSink};
use super::internal_listeners::InternalListeners;
use super::mqtt_wire::{
    self, ConnectRead, DISCONNECT_PACKET, FrameCounter, ProtocolVersion, Refusal, WireError,
};
use super::pump_buffer::PumpBuffer;
use super::settings::Credentials;
use super::trace::{ConnectionEnd, ConnectionTrace};
use super::ws_limits::{GatedStream, SignInGate, websocket_config};

/// A client that opens a socket and says nothing is dropped after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest CONNECT accepted (its will payload is the only large part).
pub const MAX_CONNECT_LEN: usize = 1024 * 1024;
/// A client that accepts no bytes for this long is disconnected.
const STALLED_CLIENT: Duration = Duration::from_secs(60);
/// How long a stopping broker waits for rumqttd to close a connection it sent DISCONNECT for, and how
/// long any ending connection waits for rumqttd to close its side.
const GRACEFUL_CLOSE: Duration = Duration::from_millis(500);
/// How long a client waits for an earlier connection with its id to end (that takes one GRACEFUL_CLOSE
/// at most) before it goes on anyway.
const HANDOVER_PATIENCE: Duration = Duration::from_secs(2);
/// What an MQTT 5 client taken over by a newer connection with its id is told: DISCONNECT with reason
/// 0x8E, "session taken over".
const TAKEN_OVER_V5: [u8; 3] = [0xE0, 0x01, 0x8E];

/// What every connection handler needs to know; shared by all connections of one broker run.
pub struct FrontDoor {
    /// rumqttd's loopback listeners, several per protocol version.
    pub internal: InternalListeners,
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
        tokio::spawn(async move {
            // Holds this connection's place under the cap until it ends.
            let _permit = permit;
            match transport {
                Transport::Tcp => {
                    // TCP halves split for free; WebSocket needs tokio's locking split.
                    let (reader, writer) = socket.into_split();
                    handle_client(reader, writer, peer, transport, order, &door, None).await
                }
                Transport::WebSocket => match accept_websocket(socket).await {
                    Ok((stream, gate)) => {
                        let (reader, writer) = tokio::io::split(stream);
                        handle_client(reader, writer, peer, transport, order, &door, Some(&gate))
                            .await;
                        if gate.tripped() {
                            door.events.send(Event::ConnectionRejected {
                                peer,
                                reason: SignInGate::describe_trip(),
                            });
                        }
                    }
                    Err(reason) => door.events.send(Event::ConnectionRejected { peer, reason }),
                },
            }
        });
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

    let Some(internal) = door.internal.pick(info.version, &info.client_id) else {
        refuse(&mut client_wr, info.version, Refusal::ServerUnavailable).await;
        return;
    };
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
    let mut hold = if info.client_id.is_empty() {
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
    let mut broker = match TcpStream::connect(internal).await {
        Ok(stream) => stream,
        Err(err) => {
            door.events.send(refused(format!(
                "the broker could not reach its own loopback listener ({err}); security software may be blocking connections to 127.0.0.1. Restart the broker"
            )));
            refuse(&mut client_wr, info.version, Refusal::ServerUnavailable).await;
            return;
        }
    };
    let _ = broker.set_nodelay(true);

    let entry = registration.entry.clone();
    entry
        .bytes_in
        .fetch_add(connect_bytes.len() as u64, Ordering::Relaxed);

    // What the client sends is held to what clients may send; what rumqttd sends is only counted.
    let mut upstream = PumpState {
        counter: FrameCounter::client_to_broker(),
        ..PumpState::default()
    };
    // The CONNECT (and anything the client sent right behind it) goes first, through the same counter.
    if let Err(err) = upstream.counter.feed(&connect_bytes) {
        door.events.send(refused(err.to_string()));
        return;
    }
    // The trace keeps the client's own id (from `info`), whatever the forwarded CONNECT carries.
    let trace = ConnectionTrace::begin_at(
        &door.registry.trace,
        &info,
        registration.connection,
        &connect_bytes,
        Some(peer),
    );
    upstream.trace = trace.client_leg(&connect_bytes, upstream.counter.at_boundary());
    if broker.write_all(&connect_bytes).await.is_err() {
        door.events.send(refused(
            "the broker closed the connection before reading its CONNECT".to_owned(),
        ));
        refuse(&mut client_wr, info.version, Refusal::ServerUnavailable).await;
        return;
    }
    // Held otherwise for the connection's whole life (a CONNECT with a will can be large).
    drop(connect_bytes);

    let (mut broker_rd, mut broker_wr) = broker.into_split();
    let mut downstream = PumpState {
        trace: trace.broker_leg(),
        ..PumpState::default()
    };
    let mut stopping = door.stopping.clone();
    let ending = {
        let up = pump(
            &mut client_rd,
            &mut broker_wr,
            &mut upstream,
            Direction::ToBroker,
            &entry,
            door,
        );
        let down = pump(
            &mut broker_rd,
            &mut client_wr,
            &mut downstream,
            Direction::ToClient {
                version: info.version,
            },
            &entry,
            door,
        );
        tokio::select! {
            end = up => end,
            end = down => end,
            _ = stopping.wait_for(|s| *s) => PumpEnd::BrokerStopping,
            _ = client_handover::superseded(&mut hold) => PumpEnd::TakenOver,
        }
    };
    // rumqttd's side ends before the id is handed on (see `let_rumqttd_close`).
    if !matches!(ending, PumpEnd::BrokerClosed) {
        let at_boundary = upstream.counter.at_boundary() && !upstream.mid_write;
        let end = if matches!(ending, PumpEnd::BrokerStopping) && at_boundary {
            // A stopping broker ends sessions the way a client would, so rumqttd forgets them and
            // publishes no last wills; only a packet boundary is a safe place for that DISCONNECT.
            // Either way rumqttd must see the connection end before its runtime goes, or its
            // router keeps a ghost session.
            RumqttdEnd::SayDisconnect
        } else if upstream.saw_disconnect && !upstream.mid_write {
            RumqttdEnd::ClientSaidDisconnect
        } else {
            RumqttdEnd::HangUp
        };
        let_rumqttd_close(&mut broker_rd, &mut broker_wr, end).await;
    }
    if matches!(ending, PumpEnd::TakenOver) {
        if info.version == ProtocolVersion::V5
            && downstream.counter.at_boundary()
            && !downstream.mid_write
        {
            let _ = tokio::time::timeout(GRACEFUL_CLOSE, client_wr.write_all(&TAKEN_OVER_V5)).await;
        }
        let _ = tokio::time::timeout(GRACEFUL_CLOSE, client_wr.shutdown()).await;
    }

    upstream.trace.finish();
    downstream.trace.finish();
    trace.end(trace_end(&ending, upstream.saw_disconnect));
    let was_accepted = entry.accepted.load(Ordering::Relaxed);
    match ending {
        PumpEnd::BrokerStopping => {
            let _ = tokio::time::timeout(GRACEFUL_CLOSE, client_wr.shutdown()).await;
            if was_accepted {
                door.events.send(Event::ClientDisconnected {
                    peer,
                    client_id: info.client_id.clone(),
                    clean: true,
                });
            }
        }
        PumpEnd::Refused(reason) => {
            door.count_refusal(refused(reason))
        }
        PumpEnd::ClientClosed { clean } if was_accepted => {
            door.events.send(Event::ClientDisconnected {
                peer,
                client_id: info.client_id.clone(),
                clean,
            })
        }
        PumpEnd::BrokerClosed if was_accepted => {
            let _ = tokio::time::timeout(GRACEFUL_CLOSE, client_wr.shutdown()).await;
            // The broker closes right after a client's DISCONNECT, sometimes before the client does.
            door.events.send(Event::ClientDisconnected {
                peer,
                client_id: info.client_id.clone(),
                clean: upstream.saw_disconnect,
            })
        }
        PumpEnd::BrokerClosed => {
            door.count_refusal(refused(
            "the broker closed the connection without accepting it (see Known limits in the README)".to_owned(),
            ))
        }
        PumpEnd::ClientClosed { .. } => {}
        PumpEnd::TakenOver if was_accepted => door.events.send(Event::ClientDisconnected {
            peer,
            client_id: info.client_id.clone(),
            clean: false,
        }),
        PumpEnd::TakenOver => {}
        PumpEnd::ProtocolError {
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
                reason: format!("closed because {who} sent a malformed packet ({reason})"),
            });
            if was_accepted {
                door.events.send(Event::ClientDisconnected {
                    peer,
                    client_id: info.client_id.clone(),
                    clean: false,
                });
            }
        }
    }
    drop(hold);
    drop(registration);
}

/// How the front door ends rumqttd's side of a connection.
enum RumqttdEnd {
    /// The client's own DISCONNECT went through: rumqttd is already closing.
    ClientSaidDisconnect,
    /// The broker is stopping: a DISCONNECT on the client's behalf, then hang up.
    SayDisconnect,
    /// Hang up (rumqttd publishes the client's will, if any).
    HangUp,
}

/// Ends rumqttd's side of a connection and waits (bounded) until rumqttd has closed it. rumqttd
/// reuses connection slots: if the front door hung up on a connection the router is already
/// removing (after a DISCONNECT), rumqttd's link could report the end a second time, after the slot
/// went to a newcomer, and the router would drop the newcomer. So after a DISCONNECT the front door
/// only waits; otherwise it hangs up first, and waits for rumqttd's close, which comes after rumqttd
/// has told its router (in order, before any later client's CONNECT).
async fn let_rumqttd_close<R, W>(broker_rd: &mut R, broker_wr: &mut W, end: RumqttdEnd)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(GRACEFUL_CLOSE, async {
        match end {
            RumqttdEnd::ClientSaidDisconnect => {}
            RumqttdEnd::SayDisconnect => {
                let _ = broker_wr.write_all(&DISCONNECT_PACKET).await;
                let _ = broker_wr.shutdown().await;
            }
            RumqttdEnd::HangUp => {
                let _ = broker_wr.shutdown().await;
            }
        }
        let mut sink = [0u8; 512];
        while matches!(broker_rd.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

#[derive(Default)]
struct PumpState {
    counter: FrameCounter,
    /// True while a chunk is partly written: cutting the stream there would corrupt a packet.
    mid_write: bool,
    /// The client sent DISCONNECT: however the connection then ends, it ended cleanly.
    saw_disconnect: bool,
    /// Hands the bytes to the protocol trace (decoded only for watched clients).
    trace: super::trace::Leg,
}

/// How the trace tells a connection's end.
fn trace_end(ending: &PumpEnd, saw_disconnect: bool) -> ConnectionEnd {
    match ending {
        PumpEnd::ClientClosed { clean: true } => ConnectionEnd::Clean,
        PumpEnd::ClientClosed { clean: false } => ConnectionEnd::Lost,
        PumpEnd::BrokerClosed if saw_disconnect => ConnectionEnd::Clean,
        PumpEnd::BrokerClosed => ConnectionEnd::ClosedByBroker,
        PumpEnd::BrokerStopping => ConnectionEnd::BrokerStopping,
        PumpEnd::TakenOver => ConnectionEnd::TakenOver,
        PumpEnd::Refused(reason) => ConnectionEnd::Refused(reason.clone()),
        PumpEnd::ProtocolError {
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

#[derive(Clone, Copy)]
enum Direction {
    ToBroker,
    ToClient { version: ProtocolVersion },
}

enum PumpEnd {
    ClientClosed {
        clean: bool,
    },
    BrokerClosed,
    BrokerStopping,
    /// A newer connection with the same client id asked this one to close.
    TakenOver,
    Refused(String),
    ProtocolError {
        from_client: bool,
        reason: String,
    },
}

/// Copies one direction, counting packets; returns how that direction ended.
async fn pump<R, W>(
    from: &mut R,
    to: &mut W,
    state: &mut PumpState,
    direction: Direction,
    entry: &ClientEntry,
    door: &FrontDoor,
) -> PumpEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = PumpBuffer::default();
    // Only this connection's own counters are touched per chunk: broker-wide totals are summed by
    // the snapshot, since hundreds of connections adding to one shared counter would contend.
    let totals = &door.registry.totals;
    loop {
        let n = match from.read(buf.space()).await {
            Ok(0) | Err(_) => {
                return match direction {
                    Direction::ToBroker => PumpEnd::ClientClosed {
                        clean: state.saw_disconnect,
                    },
                    Direction::ToClient { .. } => PumpEnd::BrokerClosed,
                };
            }
            Ok(n) => n,
        };
        let chunk = buf.filled(n);
        let tally = match state.counter.feed(chunk) {
            Ok(tally) => tally,
            Err(err) => {
                // The trace shows the refused packet for what it was before the connection ends.
                state.trace.feed(chunk, false);
                return PumpEnd::ProtocolError {
                    from_client: matches!(direction, Direction::ToBroker),
                    reason: err.to_string(),
                };
            }
        };
        state.trace.feed(chunk, state.counter.at_boundary());
        let bytes = n as u64;
        match direction {
            Direction::ToBroker => {
                state.saw_disconnect |= tally.disconnect;
                entry
                    .messages_in
                    .fetch_add(tally.publishes, Ordering::Relaxed);
                entry.bytes_in.fetch_add(bytes, Ordering::Relaxed);
            }
            Direction::ToClient { version } => {
                if let Some(code) = tally.connack_code {
                    if code == 0 {
                        entry.accepted.store(true, Ordering::Relaxed);
                        door.registry.changed.notify_one();
                        totals.connections_accepted.fetch_add(1, Ordering::Relaxed);
                        door.events.send(Event::ClientConnected {
                            peer: entry.peer,
                            client_id: entry.client_id.clone(),
                            version: entry.version,
                            transport: entry.transport,
                        });
                    } else {
                        // Let the client read the refusal before reporting it.
                        let _ = to.write_all(chunk).await;
                        return PumpEnd::Refused(describe_connack_refusal(version, code));
                    }
                }
                entry
                    .messages_out
                    .fetch_add(tally.publishes, Ordering::Relaxed);
                entry.bytes_out.fetch_add(bytes, Ordering::Relaxed);
            }
        }
        state.mid_write = true;
        // A client that stops reading (a frozen browser tab) must not hold its connection forever;
        // the broker side has rumqttd's own flow control.
        let written = match direction {
            Direction::ToBroker => to.write_all(chunk).await.is_ok(),
            Direction::ToClient { .. } => matches!(
                tokio::time::timeout(STALLED_CLIENT, to.write_all(chunk)).await,
                Ok(Ok(()))
            ),
        };
        if !written {
            return match direction {
                Direction::ToBroker => PumpEnd::BrokerClosed,
                Direction::ToClient { .. } => PumpEnd::ClientClosed { clean: false },
            };
        }
        state.mid_write = false;
        buf.after_read(n);
    }
}

fn describe_connack_refusal(version: ProtocolVersion, code: u8) -> String {
    let meaning = match (version, code) {
        (ProtocolVersion::V5, 0x84) | (_, 1) => "unsupported protocol version",
        (ProtocolVersion::V5, 0x85) | (_, 2) => "client id not allowed",
        (ProtocolVersion::V5, 0x88) | (_, 3) => "server unavailable",
        (ProtocolVersion::V5, 0x86) | (_, 4) => "bad user name or password",
        (ProtocolVersion::V5, 0x87) | (_, 5) => "not authorized",
        _ => "refused",
    };
    format!("the broker refused the connection: {meaning} (code {code:#04x})")
}
