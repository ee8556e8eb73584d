//! Shared test helpers: an engine with a real broker on OS-chosen loopback ports, and real MQTT clients.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mqtt_playground::engine::{BrokerSettings, Engine, RunningInfo, Snapshot};
use rumqttc::{Client, Connection, Event, MqttOptions, Packet, QoS};

/// Generous bound for anything that should happen "soon" on a busy 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// An engine whose broker listens on loopback ports the OS chose.
pub fn running_broker() -> (Engine, RunningInfo) {
    running_broker_with(BrokerSettings::loopback_any_port())
}

pub fn running_broker_with(settings: BrokerSettings) -> (Engine, RunningInfo) {
    let engine = Engine::start().expect("engine starts");
    let info = engine
        .start_broker_blocking(settings)
        .expect("broker starts");
    (engine, info)
}

/// Restarts the engine's broker on new OS-chosen ports; returns where it listens now.
pub fn restart_on_new_ports(engine: &Engine) -> SocketAddr {
    engine
        .call(
            mqtt_playground::engine::Command::RestartBroker(BrokerSettings::loopback_any_port()),
            PATIENCE,
        )
        .expect("the engine answers")
        .expect("the broker restarts");
    match &engine.snapshot().broker {
        mqtt_playground::engine::BrokerStatus::Running(info) => info.tcp,
        other => panic!("expected a running broker after the restart, got {other:?}"),
    }
}

/// Waits (bounded) until the engine's snapshot satisfies `check`.
pub fn wait_for_snapshot(engine: &Engine, what: &str, check: impl Fn(&Snapshot) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if check(&engine.snapshot()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "timed out waiting for: {what}; last snapshot: {:?}",
        engine.snapshot()
    );
}

/// A connected MQTT 3.1.1 client; the connection is driven by the test through `Connection`.
pub fn v4_client(
    addr: SocketAddr,
    id: &str,
    configure: impl FnOnce(&mut MqttOptions),
) -> (Client, Connection) {
    let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    configure(&mut options);
    let (client, mut connection) = Client::new(options, 100);
    wait_v4_connack(&mut connection).expect("v4 client connects");
    (client, connection)
}

/// Drives a v4 connection until CONNACK; the error is what the broker or network said.
// rumqttc's error type is large; boxing it would only make the tests' matches noisier.
#[allow(clippy::result_large_err)]
pub fn wait_v4_connack(connection: &mut Connection) -> Result<(), rumqttc::ConnectionError> {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        match connection.recv_timeout(Duration::from_millis(500)) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => return Ok(()),
            Ok(Ok(_)) => {}
            Ok(Err(err)) => return Err(err),
            Err(_) => {}
        }
    }
    panic!("no CONNACK within {PATIENCE:?}");
}

/// A received message, the same shape for both protocol versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

/// Drives a v4 connection until `count` publishes arrived (bounded).
pub fn receive_v4(connection: &mut Connection, count: usize) -> Vec<Received> {
    let mut out = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while out.len() < count && Instant::now() < deadline {
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(Event::Incoming(Packet::Publish(p)))) => out.push(Received {
                topic: p.topic.clone(),
                payload: p.payload.to_vec(),
                retain: p.retain,
            }),
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(err)) => panic!("subscriber lost its connection: {err}"),
        }
    }
    out
}

/// Everything a v4 connection receives within `span` (for "nothing more arrives" checks and for
/// keeping a subscriber served while a test waits on something else).
pub fn receive_v4_for(connection: &mut Connection, span: Duration) -> Vec<Received> {
    let until = Instant::now() + span;
    let mut out = Vec::new();
    while Instant::now() < until {
        if let Ok(Ok(Event::Incoming(Packet::Publish(p)))) =
            connection.recv_timeout(Duration::from_millis(20))
        {
            out.push(Received {
                topic: p.topic.clone(),
                payload: p.payload.to_vec(),
                retain: p.retain,
            });
        }
    }
    out
}

/// Drives a v4 connection until the broker acknowledged a subscription.
pub fn wait_v4_suback(connection: &mut Connection) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if let Ok(Ok(Event::Incoming(Packet::SubAck(_)))) =
            connection.recv_timeout(Duration::from_millis(200))
        {
            return;
        }
    }
    panic!("no SUBACK within {PATIENCE:?}");
}

/// Drives a v4 connection until the broker acknowledged `count` QoS 1 publishes.
pub fn wait_v4_pubacks(connection: &mut Connection, count: usize) {
    let deadline = Instant::now() + PATIENCE;
    let mut acked = 0;
    while acked < count && Instant::now() < deadline {
        if let Ok(Ok(Event::Incoming(Packet::PubAck(_)))) =
            connection.recv_timeout(Duration::from_millis(200))
        {
            acked += 1;
        }
    }
    assert_eq!(acked, count, "PUBACKs within {PATIENCE:?}");
}

/// Disconnects a v4 client cleanly: drives its connection only until the DISCONNECT went out (or the
/// connection ended). Driving it further would make rumqttc connect again on its own, and a client
/// with a persistent session would then take the messages queued for it.
pub fn disconnect_v4(client: &Client, connection: &mut Connection) {
    client.disconnect().expect("disconnect queued");
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect))) | Ok(Err(_)) => return,
            _ => {}
        }
    }
    panic!("the DISCONNECT did not go out within {PATIENCE:?}");
}

/// Drives a v4 connection for a while so queued requests go out (and acks come back). Not after a
/// disconnect (see [`disconnect_v4`]).
pub fn pump_v4(connection: &mut Connection, for_at_least: Duration) {
    let until = Instant::now() + for_at_least;
    while Instant::now() < until {
        let _ = connection.recv_timeout(Duration::from_millis(50));
    }
}

