//! Open-files limits and the connection cap, against the real broker and real clients. This file is
//! its own process, so lowering the soft limit here touches no other test; its tests take turns.

mod common;

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use mqtt_playground::engine::fleet::{FleetCommand, FleetTarget, GroupSpec, RunState};
use mqtt_playground::engine::limits;
use mqtt_playground::engine::{BrokerSettings, Command, Event};
use rumqttc::{ConnectReturnCode, ConnectionError, MqttOptions, QoS};

/// The limit is one per process: tests that change it take turns.
static LIMIT: Mutex<()> = Mutex::new(());

/// Sets the soft open-files limit for the test's length, and puts the old one back after.
struct SoftLimit {
    old: (u64, u64),
}

impl SoftLimit {
    fn set(soft: u64) -> Self {
        let old = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("getrlimit");
        rlimit::setrlimit(rlimit::Resource::NOFILE, soft.min(old.1), old.1).expect("setrlimit");
        Self { old }
    }
}

impl Drop for SoftLimit {
    fn drop(&mut self) {
        let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, self.old.0, self.old.1);
    }
}

fn devices(name: &str, count: u32) -> GroupSpec {
    GroupSpec {
        name: name.to_owned(),
        count,
        topic: "limits/{group}/{n}".to_owned(),
        payload: "1".to_owned(),
        every: Some(Duration::from_secs(5)),
        ..GroupSpec::default()
    }
}

#[test]
fn raising_the_limit_lifts_a_lowered_soft_limit_to_the_hard_one() {
    let _turn = LIMIT.lock().unwrap_or_else(|p| p.into_inner());
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let _restore = SoftLimit::set(512);
    assert_eq!(limits::open_files_limit().unwrap().soft, 512.min(hard));
    let raised = limits::raise_open_files_limit();
    assert_eq!(raised.error, None);
    assert_eq!(raised.before.unwrap().soft, 512.min(hard));
    let now = limits::open_files_limit().unwrap();
    assert_eq!(raised.after, Some(now));
    if hard != rlimit::INFINITY {
        assert_eq!(now.soft, hard, "the soft limit is the hard one now");
    }
    assert!(now.soft > 512, "the soft limit was raised: {now:?}");
    assert!(
        raised.describe().contains("raised from 512"),
        "{}",
        raised.describe()
    );
}

#[test]
fn a_group_that_cannot_fit_in_the_limit_is_refused_and_nothing_starts() {
    let _turn = LIMIT.lock().unwrap_or_else(|p| p.into_inner());
    let _restore = SoftLimit::set(1024);
    let (engine, _info) = running_broker();
    engine
        .call(
            Command::Fleet(FleetCommand::AddGroup(devices("crowd", 1000))),
            PATIENCE,
        )
        .unwrap()
        .expect("adding does not start anything");
    let id = engine.snapshot().fleet.groups[0].id;

    let refused = engine
        .call(Command::Fleet(FleetCommand::Start(Some(id))), PATIENCE)
        .unwrap()
        .expect_err("1,000 devices do not fit in 1,024 open files");
    assert!(
        refused.contains("1,000 devices need about"),
        "the message names the demand: {refused}"
    );
    assert!(
        refused.contains("allows MQTT Playground 1,024"),
        "the message names the limit: {refused}"
    );
    assert!(
        refused.contains("ulimit -n") && refused.contains("at most"),
        "the message says what to do: {refused}"
    );
    let group = &engine.snapshot().fleet.groups[0];
    assert_eq!(group.run, RunState::Stopped, "nothing started");
    assert_eq!(group.connected + group.connecting, 0);

    // A scenario with the same demand is refused before anything is replaced.
    let refused = engine
        .call(
            Command::Fleet(FleetCommand::Replace {
                target: FleetTarget::Embedded,
                groups: vec![devices("a", 500), devices("b", 500)],
                start: true,
            }),
            PATIENCE,
        )
        .unwrap()
        .expect_err("a scenario that cannot fit is refused");
    assert!(refused.contains("1,000 devices"), "{refused}");
    let groups = &engine.snapshot().fleet.groups;
    assert_eq!(groups.len(), 1, "the old group is still there");
    assert_eq!(groups[0].spec.name, "crowd");

    // What fits still starts, and devices running count against what comes next.
    engine
        .call(
            Command::Fleet(FleetCommand::Replace {
                target: FleetTarget::Embedded,
                groups: vec![devices("few", 100)],
                start: true,
            }),
            PATIENCE,
        )
        .unwrap()
        .expect("100 devices fit");
    let more = engine
        .call(
            Command::Fleet(FleetCommand::AddGroup(devices("more", 300))),
            PATIENCE,
        )
        .unwrap();
    assert_eq!(more, Ok(()));
    let more_id = engine
        .snapshot()
        .fleet
        .groups
        .iter()
        .find(|g| g.spec.name == "more")
        .map(|g| g.id)
        .unwrap();
    let refused = engine
        .call(Command::Fleet(FleetCommand::Start(Some(more_id))), PATIENCE)
        .unwrap()
        .expect_err("300 more do not fit next to the 100 running");
    assert!(refused.contains("already running"), "{refused}");
}

