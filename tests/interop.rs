//! Interop: Python paho-mqtt 1.6.1 and 2.x (MQTT 3.1, 3.1.1 and 5) and mosquitto_pub/sub (3.1.1 and 5),
//! all through the embedded broker's one TCP port.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tools::{available, on_path, venv_python};
use common::*;
use rumqttc::QoS;

const PAHO_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/paho_roundtrip.py"
);

/// Runs the paho round trip and checks that an independent rumqttc subscriber saw the message too.
fn paho_round_trip(python: &Path, port_owner: &common::Broker, protocol: &str, tag: &str) {
    let (watcher, mut watcher_conn) =
        v4_client(port_owner.info.tcp, &format!("watch-{tag}"), |_| {});
    watcher
        .subscribe(format!("interop/{tag}"), QoS::AtLeastOnce)
        .unwrap();
    wait_v4_suback(&mut watcher_conn);
    let output = Command::new(python)
        .arg(PAHO_SCRIPT)
        .arg(port_owner.info.tcp.port().to_string())
        .arg(protocol)
        .arg(tag)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "paho ({tag}) failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let seen = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        seen.first().map(|r| r.payload.clone()),
        Some(format!("hello from paho {tag}").into_bytes()),
        "the rumqttc watcher saw paho's message"
    );
}

#[test]
fn paho_1_6_speaks_mqtt_3_1_3_1_1_and_5_through_the_one_port() {
    let Some(python) = venv_python("paho1") else {
        available(
            "paho-mqtt 1.6.1 (venv target/interop/paho1)",
            false,
            "run .ci/run, which makes it with pip",
        );
        return;
    };
    let broker = common::Broker::start();
    for (protocol, tag) in [("31", "p1-31"), ("311", "p1-311"), ("5", "p1-5")] {
        paho_round_trip(&python, &broker, protocol, tag);
    }
}

#[test]
fn paho_2_speaks_mqtt_3_1_1_and_5_through_the_one_port() {
    let Some(python) = venv_python("paho2") else {
        available(
            "paho-mqtt 2.x (venv target/interop/paho2)",
            false,
            "run .ci/run, which makes it with pip",
        );
        return;
    };
    let broker = common::Broker::start();
    for (protocol, tag) in [("311", "p2-311"), ("5", "p2-5")] {
        paho_round_trip(&python, &broker, protocol, tag);
    }
}

/// mosquitto_sub with one protocol version receives what mosquitto_pub sends with the other.
fn mosquitto_cross(port: u16, sub_version: &str, pub_version: &str) {
    let topic = format!("interop/mosquitto/{sub_version}-{pub_version}");
    let message = format!("mosquitto {pub_version} to {sub_version}");
    let sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-V",
            sub_version,
        ])
        .args([
            "-i",
            &format!("mosq-sub-{sub_version}"),
            "-t",
            &topic,
            "-q",
            "1",
            "-C",
            "1",
            "-W",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mosquitto_sub runs");
    // The subscriber's SUBSCRIBE may still be on its way: publish until it has its message (bounded).
    let deadline = Instant::now() + PATIENCE;
    let mut sub = sub;
    loop {
        let status = Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-V",
                pub_version,
            ])
            .args([
                "-i",
                &format!("mosq-pub-{pub_version}"),
                "-t",
                &topic,
                "-q",
                "1",
                "-m",
                &message,
            ])
            .status()
            .expect("mosquitto_pub runs");
        assert!(
            status.success(),
            "mosquitto_pub -V {pub_version} failed to publish"
        );
        if sub.try_wait().expect("poll mosquitto_sub").is_some() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let output = sub.wait_with_output().expect("mosquitto_sub ends");
    assert!(
        output.status.success(),
        "mosquitto_sub -V {sub_version} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), message);
}

#[test]
fn mosquitto_clients_speak_3_1_1_and_5_through_the_one_port() {
    let found = on_path("mosquitto_pub").is_some() && on_path("mosquitto_sub").is_some();
    if !available(
        "mosquitto_pub/mosquitto_sub",
        found,
        "apt-get install mosquitto-clients",
    ) {
        return;
    }
    let broker = common::Broker::start();
    let port = broker.info.tcp.port();
    mosquitto_cross(port, "5", "311");
    mosquitto_cross(port, "311", "5");
    mosquitto_cross(port, "mqttv31", "mqttv311");
}

#[test]
fn paho_over_websocket_speaks_3_1_1_and_5_through_the_one_websocket_port() {
    let Some(python) = venv_python("paho2") else {
        available(
            "paho-mqtt 2.x (venv target/interop/paho2)",
            false,
            "run .ci/run, which makes it with pip",
        );
        return;
    };
    let broker = common::Broker::start();
    let ws = broker
        .info
        .websocket
        .expect("the WebSocket port is on by default");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/paho_websocket.py"
    );
    for protocol in ["311", "5"] {
        let output = Command::new(&python)
            .arg(script)
            .arg(ws.port().to_string())
            .arg(protocol)
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "paho over WebSocket ({protocol}) failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The broker's own view saw them arrive over WebSocket.
    let saw_websocket = std::iter::from_fn(|| broker.engine.events().try_next()).any(|e| {
        matches!(
            e,
            mqtt_playground::engine::Event::ClientConnected {
                transport: mqtt_playground::engine::Transport::WebSocket,
                ..
            }
        )
    });
    assert!(saw_websocket, "a WebSocket client was reported");
}