pub mod logs;
pub mod process;
pub mod raw;
pub mod trace;
pub mod window;
pub mod witness;

pub mod v5 {
    use super::*;
    use rumqttc::v5::mqttbytes::v5::Packet as Packet5;
    use rumqttc::v5::{
        Client as Client5, Connection as Connection5, Event as Event5, MqttOptions as Options5,
    };

    pub fn client(
        addr: SocketAddr,
        id: &str,
        configure: impl FnOnce(&mut Options5),
    ) -> (Client5, Connection5) {
        let mut options = Options5::new(id, addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(30));
        configure(&mut options);
        let (client, mut connection) = Client5::new(options, 100);
        let deadline = Instant::now() + PATIENCE;
        loop {
            assert!(
                Instant::now() < deadline,
                "no v5 CONNACK within {PATIENCE:?}"
            );
            match connection.recv_timeout(Duration::from_millis(500)) {
                Ok(Ok(Event5::Incoming(Packet5::ConnAck(_)))) => break,
                Ok(Err(err)) => panic!("v5 client could not connect: {err}"),
                _ => {}
            }
        }
        (client, connection)
    }

    /// [`super::disconnect_v4`] for a v5 client.
    pub fn disconnect(client: &Client5, connection: &mut Connection5) {
        client.disconnect().expect("disconnect queued");
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            match connection.recv_timeout(Duration::from_millis(200)) {
                Ok(Ok(Event5::Outgoing(rumqttc::Outgoing::Disconnect))) | Ok(Err(_)) => {
                    return;
                }
                _ => {}
            }
        }
        panic!("the DISCONNECT did not go out within {PATIENCE:?}");
    }

    pub fn wait_suback(connection: &mut Connection5) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Ok(Event5::Incoming(Packet5::SubAck(_)))) =
                connection.recv_timeout(Duration::from_millis(200))
            {
                return;
            }
        }
        panic!("no v5 SUBACK within {PATIENCE:?}");
    }

    pub fn receive(connection: &mut Connection5, count: usize) -> Vec<Received> {
        receive_publishes(connection, count)
            .into_iter()
            .map(|p| Received {
                topic: String::from_utf8_lossy(&p.topic).into_owned(),
                payload: p.payload.to_vec(),
                retain: p.retain,
            })
            .collect()
    }

    /// The next `count` PUBLISHes as they came, properties and all (bounded).
    pub fn receive_publishes(
        connection: &mut Connection5,
        count: usize,
    ) -> Vec<rumqttc::v5::mqttbytes::v5::Publish> {
        let mut out = Vec::new();
        let deadline = Instant::now() + PATIENCE;
        while out.len() < count && Instant::now() < deadline {
            match connection.recv_timeout(Duration::from_millis(200)) {
                Ok(Ok(Event5::Incoming(Packet5::Publish(p)))) => out.push(p),
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(err)) => panic!("v5 subscriber lost its connection: {err}"),
            }
        }
        out
    }

    /// A v5 will's properties: a content type and user properties, nothing else.
    pub fn will_properties(
        content_type: &str,
        user_properties: &[(&str, &str)],
    ) -> rumqttc::v5::mqttbytes::v5::LastWillProperties {
        rumqttc::v5::mqttbytes::v5::LastWillProperties {
            delay_interval: None,
            payload_format_indicator: None,
            message_expiry_interval: None,
            content_type: Some(content_type.into()),
            response_topic: None,
            correlation_data: None,
            user_properties: user_properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    pub fn pump(connection: &mut Connection5, for_at_least: Duration) {
        let until = Instant::now() + for_at_least;
        while Instant::now() < until {
            let _ = connection.recv_timeout(Duration::from_millis(50));
        }
    }
}

pub fn qos_all() -> [QoS; 3] {
    [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
}

/// Outside tools (python paho-mqtt, mosquitto clients): under `CI=true` a missing tool fails the
/// test; elsewhere the test says plainly that it was skipped and why.
pub mod tools {
    use std::path::PathBuf;

    pub fn under_ci() -> bool {
        std::env::var("CI").map(|v| v == "true").unwrap_or(false)
    }

    /// Returns false (after saying so) when the tool is missing outside CI; panics under CI.
    pub fn available(what: &str, found: bool, how_to_get: &str) -> bool {
        if found {
            return true;
        }
        if under_ci() {
            panic!(
                "{what} is missing, and under CI=true every interop tool must be there: {how_to_get}"
            );
        }
        eprintln!(
            "SKIPPED: {what} is not installed, so this interop test did not run ({how_to_get})"
        );
        false
    }

    /// An executable on PATH.
    pub fn on_path(name: &str) -> Option<PathBuf> {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    }

    /// The python of a venv `.ci/run` makes under target/interop.
    pub fn venv_python(venv: &str) -> Option<PathBuf> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/interop")
            .join(venv)
            .join("bin/python");
        path.is_file().then_some(path)
    }
}

/// An engine with a running broker, kept together so tests hold both.
pub struct Broker {
    pub engine: Engine,
    pub info: RunningInfo,
}

impl Broker {
    pub fn start() -> Self {
        let (engine, info) = running_broker();
        Self { engine, info }
    }
}

/// Sends SIGTERM to a `serve` (or window) process and asserts it exits cleanly within `PATIENCE`.
pub fn stop_with_sigterm(child: &mut std::process::Child) {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the process can be waited for") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the process exits cleanly: {status:?}");
}

/// A JSON Lines file read back, one value per line (each line must be JSON).
pub fn read_json_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("the file can be read")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}
