//! The device fleet against the real embedded broker (and a real Mosquitto), watched by a real subscriber over TCP.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::*;
use mqtt_playground::engine::fleet::{
    FixedMessage, FleetCommand, GroupId, GroupSpec, GroupStatus, RunState,
};
use mqtt_playground::engine::{Command, Engine};
use rumqttc::QoS;

fn fleet(engine: &Engine, command: FleetCommand) {
    engine
        .call(Command::Fleet(command), PATIENCE)
        .expect("the engine answers")
        .expect("the fleet takes the command");
}

fn group(engine: &Engine, name: &str) -> GroupStatus {
    engine
        .snapshot()
        .fleet
        .groups
        .iter()
        .find(|g| g.spec.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no group {name}"))
}

fn add_group(engine: &Engine, spec: GroupSpec) -> GroupId {
    let name = spec.name.clone();
    fleet(engine, FleetCommand::AddGroup(spec));
    group(engine, &name).id
}

fn wait_connected(engine: &Engine, name: &str, count: u32) {
    wait_for_snapshot(
        engine,
        &format!("{count} devices of {name} connected"),
        |s| {
            s.fleet
                .groups
                .iter()
                .any(|g| g.spec.name == name && g.connected == count)
        },
    );
}

fn telemetry_group(name: &str, count: u32) -> GroupSpec {
    GroupSpec {
        name: name.to_owned(),
        count,
        topic: "lab/{group}/device-{n}/telemetry".to_owned(),
        payload:
            r#"{"device": {{index}}, "seq": {{counter}}, "temperature": {{float(18, 26, 1)}}}"#
                .to_owned(),
        format: mqtt_playground::engine::template::PayloadFormat::Json,
        every: Some(Duration::from_millis(100)),
        ..GroupSpec::default()
    }
}

/// Receives until `count` messages arrived or the patience ran out.
fn collect(connection: &mut rumqttc::Connection, count: usize) -> Vec<Received> {
    receive_v4(connection, count)
}

#[test]
fn a_group_delivers_its_topics_and_payload_shapes() {
    let broker = Broker::start();
    let (sub, mut sub_conn) = v4_client(broker.info.tcp, "watcher", |_| {});
    sub.subscribe("lab/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);

    let id = add_group(&broker.engine, telemetry_group("shapes", 4));
    fleet(&broker.engine, FleetCommand::Start(Some(id)));
    let got = collect(&mut sub_conn, 40);
    assert_eq!(got.len(), 40, "forty messages arrived");
    let mut per_device: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for message in &got {
        let json: serde_json::Value =
            serde_json::from_slice(&message.payload).expect("payloads are JSON");
        let device = json["device"].as_i64().expect("device is a number");
        assert_eq!(
            message.topic,
            format!("lab/shapes/device-{device}/telemetry"),
            "each device publishes to its own topic"
        );
        let temperature = json["temperature"]
            .as_f64()
            .expect("temperature is a number");
        assert!((18.0..=26.0).contains(&temperature), "{temperature}");
        per_device
            .entry(message.topic.clone())
            .or_default()
            .push(json["seq"].as_i64().expect("seq is a number"));
    }
    assert_eq!(
        per_device.len(),
        4,
        "all four devices published: {per_device:?}"
    );
    for (topic, seqs) in per_device {
        let expected: Vec<i64> = (0..seqs.len() as i64).collect();
        assert_eq!(seqs, expected, "{topic} counts from 0 without gaps");
    }
    let status = group(&broker.engine, "shapes");
    assert_eq!(status.run, RunState::Running);
    assert_eq!(status.connected, 4);
}

#[test]
fn qos1_at_a_modest_rate_loses_nothing() {
    let broker = Broker::start();
    let (sub, mut sub_conn) = v4_client(broker.info.tcp, "qos1-watcher", |_| {});
    sub.subscribe("lab/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);

    let spec = GroupSpec {
        qos: 1,
        every: Some(Duration::from_millis(50)),
        ..telemetry_group("reliable", 5)
    };
    let id = add_group(&broker.engine, spec);
    fleet(&broker.engine, FleetCommand::Start(Some(id)));
    let mut got = collect(&mut sub_conn, 200);
    fleet(&broker.engine, FleetCommand::Stop(Some(id)));
    wait_for_snapshot(&broker.engine, "devices gone", |s| s.clients.len() == 1);
    let status = group(&broker.engine, "reliable");
    assert!(status.sent >= 200);
    // Everything the devices sent before they stopped reaches the subscriber, exactly once.
    let rest = (status.sent as usize).saturating_sub(got.len());
    got.extend(collect(&mut sub_conn, rest));
    assert_eq!(got.len() as u64, status.sent, "every message sent arrived");
    assert_eq!(
        status.acknowledged, status.sent,
        "the broker acknowledged each"
    );
    let mut seqs: HashMap<String, Vec<i64>> = HashMap::new();
    for message in &got {
        let json: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
        seqs.entry(message.topic.clone())
            .or_default()
            .push(json["seq"].as_i64().unwrap());
    }
    for (topic, mut list) in seqs {
        list.sort();
        let expected: Vec<i64> = (0..list.len() as i64).collect();
        assert_eq!(list, expected, "{topic}: no message lost or doubled");
    }
}

#[test]
fn killing_a_device_delivers_its_last_will() {
    let broker = Broker::start();
    let (sub, mut sub_conn) = v4_client(broker.info.tcp, "will-watcher", |_| {});
    sub.subscribe("lab/+/status", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);

    let spec = GroupSpec {
        will: Some(FixedMessage {
            topic: "lab/{client_id}/status".to_owned(),
            payload: "offline".to_owned(),
            qos: 1,
            retain: false,
        }),
        birth: Some(FixedMessage {
            topic: "lab/{client_id}/status".to_owned(),
            payload: "online".to_owned(),
            qos: 1,
            retain: false,
        }),
        every: Some(Duration::from_secs(5)),
        ..telemetry_group("mortal", 3)
    };
    let id = add_group(&broker.engine, spec);
    fleet(&broker.engine, FleetCommand::Start(Some(id)));
    let births = collect(&mut sub_conn, 3);
    assert_eq!(births.len(), 3, "each device announced itself");
    assert!(births.iter().all(|m| m.payload == b"online"));

    fleet(&broker.engine, FleetCommand::Kill(id, 2));
    let will = collect(&mut sub_conn, 1);
    assert_eq!(
        will,
        vec![Received {
            topic: "lab/mortal-2/status".to_owned(),
            payload: b"offline".to_vec(),
            retain: false,
        }],
        "the killed device's will arrived"
    );
    wait_for_snapshot(&broker.engine, "device 2 shown killed", |s| {
        s.fleet.groups[0].killed == 1 && s.fleet.groups[0].connected == 2
    });

    fleet(&broker.engine, FleetCommand::Reconnect(id, 2));
    let back = collect(&mut sub_conn, 1);
    assert_eq!(
        back.first().map(|m| m.payload.clone()),
        Some(b"online".to_vec())
    );
    wait_connected(&broker.engine, "mortal", 3);

    // A clean stop sends DISCONNECT: no will.
    fleet(&broker.engine, FleetCommand::Stop(Some(id)));
    wait_for_snapshot(&broker.engine, "only the watcher left", |s| {
        s.clients.len() == 1
    });
    let after_stop = receive_v4_for(&mut sub_conn, Duration::from_secs(1));
    assert!(
        after_stop.is_empty(),
        "a clean stop fires no will: {after_stop:?}"
    );
}

#[test]
fn stop_leaves_no_connected_client_and_start_all_brings_them_back() {
    let broker = Broker::start();
    let a = add_group(&broker.engine, telemetry_group("alpha", 10));
    add_group(
        &broker.engine,
        GroupSpec {
            protocol: mqtt_playground::engine::fleet::MqttVersion::V5,
            ..telemetry_group("beta", 5)
        },
    );
    fleet(&broker.engine, FleetCommand::Start(None));
    wait_connected(&broker.engine, "alpha", 10);
    wait_connected(&broker.engine, "beta", 5);
    wait_for_snapshot(&broker.engine, "15 clients at the broker", |s| {
        s.clients.len() == 15
    });
    let snapshot = broker.engine.snapshot();
    assert_eq!(
        snapshot
            .clients
            .iter()
            .filter(|c| c.version == mqtt_playground::engine::ProtocolVersion::V5)
            .count(),
        5,
        "beta speaks MQTT 5"
    );
    fleet(&broker.engine, FleetCommand::Stop(None));
    wait_for_snapshot(&broker.engine, "no client left", |s| s.clients.is_empty());
    assert!(
        broker
            .engine
            .snapshot()
            .fleet
            .groups
            .iter()
            .all(|g| g.run == RunState::Stopped && g.connected == 0)
    );
    fleet(&broker.engine, FleetCommand::Start(Some(a)));
    wait_for_snapshot(&broker.engine, "alpha back", |s| s.clients.len() == 10);
}

#[test]
fn live_edits_change_the_count_and_a_rejected_edit_changes_nothing() {
    let broker = Broker::start();
    let id = add_group(&broker.engine, telemetry_group("elastic", 3));
    fleet(&broker.engine, FleetCommand::Start(Some(id)));
    wait_connected(&broker.engine, "elastic", 3);

    let grown = GroupSpec {
        count: 8,
        ..telemetry_group("elastic", 3)
    };
    fleet(&broker.engine, FleetCommand::UpdateGroup(id, grown.clone()));
    wait_connected(&broker.engine, "elastic", 8);
    wait_for_snapshot(&broker.engine, "8 clients", |s| s.clients.len() == 8);

    let bad = GroupSpec {
        topic: "lab/+/oops".to_owned(),
        ..grown.clone()
    };
    let outcome = broker
        .engine
        .call(Command::Fleet(FleetCommand::UpdateGroup(id, bad)), PATIENCE)
        .unwrap();
    let message = outcome.expect_err("a wildcard topic is refused");
    assert!(message.contains("topic"), "{message}");
    let status = group(&broker.engine, "elastic");
    assert_eq!(
        status.spec,
        grown.compile().unwrap().spec,
        "the running spec is untouched"
    );
    assert_eq!(status.run, RunState::Running);

    fleet(
        &broker.engine,
        FleetCommand::UpdateGroup(id, GroupSpec { count: 2, ..grown }),
    );
    wait_for_snapshot(&broker.engine, "2 clients", |s| s.clients.len() == 2);
    assert_eq!(group(&broker.engine, "elastic").connected, 2);
}

#[test]
fn devices_wait_for_the_broker_and_follow_it_to_a_new_port() {
    let engine = Engine::start().unwrap();
    let id = add_group(&engine, telemetry_group("patient", 2));
    fleet(&engine, FleetCommand::Start(Some(id)));
    let snapshot = engine.snapshot();
    assert!(
        snapshot.fleet.target_note.is_some(),
        "says the broker is not running"
    );
    assert_eq!(snapshot.fleet.groups[0].connected, 0);
    let info = engine
        .start_broker_blocking(mqtt_playground::engine::BrokerSettings::loopback_any_port())
        .unwrap();
    wait_connected(&engine, "patient", 2);
    let moved = restart_on_new_ports(&engine);
    assert_ne!(moved, info.tcp);
    wait_connected(&engine, "patient", 2);
    wait_for_snapshot(&engine, "devices at the new port", |s| s.clients.len() == 2);
}

#[test]
fn pause_keeps_devices_connected_but_silent_and_resume_brings_messages_back() {
    let broker = Broker::start();
    let (sub, mut sub_conn) = v4_client(broker.info.tcp, "pause-watcher", |_| {});
    sub.subscribe("lab/#", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    let id = add_group(&broker.engine, telemetry_group("sleepy", 2));
    fleet(&broker.engine, FleetCommand::Start(Some(id)));
    assert_eq!(collect(&mut sub_conn, 4).len(), 4, "messages flow");

    fleet(&broker.engine, FleetCommand::Pause(id, true));
    let paused_at = group(&broker.engine, "sleepy").sent;
    // Whatever was already on its way drains; after that nothing more is sent.
    let _ = receive_v4_for(&mut sub_conn, Duration::from_millis(300));
    let settled = group(&broker.engine, "sleepy").sent;
    assert!(
        settled <= paused_at + 2,
        "at most the sends in flight: {paused_at} -> {settled}"
    );
    let quiet = receive_v4_for(&mut sub_conn, Duration::from_secs(1));
    assert!(
        quiet.is_empty(),
        "a paused group publishes nothing: {quiet:?}"
    );
    let status = group(&broker.engine, "sleepy");
    assert_eq!(status.run, RunState::Paused);
    assert_eq!(status.connected, 2, "paused devices stay connected");
    assert_eq!(status.sent, settled);

    fleet(&broker.engine, FleetCommand::Pause(id, false));
    assert_eq!(collect(&mut sub_conn, 4).len(), 4, "messages flow again");
}

#[test]
fn groups_that_would_share_client_ids_and_kills_of_unconnected_devices_are_refused() {
    let engine = Engine::start().unwrap();
    let shared = |name: &str| GroupSpec {
        client_id: "device-{n}".to_owned(),
        ..telemetry_group(name, 3)
    };
    let a = add_group(&engine, shared("first"));
    let refused = engine
        .call(
            Command::Fleet(FleetCommand::AddGroup(shared("second"))),
            PATIENCE,
        )
        .unwrap()
        .unwrap_err();
    assert!(
        refused.contains("same client id") && refused.contains("device-1"),
        "{refused}"
    );
    assert_eq!(engine.snapshot().fleet.groups.len(), 1, "nothing was added");

    // With no broker running, devices wait: there is no connection to cut.
    fleet(&engine, FleetCommand::Start(Some(a)));
    let refused = engine
        .call(Command::Fleet(FleetCommand::Kill(a, 1)), PATIENCE)
        .unwrap()
        .unwrap_err();
    assert!(refused.contains("not connected"), "{refused}");
}

#[test]
fn more_than_10000_devices_across_groups_are_refused_naming_the_cap() {
    let engine = Engine::start().unwrap();
    add_group(&engine, telemetry_group("first", 6000));
    let refused = engine
        .call(
            Command::Fleet(FleetCommand::AddGroup(telemetry_group("second", 4001))),
            PATIENCE,
        )
        .unwrap()
        .unwrap_err();
    assert!(
        refused.contains("10001 devices") && refused.contains("at most 10000"),
        "{refused}"
    );
    assert_eq!(engine.snapshot().fleet.groups.len(), 1, "nothing was added");
    add_group(&engine, telemetry_group("second", 4000));
}
