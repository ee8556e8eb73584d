//! Helpers for the protocol-trace tests: watching every client, reading one client's records, and
//! driving rumqttc connections on threads of their own while a test waits on the trace.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mqtt_playground::engine::trace::{PacketRecord, TraceCommand};
use mqtt_playground::engine::{Command, Engine};
use rumqttc::Connection;

use super::PATIENCE;

pub fn watch_all(engine: &Engine) {
    engine
        .call(Command::Trace(TraceCommand::WatchAll(true)), PATIENCE)
        .expect("the engine answers")
        .expect("trace watches every client");
}

/// One client's records, oldest first.
pub fn records_of(engine: &Engine, client: &str) -> Vec<Arc<PacketRecord>> {
    engine.trace().read(|store| {
        store
            .client(client)
            .map(|t| t.records.iter().cloned().collect())
            .unwrap_or_default()
    })
}

/// Waits (bounded) until `client`'s trace satisfies `check`; returns the records it saw last.
pub fn wait_for_trace(
    engine: &Engine,
    client: &str,
    what: &str,
    check: impl Fn(&[Arc<PacketRecord>]) -> bool,
) -> Vec<Arc<PacketRecord>> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let records = records_of(engine, client);
        if check(&records) {
            return records;
        }
        if Instant::now() > deadline {
            let seen: Vec<String> = records.iter().map(|r| describe(r)).collect();
            panic!("timed out waiting for {what} in {client}'s trace; it holds {seen:#?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn describe(record: &PacketRecord) -> String {
    format!("{} {}", record.direction.as_str(), record.label)
}

/// The publish handshake's packets, as `direction packet` words.
pub fn handshake(records: &[Arc<PacketRecord>]) -> Vec<String> {
    records
        .iter()
        .filter(|r| {
            matches!(
                r.packet,
                "PUBLISH" | "PUBACK" | "PUBREC" | "PUBREL" | "PUBCOMP"
            )
        })
        .map(|r| format!("{} {}", r.direction.as_str(), r.packet))
        .collect()
}

/// Drives a connection on a thread of its own until dropped, so acks flow while the test waits.
pub struct Driven {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Driven {
    pub fn new(mut connection: Connection) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let _ = connection.recv_timeout(Duration::from_millis(20));
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