fn client_options(addr: std::net::SocketAddr, id: &str) -> MqttOptions {
    let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    options
}

#[test]
fn the_connection_cap_refuses_the_one_over_and_admits_again_after_one_leaves() {
    let settings = BrokerSettings {
        max_connections: NonZeroU32::new(3),
        ..BrokerSettings::loopback_any_port()
    };
    let (engine, info) = running_broker_with(settings);
    assert_eq!(info.connection_cap, 3);
    let (subscriber, mut sub_conn) = v4_client(info.tcp, "cap-sub", |_| {});
    subscriber.subscribe("cap/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    let (publisher, mut pub_conn) = v4_client(info.tcp, "cap-pub", |_| {});
    let (third, mut third_conn) = v4_client(info.tcp, "cap-third", |_| {});

    let (_fourth, mut fourth_conn) = rumqttc::Client::new(client_options(info.tcp, "cap-4"), 10);
    match wait_v4_connack(&mut fourth_conn) {
        Err(ConnectionError::ConnectionRefused(ConnectReturnCode::ServiceUnavailable)) => {}
        other => panic!("the fourth client should be refused as server unavailable, got {other:?}"),
    }

    // The first three keep working.
    publisher
        .publish("cap/hello", QoS::AtLeastOnce, false, "still here")
        .unwrap();
    pump_v4(&mut pub_conn, Duration::from_millis(200));
    let got = receive_v4(&mut sub_conn, 1);
    assert_eq!(got.len(), 1, "the subscriber still receives");
    assert_eq!(got[0].payload, b"still here");

    // The refusal is in Activity.
    let deadline = Instant::now() + PATIENCE;
    let mut reported = None;
    while Instant::now() < deadline && reported.is_none() {
        if let Some(Event::ConnectionsOverCap { cap, .. }) =
            engine.events().next_timeout(Duration::from_millis(200))
        {
            reported = Some(cap);
        }
    }
    assert_eq!(reported, Some(3), "Activity says the cap refused a client");

    // One leaves: the broker accepts again.
    disconnect_v4(&third, &mut third_conn);
    drop(third_conn);
    wait_for_snapshot(&engine, "the third client gone", |s| s.clients.len() == 2);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_again, mut again_conn) =
            rumqttc::Client::new(client_options(info.tcp, "cap-again"), 10);
        match wait_v4_connack(&mut again_conn) {
            Ok(()) => break,
            // Its place is freed a moment after the registry forgets it.
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(err) => panic!("the broker never accepted again: {err:?}"),
        }
    }
    assert!(engine.snapshot().totals.connections_refused >= 1);
}
