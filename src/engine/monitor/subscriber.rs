//! The app's own MQTT connection (rumqttc, MQTT 3.1.1): a task that drives it, subscribes again after
//! every reconnect, hands each received message to the ingest queue, and reconnects with backoff.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use rand::Rng;
use rumqttc::{AsyncClient, ConnectionError, Event, MqttOptions, Outgoing, Packet, QoS};
use rumqttc::{StateError, SubscribeFilter, SubscribeReasonCode};
use tokio::task::JoinHandle;

use super::ingest::{DELIVERY_BATCH, IngestSender};
use super::state::SessionState;
use crate::engine::events::{Event as EngineEvent, EventSink};
use crate::engine::fleet::device::ResolvedTarget;
use crate::engine::watch::LoggedMessage;

/// Largest packet the subscriber takes or sends: the embedded broker's 16 MiB payload limit plus
/// room for the topic and header.
pub const MAX_PACKET: usize = 16 * 1024 * 1024 + 64 * 1024;
/// Requests (publishes, subscribes) that may wait in the client; more are refused, never waited on.
const REQUEST_QUEUE: usize = 256;
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT_S: u64 = 10;
const BACKOFF_START: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Publishes read in one go are handed over once they hold this many bytes, even if more are waiting.
const DELIVERY_BYTES: usize = 4 * 1024 * 1024;

/// The subscriptions the subscriber should hold, shared with the driver so a reconnect restores them.
pub type Wanted = Arc<Mutex<Vec<(String, u8)>>>;

pub fn qos(level: u8) -> QoS {
    match level {
        2 => QoS::ExactlyOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::AtMostOnce,
    }
}

/// One connection to one broker; a new broker address gets a new session.
pub struct Session {
    pub client: AsyncClient,
    pub state: Arc<SessionState>,
    driver: JoinHandle<()>,
}

/// Everything a session needs to know about where it goes and where messages go.
pub struct SessionSetup {
    pub target: ResolvedTarget,
    pub label: String,
    pub wanted: Wanted,
    pub ingest: IngestSender,
    pub sink: EventSink,
    /// The log's payload cap: longer payloads are cut before they are queued.
    pub max_payload_bytes: usize,
}

impl Session {
    /// Connects on `runtime` (the subscriber's own, below normal priority).
    pub fn open(runtime: &tokio::runtime::Handle, setup: SessionSetup) -> Session {
        let suffix: u32 = rand::thread_rng().r#gen();
        let client_id = format!(
            "{}mqtt-playground-watch-{suffix:08x}",
            setup.target.client_id_prefix
        );
        let mut options = MqttOptions::new(client_id, setup.target.host.clone(), setup.target.port);
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET);
        if let Some((user, password)) = &setup.target.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        if let Some(tls) = &setup.target.tls {
            options.set_transport(rumqttc::Transport::tls_with_config(tls.clone()));
        }
        let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let mut network = rumqttc::NetworkOptions::new();
        network.set_connection_timeout(CONNECT_TIMEOUT_S);
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        let state = Arc::new(SessionState::default());
        let driver = runtime.spawn(drive(eventloop, client.clone(), state.clone(), setup));
        Session {
            client,
            state,
            driver,
        }
    }

    /// Says goodbye (DISCONNECT) if it can, and ends the driver within a second either way.
    pub fn close(self) {
        self.state.connected.store(false, Ordering::SeqCst);
        let _ = self.client.try_disconnect();
        let mut driver = self.driver;
        tokio::spawn(async move {
            if tokio::time::timeout(Duration::from_secs(1), &mut driver)
                .await
                .is_err()
            {
                driver.abort();
            }
        });
    }

    /// Asks the broker for `filters` now (if connected); the driver asks again after every reconnect.
    pub fn subscribe(&self, filters: &[(String, u8)]) -> Result<(), String> {
        if filters.is_empty() || !self.state.is_connected() {
            return Ok(());
        }
        send_subscribe(&self.client, &self.state, filters)
    }
}

fn send_subscribe(
    client: &AsyncClient,
    state: &SessionState,
    filters: &[(String, u8)],
) -> Result<(), String> {
    let request = filters
        .iter()
        .map(|(filter, level)| SubscribeFilter::new(filter.clone(), qos(*level)));
    state.subscribes_sent.fetch_add(1, Ordering::SeqCst);
    client.try_subscribe_many(request).map_err(|_| {
        state.subscribes_acked.fetch_add(1, Ordering::SeqCst);
        "the subscriber is busy sending earlier requests; try again in a moment".to_owned()
    })
}

