//! Stop means stopped: 200 stop/start cycles, each with a real client, leave threads, file descriptors and memory flat.
//! Alone in its own test binary so other tests' threads and sockets do not blur the counts.

mod common;

use std::time::Duration;

use common::*;
use mqtt_playground::engine::{BrokerSettings, Command};

fn count_entries(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn cycle(engine: &mqtt_playground::engine::Engine, settings: &BrokerSettings, client_id: &str) {
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
fn two_hundred_stop_start_cycles_leave_threads_fds_and_memory_flat() {
    if !cfg!(target_os = "linux") {
        eprintln!("SKIPPED: counting threads and descriptors reads /proc, which only Linux has");
        return;
    }
    let (engine, info) = running_broker();
    engine.call(Command::StopBroker, PATIENCE).unwrap().unwrap();
    let settings = BrokerSettings {
        tcp_port: info.tcp.port(),
        ws_port: info.websocket.map(|w| w.port()),
        ..BrokerSettings::default()
    };
    // Warm up: thread pools and allocator arenas reach their working size.
    for i in 0..10 {
        cycle(&engine, &settings, &format!("warmup-{i}"));
    }
    std::thread::sleep(Duration::from_millis(200));
    let threads_before = count_entries("/proc/self/task");
    let fds_before = count_entries("/proc/self/fd");
    let rss_before = rss_kib();
    for i in 0..200 {
        cycle(&engine, &settings, &format!("cycle-{i}"));
    }
    std::thread::sleep(Duration::from_millis(200));
    let threads_after = count_entries("/proc/self/task");
    let fds_after = count_entries("/proc/self/fd");
    let rss_after = rss_kib();
    eprintln!(
        "200 cycles: threads {threads_before} -> {threads_after}, fds {fds_before} -> {fds_after}, RSS {rss_before} KiB -> {rss_after} KiB"
    );
    // A leak of one thread or socket per cycle would show as +200; a couple of pool threads may come and go.
    assert!(
        threads_after <= threads_before + 2,
        "threads grew: {threads_before} -> {threads_after}"
    );
    assert!(
        fds_after <= fds_before + 2,
        "file descriptors grew: {fds_before} -> {fds_after}"
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "memory grew by more than 64 MiB: {rss_before} KiB -> {rss_after} KiB"
    );
}
