//! A burst of 5,000 connections: every one gets its CONNACK, and while they are all held open a
//! newcomer still gets in and clients connected before still get their messages. The connection
//! rate and the memory are printed, never asserted. Alone in its binary: it counts the process's
//! descriptors, and its clients run in a second process so theirs do not count.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{PeakMemory, rss_kib};
use common::raw::{self, ConnectOutcome, Port, Version};
use common::witness::Witnesses;
use common::*;
use mqtt_playground::engine::{Engine, Event};

/// Connections in the burst.
const BURST: usize = 5_000;
/// Connections the burst's client process has on their way at once.
const BURST_IN_FLIGHT: usize = 256;
/// Descriptors the broker side needs per connection: the accepted socket (its session is served on
/// the router in-process).
const BROKER_FDS_PER_CONNECTION: u64 = 1;
/// Room for everything else the test process has open.
const SPARE_FDS: u64 = 1_024;
/// Tries per client; a connection dropped without a CONNACK is tried again, as real clients do.
const CONNECT_ATTEMPTS: usize = 3;
/// The environment variable that turns this test binary into the burst's client process.
const BURST_TARGET_ENV: &str = "MQTT_PLAYGROUND_BURST_TARGET";

/// Raises this process's soft open-files limit to the hard one; returns the new soft limit.
fn raise_open_files_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

#[test]
fn a_burst_of_five_thousand_connections_is_served_and_others_still_get_in() {
    let limit = raise_open_files_limit();
    let needed = BURST as u64 * BROKER_FDS_PER_CONNECTION + SPARE_FDS;
    if limit < needed {
        eprintln!(
            "SKIPPED: the open-files limit is {limit} even raised to the hard limit, and {BURST} connections need about {needed} on the broker's side; raise the hard limit (ulimit -Hn) to run this test"
        );
        return;
    }
    let broker = Broker::start();
    let mut witnesses = Witnesses::connect(broker.info.tcp, "burst");
    let peak = PeakMemory::start();
    let rss_before = rss_kib();

    // The clients live in a process of their own, so their descriptors do not count against this one.
    let mut child = Process::new(std::env::current_exe().expect("the test binary's path"))
        .args([
            "--exact",
            "burst_client_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(BURST_TARGET_ENV, broker.info.tcp.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the burst's client process starts");
    // Read the child's output to its end on a thread of its own (a closed pipe would fail its
    // last lines), passing on the one line with the figures.
    let stdout = child.stdout.take().expect("piped");
    let (report_tx, report_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest prints "test burst_client_process ... " on the same line first.
            if let Some((_, rest)) = line.split_once("BURST ") {
                let _ = report_tx.send(rest.to_owned());
            }
        }
    });
    let report = report_rx.recv_timeout(Duration::from_secs(300)).ok();
    let report = report.expect("the burst's client process reported");
    let fields: Vec<&str> = report.split_whitespace().collect();
    let field = |name: &str| -> f64 {
        fields
            .iter()
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in the burst report: {report}"))
    };
    let (accepted, secs, retried) = (
        field("accepted") as usize,
        field("secs"),
        field("retried") as usize,
    );
    eprintln!(
        "burst: {accepted} of {BURST} connections got CONNACK in {secs:.1} s = {:.0} connections/s, {retried} of them on a second or third try (open-files limit {limit})",
        accepted as f64 / secs
    );
    if retried > 0 {
        eprintln!(
            "burst: why first tries failed: {:?}",
            refusal_reasons(&broker.engine)
        );
    }

    // While all of them are held open, the broker still serves the others.
    let (_late, _late_conn) = v4_client(broker.info.tcp, "after-the-burst", |_| {});
    witnesses.assert_delivery(50);
    wait_for_client_count(&broker.engine, "the burst's clients listed", |n| n >= BURST);
    let peak_kib = peak.finish();
    eprintln!(
        "burst: RSS {rss_before} KiB before, peak {peak_kib} KiB with {BURST} connections ({:.1} KiB per connection)",
        peak_kib.saturating_sub(rss_before) as f64 / BURST as f64
    );
    drop(child.stdin.take()); // the client process lets go of its connections and ends
    let status = child.wait().expect("the client process ends");
    assert!(status.success(), "the burst's client process failed");
    assert_eq!(
        accepted, BURST,
        "every connection of the burst got a CONNACK"
    );
    witnesses.assert_unbroken();
    // The witnesses and the newcomer stay.
    wait_for_client_count(&broker.engine, "the burst's clients gone", |n| n <= 3);
}

/// Waits (bounded) for the clients table's length; a failure names the count, not 5,000 rows.
fn wait_for_client_count(engine: &Engine, what: &str, check: impl Fn(usize) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    let mut count = engine.snapshot().clients.len();
    while !check(count) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {what}; {count} clients listed"
        );
        std::thread::sleep(Duration::from_millis(50));
        count = engine.snapshot().clients.len();
    }
}

/// The distinct reasons the engine gave for connections it refused or rejected (events so far).
fn refusal_reasons(engine: &Engine) -> BTreeSet<String> {
    std::iter::from_fn(|| engine.events().try_next())
        .filter_map(|event| match event {
            Event::ClientRefused { reason, .. } | Event::ConnectionRejected { reason, .. } => {
                Some(reason)
            }
            _ => None,
        })
        .take(1000)
        .collect()
}

/// Not a test of its own: the burst test runs this binary again with only this "test", which opens
/// the burst's connections, reports, and holds them until its stdin closes.
#[test]
#[ignore = "the client process of the burst test; it runs only when that test starts it"]
fn burst_client_process() {
    let Some(target) = std::env::var(BURST_TARGET_ENV)
        .ok()
        .and_then(|t| t.parse::<SocketAddr>().ok())
    else {
        return;
    };
    let limit = raise_open_files_limit();
    assert!(
        limit >= BURST as u64 + SPARE_FDS,
        "the burst's client process can open only {limit} files"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let (held, failures, retried) = runtime.block_on(async move {
        let gate = Arc::new(tokio::sync::Semaphore::new(BURST_IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..BURST {
            let gate = gate.clone();
            tasks.spawn(async move {
                let _slot = gate.acquire_owned().await;
                // Like real clients, one that is dropped without an answer tries again; how many
                // needed to is reported with the figures.
                let mut last = String::new();
                for attempt in 0..CONNECT_ATTEMPTS {
                    let mut stream = raw::open(Port::Tcp, target).await?;
                    raw::send(
                        &mut stream,
                        &raw::connect(Version::V4, &format!("burst-{i}"), 600, None),
                    )
                    .await;
                    match raw::read_connack(&mut stream, Version::V4, PATIENCE).await {
                        ConnectOutcome::Accepted => return Ok((stream, attempt)),
                        other => last = format!("burst-{i}: {other:?}"),
                    }
                }
                Err(last)
            });
        }
        let mut held = Vec::with_capacity(BURST);
        let mut failures = Vec::new();
        let mut retried = 0;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok((stream, attempt))) => {
                    retried += usize::from(attempt > 0);
                    held.push(stream)
                }
                Ok(Err(why)) => failures.push(why),
                Err(panic) => failures.push(panic.to_string()),
            }
        }
        (held, failures, retried)
    });
    let secs = started.elapsed().as_secs_f64();
    if let Some(first) = failures.first() {
        eprintln!("burst: {} connections failed, e.g. {first}", failures.len());
    }
    println!(
        "BURST accepted={} secs={secs:.3} retried={retried}",
        held.len()
    );
    // Hold every connection until the test has looked at the broker.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(held);
    drop(runtime);
}