async fn drive(
    mut eventloop: rumqttc::EventLoop,
    client: AsyncClient,
    state: Arc<SessionState>,
    setup: SessionSetup,
) {
    let mut backoff = BACKOFF_START;
    // One activity line per outage, not one per retry.
    let mut outage_reported = false;
    // Publishes read in one go are handed over together (one queue slot, one lock).
    let mut received: Vec<LoggedMessage> = Vec::new();
    let mut received_bytes = 0;
    // When the packets of the last read arrived: those read together share it (a clock read per
    // message was a twentieth of the window's CPU under a flood).
    let mut read_at = SystemTime::now();
    loop {
        let from_last_read = !eventloop.state.events.is_empty();
        let event = eventloop.poll().await;
        if !from_last_read {
            read_at = SystemTime::now();
        }
        let more_buffered = !eventloop.state.events.is_empty();
        let event = match event {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let message = logged(publish, read_at, setup.max_payload_bytes);
                received_bytes += message.stored_bytes();
                received.push(message);
                None
            }
            other => Some(other),
        };
        // Whatever was read is handed over before the connection can end: never dropped.
        let ending = matches!(
            event,
            Some(Err(_) | Ok(Event::Outgoing(Outgoing::Disconnect)))
        );
        if !received.is_empty()
            && (ending
                || !more_buffered
                || received.len() >= DELIVERY_BATCH
                || received_bytes >= DELIVERY_BYTES)
        {
            received_bytes = 0;
            if !setup.ingest.deliver(std::mem::take(&mut received)).await {
                return;
            }
        }
        let Some(event) = event else { continue };
        match event {
            Ok(Event::Incoming(Packet::Publish(_))) => {}
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = BACKOFF_START;
                // Connected first, then read the wanted list: a subscription added meanwhile is
                // either in the list read here or sent by the engine loop itself.
                state.on_connected();
                let wanted = setup.wanted.lock().map(|w| w.clone()).unwrap_or_default();
                if !wanted.is_empty()
                    && let Err(why) = send_subscribe(&client, &state, &wanted)
                {
                    state.connection_problem(why);
                }
                if outage_reported {
                    setup.sink.send(EngineEvent::MonitorChanged(format!(
                        "the subscriber is connected to {} again",
                        setup.label
                    )));
                }
                outage_reported = false;
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                state.subscribes_acked.fetch_add(1, Ordering::SeqCst);
                let refused = ack
                    .return_codes
                    .iter()
                    .filter(|code| matches!(code, SubscribeReasonCode::Failure))
                    .count();
                if refused > 0 {
                    let why = format!(
                        "{} refused {refused} of the subscriber's topic filters",
                        setup.label
                    );
                    state.message_problem(why.clone());
                    setup.sink.send(EngineEvent::MonitorProblem(why));
                }
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                state.connected.store(false, Ordering::SeqCst);
                return;
            }
            Ok(_) => {}
            Err(error) => {
                let was_connected = state.connected.swap(false, Ordering::SeqCst);
                let why = describe(&error);
                if is_message_problem(&error) {
                    state.message_problem(why.clone());
                } else {
                    state.connection_problem(why.clone());
                }
                if !outage_reported || is_message_problem(&error) {
                    outage_reported = true;
                    let what = if was_connected {
                        "lost its connection to"
                    } else {
                        "cannot connect to"
                    };
                    setup.sink.send(EngineEvent::MonitorProblem(format!(
                        "the subscriber {what} {}: {why}; it keeps trying",
                        setup.label
                    )));
                }
                let wait = backoff.mul_f64(rand::thread_rng().gen_range(0.8..1.2));
                backoff = (backoff * 2).min(BACKOFF_MAX);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// A received PUBLISH as the log keeps it.
fn logged(
    publish: rumqttc::Publish,
    received_at: SystemTime,
    max_payload_bytes: usize,
) -> LoggedMessage {
    let payload = if publish.payload.len() <= max_payload_bytes {
        // rumqttc's payload may be a slice of a big read buffer: copy, so the log's byte budget is
        // what it really holds. Longer payloads are cut (and copied) by the message itself.
        Bytes::copy_from_slice(&publish.payload)
    } else {
        publish.payload
    };
    LoggedMessage::new(
        received_at,
        Arc::from(publish.topic.as_str()),
        publish.qos as u8,
        publish.retain,
        payload,
        max_payload_bytes,
    )
}

fn is_message_problem(error: &ConnectionError) -> bool {
    matches!(
        error,
        ConnectionError::MqttState(StateError::Deserialization(
            rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(_)
        ))
    )
}

/// A connection failure in words a user can act on.
pub fn describe(error: &ConnectionError) -> String {
    use rumqttc::ConnectReturnCode as Code;
    use std::io::ErrorKind as K;
    match error {
        ConnectionError::MqttState(StateError::Deserialization(
            rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(size),
        )) => format!(
            "a message of {} arrived, larger than the {} the subscriber takes; it was skipped and the subscriber reconnected",
            human_bytes(*size),
            human_bytes(MAX_PACKET)
        ),
        ConnectionError::MqttState(StateError::ConnectionAborted) => {
            "the broker closed the connection".to_owned()
        }
        ConnectionError::MqttState(state) => format!("protocol error: {state}"),
        ConnectionError::ConnectionRefused(code) => match code {
            Code::BadUserNamePassword | Code::NotAuthorized => {
                "the broker refused the user name or password".to_owned()
            }
            Code::BadClientId => "the broker refused the subscriber's client id".to_owned(),
            Code::RefusedProtocolVersion => "the broker does not speak MQTT 3.1.1".to_owned(),
            _ => format!("the broker refused the connection ({code:?})"),
        },
        ConnectionError::Io(io) => match io.kind() {
            K::ConnectionRefused => {
                "connection refused: no broker is listening at that address and port".to_owned()
            }
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe => {
                "the broker closed the connection".to_owned()
            }
            K::TimedOut => "the broker did not answer (timed out)".to_owned(),
            _ => io.to_string(),
        },
        ConnectionError::NetworkTimeout => {
            format!("no answer from the broker within {CONNECT_TIMEOUT_S} s")
        }
        ConnectionError::FlushTimeout => {
            "the broker stopped reading (network too slow?)".to_owned()
        }
        ConnectionError::Tls(tls) => format!("TLS failed: {tls}"),
        other => other.to_string(),
    }
}

fn human_bytes(bytes: usize) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
