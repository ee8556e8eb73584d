//! One device's MQTT connection through rumqttc, the same shape for MQTT 3.1.1 and 5: a handle that
//! publishes without waiting, and a task that drives the connection and reports what happens.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::TlsConfiguration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::counters::GroupCounters;
use super::spec::MqttVersion;

/// Largest packet a device sends or accepts (the embedded broker allows 16 MB payloads).
const MAX_PACKET: usize = 16 * 1024 * 1024 + 1024;
/// How many publishes may wait in a device's client before further ones are skipped.
const REQUEST_QUEUE: usize = 64;
/// How long a stopping device keeps reading for acknowledgements of what it sent before its DISCONNECT
/// (shorter than the device's own wait for the goodbye).
const ACKS_AFTER_DISCONNECT: Duration = Duration::from_secs(2);
/// How long a connection attempt may take; generous, since a thousand devices connect at once.
const CONNECT_TIMEOUT_S: u64 = 30;

/// A fixed message to set as the will.
#[derive(Debug, Clone)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
}

/// Everything one connection attempt needs.
#[derive(Clone)]
pub struct SessionOptions {
    pub client_id: String,
    pub host: String,
    pub port: u16,
    pub tls: Option<TlsConfiguration>,
    pub credentials: Option<(String, String)>,
    pub keep_alive: Duration,
    pub clean_session: bool,
    pub will: Option<Will>,
    pub version: MqttVersion,
}

/// What the driving task tells the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Connected,
    /// The connection ended without the device asking: the text says why, in words.
    Lost(String),
    /// The device's DISCONNECT went out; the session ended cleanly.
    Closed,
}

/// The device's end of a connection.
pub enum Publisher {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl Publisher {
    /// Queues a publish without ever waiting; false when the client still holds earlier messages
    /// (the broker or the network is slower than the pace) or its connection has ended.
    pub fn try_publish(&self, topic: String, qos: u8, retain: bool, payload: Bytes) -> bool {
        match self {
            Publisher::V4(client) => client
                .try_publish(topic, qos_v4(qos), retain, payload.to_vec())
                .is_ok(),
            Publisher::V5(client) => client
                .try_publish(topic, qos_v5(qos), retain, payload)
                .is_ok(),
        }
    }

