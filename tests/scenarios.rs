//! The shipped scenarios load and run headless: through the engine, and through `mqtt-playground serve --scenario`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mqtt_playground::engine::fleet::FleetCommand;
use mqtt_playground::engine::{BrokerSettings, Command, Engine};
use mqtt_playground::scenario::Scenario;
use rumqttc::QoS;

fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/scenarios")
        .join(name)
}

/// Runs a shipped scenario on OS-chosen ports until every device is connected and `messages` arrived.
fn run_headless(name: &str, messages: usize, patience: Duration) -> Vec<Received> {
    let scenario = Scenario::open(&scenario_path(name)).expect("the scenario opens");
    let devices: u32 = scenario.groups.iter().map(|g| g.count).sum();
    let engine = Engine::start().unwrap();
    let info = engine
        .start_broker_blocking(BrokerSettings::loopback_any_port())
        .unwrap();
    let (sub, mut conn) = v4_client(info.tcp, "scenario-watcher", |_| {});
    sub.subscribe("#", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut conn);
    engine
        .call(
            Command::Fleet(FleetCommand::Replace {
                target: scenario.target,
                groups: scenario.groups,
                start: true,
            }),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + patience;
    let mut got = Vec::new();
    loop {
        let connected: u32 = engine
            .snapshot()
            .fleet
            .groups
            .iter()
            .map(|g| g.connected)
            .sum();
        if connected == devices {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: only {connected} of {devices} devices connected"
        );
        // Keep the subscriber's connection served (and what it receives) while waiting.
        got.extend(receive_v4_for(&mut conn, Duration::from_millis(100)));
    }
    let wanted = messages.saturating_sub(got.len());
    got.extend(receive_v4(&mut conn, wanted));
    assert!(got.len() >= messages, "{name}: messages arrived");
    got
}

#[test]
fn tutorial_publishes_device_n_data_i_to_slash_data() {
    let got = run_headless("tutorial.toml", 2, PATIENCE);
    for message in got {
        assert_eq!(message.topic, "/data");
        let text = String::from_utf8(message.payload).unwrap();
        let (device, data) = text.split_once(" : Data ").expect("Device N : Data i");
        assert!(matches!(device, "Device 1" | "Device 2"), "{text}");
        assert!(data.parse::<u64>().is_ok(), "{text}");
    }
}

#[test]
fn smart_building_sends_json_and_retained_status() {
    let got = run_headless("smart-building.toml", 120, Duration::from_secs(60));
    let statuses = got.iter().filter(|m| m.topic.ends_with("/status")).count();
    assert!(statuses > 0, "status topics are announced");
    for message in got.iter().filter(|m| m.topic.ends_with("/telemetry")) {
        let json: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
        for field in ["room", "temperature", "humidity", "occupancy", "ts"] {
            assert!(json.get(field).is_some(), "{field} in {json}");
        }
    }
}

#[test]
fn stress_connects_a_thousand_devices() {
    let got = run_headless("stress.toml", 2000, Duration::from_secs(120));
    assert!(got.iter().all(|m| m.topic.starts_with("stress/device-")));
}

#[test]
fn serve_runs_a_scenario_and_stops_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--no-websocket",
            "--port",
            &port.to_string(),
            "--scenario",
        ])
        .arg(scenario_path("tutorial.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + PATIENCE;
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve says it runs the scenario");
        if line.contains("running 1 device groups") {
            break;
        }
    }
    let (sub, mut conn) = v4_client(([127, 0, 0, 1], port).into(), "serve-watcher", |_| {});
    sub.subscribe("/data", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut conn);
    let got = receive_v4(&mut conn, 1);
    assert_eq!(got.len(), 1, "the tutorial devices publish");
    let status = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "serve exits cleanly on SIGTERM: {exit:?}");
    reader.join().unwrap();
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(rest.iter().any(|l| l == "stopped"), "{rest:?}");
}

#[test]
fn serve_refuses_a_bad_scenario_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("mqtt-playground-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[group]]\nname = \"x\"\ncount = 5\ntopic = \"a/+\"\npayload = \"p\"\nevery = \"1s\"\n",
    )
    .unwrap();
    let output = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args(["serve", "--scenario"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("group 1 (\"x\"): topic"), "{stderr}");
}
