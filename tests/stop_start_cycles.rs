//! Stop means stopped: 500 broker stop/start cycles (each with a real client) and 100 start/stop
//! cycles of a 100-device fleet leave threads, file descriptors and memory flat.
//! Alone in its own test binary so other tests' threads and sockets do not blur the counts; the two
//! tests run one after the other (a lock), since each counts the whole process.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::process::{Footprint, Margin, assert_flat, measurable};
use common::*;
use mqtt_playground::engine::fleet::{FleetCommand, GroupSpec, RunState};
use mqtt_playground::engine::{BrokerSettings, Command, Engine};

const BROKER_CYCLES: usize = 500;
const FLEET_CYCLES: usize = 100;
const FLEET_DEVICES: u32 = 100;

/// A leak of one thread or socket per cycle would show as +100 or more; a couple of pool threads
/// and a socket being closed may come and go. Memory: allocator arenas and the event and log
/// buffers reach their working size in the warm-up; 64 MiB is far below what a per-cycle leak of
/// a runtime or a connection's buffers would add over hundreds of cycles.
const MARGIN: Margin = Margin {
    threads: 2,
    fds: 2,
    rss_kib: 64 * 1024,
};

/// The two tests measure the same process: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn broker_cycle(engine: &Engine, settings: &BrokerSettings, client_id: &str) {
    let info = engine
        .start_broker_blocking(settings.clone())
        .expect("broker restarts on the same ports");
    let (_client, mut connection) = v4_client(info.tcp, client_id, |_| {});
    wait_for_snapshot(engine, "client listed", |s| s.clients.len() == 1);
    engine.call(Command::StopBroker, PATIENCE).unwrap().unwrap();
    // The client notices; draining its error keeps rumqttc from holding the socket.
    let _ = connection.recv_timeout(Duration::from_millis(10));
}

#[test]
fn five_hundred_stop_start_cycles_leave_threads_fds_and_memory_flat() {
    if !measurable() {
        eprintln!("SKIPPED: counting threads and descriptors reads /proc, which only Linux has");
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (engine, info) = running_broker();
    engine.call(Command::StopBroker, PATIENCE).unwrap().unwrap();
    let settings = BrokerSettings {
        tcp_port: info.tcp.port(),
        ws_port: info.websocket.map(|w| w.port()),
        ..BrokerSettings::default()
    };
    // Warm up: thread pools and allocator arenas reach their working size.
    for i in 0..10 {
        broker_cycle(&engine, &settings, &format!("warmup-{i}"));
    }
    let before = Footprint::settled();
    let started = Instant::now();
    for i in 0..BROKER_CYCLES {
        broker_cycle(&engine, &settings, &format!("cycle-{i}"));
    }
    let took = started.elapsed();
    let after = Footprint::settled();
    eprintln!(
        "{BROKER_CYCLES} broker stop/start cycles took {took:.1?} ({:.1} ms each)",
        took.as_secs_f64() * 1000.0 / BROKER_CYCLES as f64
    );
    assert_flat(
        &format!("{BROKER_CYCLES} broker stop/start cycles"),
        before,
        after,
        MARGIN,
    );
}

fn fleet(engine: &Engine, command: FleetCommand) {
    engine
        .call(Command::Fleet(command), PATIENCE)
        .expect("the engine answers")
        .expect("the fleet takes the command");
}

fn fleet_cycle(engine: &Engine) {
    fleet(engine, FleetCommand::Start(None));
    wait_for_snapshot(engine, "every device connected", |s| {
        s.fleet.groups.iter().all(|g| g.connected == FLEET_DEVICES)
            && s.clients.len() == FLEET_DEVICES as usize
    });
    fleet(engine, FleetCommand::Stop(None));
    wait_for_snapshot(engine, "every device gone", |s| {
        s.fleet
            .groups
            .iter()
            .all(|g| g.run == RunState::Stopped && g.connected == 0 && g.connecting == 0)
            && s.clients.is_empty()
    });
}

#[test]
fn a_hundred_start_stop_cycles_of_a_hundred_device_fleet_leave_threads_fds_and_memory_flat() {
    if !measurable() {
        eprintln!("SKIPPED: counting threads and descriptors reads /proc, which only Linux has");
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let broker = Broker::start();
    fleet(
        &broker.engine,
        FleetCommand::AddGroup(GroupSpec {
            name: "cycled".to_owned(),
            count: FLEET_DEVICES,
            topic: "cycles/{group}/{n}".to_owned(),
            payload: "{{counter}}".to_owned(),
            every: Some(Duration::from_millis(200)),
            ..GroupSpec::default()
        }),
    );
    for _ in 0..3 {
        fleet_cycle(&broker.engine);
    }
    let before = Footprint::settled();
    let started = Instant::now();
    for _ in 0..FLEET_CYCLES {
        fleet_cycle(&broker.engine);
    }
    let took = started.elapsed();
    let after = Footprint::settled();
    eprintln!(
        "{FLEET_CYCLES} start/stop cycles of {FLEET_DEVICES} devices took {took:.1?} ({:.0} ms each)",
        took.as_secs_f64() * 1000.0 / FLEET_CYCLES as f64
    );
    assert_flat(
        &format!("{FLEET_CYCLES} start/stop cycles of a {FLEET_DEVICES}-device fleet"),
        before,
        after,
        MARGIN,
    );
}