    /// Asks for a clean DISCONNECT (the will is not published).
    pub fn try_disconnect(&self) {
        // A full queue or a gone connection both mean the session is ending anyway.
        let _ = match self {
            Publisher::V4(client) => client.try_disconnect().is_ok(),
            Publisher::V5(client) => client.try_disconnect().is_ok(),
        };
    }
}

fn qos_v4(qos: u8) -> rumqttc::QoS {
    match qos {
        2 => rumqttc::QoS::ExactlyOnce,
        1 => rumqttc::QoS::AtLeastOnce,
        _ => rumqttc::QoS::AtMostOnce,
    }
}

fn qos_v5(qos: u8) -> rumqttc::v5::mqttbytes::QoS {
    use rumqttc::v5::mqttbytes::QoS;
    match qos {
        2 => QoS::ExactlyOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::AtMostOnce,
    }
}

/// Opens a session: returns the publishing handle and the task that drives the connection. Aborting
/// the task drops the socket without a DISCONNECT, as a device losing power would (its will fires).
pub fn open(
    options: &SessionOptions,
    counters: Arc<GroupCounters>,
    links: mpsc::Sender<Link>,
) -> (Publisher, JoinHandle<()>) {
    match options.version {
        MqttVersion::V311 => {
            let (client, mut eventloop) =
                rumqttc::AsyncClient::new(v4_options(options), REQUEST_QUEUE);
            // MQTT 3.1.1's event loop takes network options itself (5's take them in its options).
            eventloop.set_network_options(network_options());
            let driver = tokio::spawn(drive(eventloop, counters, links));
            (Publisher::V4(client), driver)
        }
        MqttVersion::V5 => {
            let (client, eventloop) =
                rumqttc::v5::AsyncClient::new(v5_options(options), REQUEST_QUEUE);
            let driver = tokio::spawn(drive(eventloop, counters, links));
            (Publisher::V5(client), driver)
        }
    }
}

fn v4_options(o: &SessionOptions) -> rumqttc::MqttOptions {
    let mut options = rumqttc::MqttOptions::new(o.client_id.clone(), o.host.clone(), o.port);
    options
        .set_keep_alive(o.keep_alive)
        .set_clean_session(o.clean_session)
        .set_max_packet_size(MAX_PACKET, MAX_PACKET);
    if let Some((user, password)) = &o.credentials {
        options.set_credentials(user.clone(), password.clone());
    }
    if let Some(will) = &o.will {
        options.set_last_will(rumqttc::LastWill::new(
            will.topic.clone(),
            will.payload.to_vec(),
            qos_v4(will.qos),
            will.retain,
        ));
    }
    if let Some(tls) = &o.tls {
        options.set_transport(rumqttc::Transport::tls_with_config(tls.clone()));
    }
    options
}

fn v5_options(o: &SessionOptions) -> rumqttc::v5::MqttOptions {
    let mut options = rumqttc::v5::MqttOptions::new(o.client_id.clone(), o.host.clone(), o.port);
    options
        .set_keep_alive(o.keep_alive)
        .set_clean_start(o.clean_session)
        .set_max_packet_size(Some(MAX_PACKET as u32))
        .set_connection_timeout(CONNECT_TIMEOUT_S)
        .set_network_options(network_options());
    if !o.clean_session {
        // Without an expiry a v5 session ends with the connection, which is not what "persistent" means.
        options.set_session_expiry_interval(Some(u32::MAX));
    }
    if let Some((user, password)) = &o.credentials {
        options.set_credentials(user.clone(), password.clone());
    }
    if let Some(will) = &o.will {
        options.set_last_will(rumqttc::v5::mqttbytes::v5::LastWill::new(
            will.topic.clone(),
            will.payload.to_vec(),
            qos_v5(will.qos),
            will.retain,
            None,
        ));
    }
    if let Some(tls) = &o.tls {
        options.set_transport(rumqttc::Transport::tls_with_config(tls.clone()));
    }
    options
}

fn network_options() -> rumqttc::NetworkOptions {
    let mut network = rumqttc::NetworkOptions::new();
    network.set_connection_timeout(CONNECT_TIMEOUT_S);
    network.set_tcp_nodelay(true);
    network
}

/// What one driver step meant for the device.
enum Step {
    Nothing,
    Connected,
    /// A PUBLISH went out; QoS 1 and 2 ones (with a packet id) wait for the broker's acknowledgement.
    Sent {
        awaits_ack: bool,
    },
    Acknowledged,
    Closed,
    Lost(String),
}

/// A connection that can be driven one step at a time; both protocol versions' event loops are one.
trait StepSource: Send + 'static {
    fn next_step(&mut self) -> impl std::future::Future<Output = Step> + Send;
}

impl StepSource for rumqttc::EventLoop {
    async fn next_step(&mut self) -> Step {
        use rumqttc::{Event, Outgoing, Packet};
        match self.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => Step::Connected,
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => Step::Sent {
                awaits_ack: pkid != 0,
            },
            Ok(Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_))) => Step::Acknowledged,
            Ok(Event::Outgoing(Outgoing::Disconnect)) => Step::Closed,
            Ok(_) => Step::Nothing,
            Err(err) => Step::Lost(describe_v4_error(&err)),
        }
    }
}

impl StepSource for rumqttc::v5::EventLoop {
    async fn next_step(&mut self) -> Step {
        use rumqttc::Outgoing;
        use rumqttc::v5::Event;
        use rumqttc::v5::mqttbytes::v5::Packet;
        match self.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => Step::Connected,
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => Step::Sent {
                awaits_ack: pkid != 0,
            },
            Ok(Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_))) => Step::Acknowledged,
            Ok(Event::Outgoing(Outgoing::Disconnect)) => Step::Closed,
            Ok(_) => Step::Nothing,
            Err(err) => Step::Lost(describe_v5_error(&err)),
        }
    }
}

/// Drives a connection until it ends, counting sends and acknowledgements as they happen.
async fn drive(
    mut source: impl StepSource,
    counters: Arc<GroupCounters>,
    links: mpsc::Sender<Link>,
) {
    let mut awaiting_acks: u64 = 0;
    loop {
        let step = source.next_step().await;
        match step {
            Step::Sent { awaits_ack: true } => awaiting_acks += 1,
            Step::Acknowledged => awaiting_acks = awaiting_acks.saturating_sub(1),
            _ => {}
        }
        if matches!(step, Step::Closed) && awaiting_acks > 0 {
            // The broker acknowledges what came before the DISCONNECT before it closes: a clean stop
            // counts those acknowledgements instead of leaving them unread.
            let _ = tokio::time::timeout(ACKS_AFTER_DISCONNECT, async {
                while awaiting_acks > 0 {
                    match source.next_step().await {
                        Step::Acknowledged => {
                            awaiting_acks -= 1;
                            counters.acknowledged.fetch_add(1, Ordering::Relaxed);
                        }
                        Step::Lost(_) | Step::Closed => break,
                        _ => {}
                    }
                }
            })
            .await;
        }
        if !report(step, &counters, &links).await {
            break;
        }
    }
}

/// Counts a step and tells the device about connection changes; false ends the driver.
async fn report(step: Step, counters: &GroupCounters, links: &mpsc::Sender<Link>) -> bool {
    match step {
        Step::Nothing => true,
        Step::Sent { .. } => {
            counters.sent.fetch_add(1, Ordering::Relaxed);
            true
        }
        Step::Acknowledged => {
            counters.acknowledged.fetch_add(1, Ordering::Relaxed);
            true
        }
        Step::Connected => links.send(Link::Connected).await.is_ok(),
        Step::Closed => {
            let _ = links.send(Link::Closed).await;
            false
        }
        Step::Lost(why) => {
            // The device decides when to try again (with backoff, perhaps to a new address).
            let _ = links.send(Link::Lost(why)).await;
            false
        }
    }
}

fn describe_v4_error(err: &rumqttc::ConnectionError) -> String {
    use rumqttc::{ConnectReturnCode as Code, ConnectionError as E};
    match err {
        E::ConnectionRefused(code) => match code {
            Code::BadUserNamePassword | Code::NotAuthorized => {
                "the broker refused the user name or password".to_owned()
            }
            Code::BadClientId => "the broker refused the client id".to_owned(),
            Code::ServiceUnavailable => "the broker is not available right now".to_owned(),
            Code::RefusedProtocolVersion => {
                "the broker does not speak MQTT 3.1.1: try MQTT 5".to_owned()
            }
            Code::Success => "the broker answered oddly".to_owned(),
        },
        E::Io(io) => describe_io(io),
        E::NetworkTimeout => format!("no answer from the broker within {CONNECT_TIMEOUT_S} s"),
        E::FlushTimeout => "the broker stopped reading (network too slow?)".to_owned(),
        E::MqttState(state) => describe_state(&state.to_string()),
        E::Tls(tls) => format!("TLS failed: {tls}"),
        other => other.to_string(),
    }
}

fn describe_v5_error(err: &rumqttc::v5::ConnectionError) -> String {
    use rumqttc::v5::ConnectionError as E;
    match err {
        E::ConnectionRefused(code) => format!("the broker refused the connection ({code:?})"),
        E::Io(io) => describe_io(io),
        E::Timeout(_) => format!("no answer from the broker within {CONNECT_TIMEOUT_S} s"),
        E::MqttState(state) => describe_state(&state.to_string()),
        E::Tls(tls) => format!("TLS failed: {tls}"),
        other => other.to_string(),
    }
}

fn describe_io(io: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match io.kind() {
        K::ConnectionRefused => {
            "connection refused: no broker is listening at that address and port".to_owned()
        }
        K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe => {
            "the broker closed the connection".to_owned()
        }
        K::TimedOut => "the broker did not answer (timed out)".to_owned(),
        K::AddrNotAvailable | K::NotFound => format!("the broker's address is unknown ({io})"),
        _ => io.to_string(),
    }
}

fn describe_state(text: &str) -> String {
    if text.contains("aborted") || text.contains("Aborted") {
        "the broker closed the connection".to_owned()
    } else {
        format!("protocol error: {text}")
    }
}
