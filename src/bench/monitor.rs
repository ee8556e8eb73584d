//! `mqtt-playground bench --monitor`: floods the app's own subscriber at a steady rate and reports the
//! rate it took in, how far it lagged, whether any message was miscounted, and the process's memory
//! with the log full. Prints figures; asserts nothing. `BENCH_TRACE=1` prints the lag every 250 ms.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use super::legacy::LegacyArgs;
use crate::engine::Command;
use crate::engine::monitor::MonitorCommand;

/// Publishers send a burst every tick to hold the rate.
const TICK: Duration = Duration::from_millis(10);
/// How long the subscriber may take to catch up after the flood before the rest counts as missing.
const DRAIN_PATIENCE: Duration = Duration::from_secs(120);

pub fn run(args: &LegacyArgs) -> anyhow::Result<()> {
    let (engine, info) = super::legacy::loopback_engine()?;
    let qos = args.monitor_qos.min(2);
    engine
        .call(
            Command::Monitor(MonitorCommand::Subscribe {
                filter: "#".to_owned(),
                qos,
            }),
            Duration::from_secs(10),
        )?
        .map_err(|e| anyhow::anyhow!(e))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !engine.snapshot().monitor.subscribed {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the subscriber did not subscribe"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let capacity = engine.log().read(|s| s.log.limits().capacity);
    println!(
        "bench --monitor: {} publishers, QoS 1, {} B JSON payloads, {} msg/s for {} s into the app's subscriber (`#` at QoS {qos}, log of {capacity})",
        args.publishers, args.payload, args.rate, args.seconds
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let publishers = args.publishers.max(1);
    let per_tick = args.rate as f64 * TICK.as_secs_f64() / publishers as f64;
    let queued = Arc::new(AtomicU64::new(0));
    let stop_polling = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    runtime.block_on(async {
        for i in 0..publishers {
            tasks.extend(spawn_publisher(
                info.tcp,
                i,
                per_tick,
                args.payload,
                Counters {
                    queued: queued.clone(),
                    acked: acked.clone(),
                },
                stop.clone(),
                stop_polling.clone(),
            ));
        }
    });

    // Read from the store itself: the snapshot's total is refreshed only every 250 ms.
    let received = || engine.log().read(|s| s.log.counters().total_received);
    // One second of warm-up, then the measured window.
    std::thread::sleep(Duration::from_secs(1));
    let (sent_start, received_start) = (acked.load(Ordering::Relaxed), received());
    let started = Instant::now();
    let mut lags = Vec::new();
    while started.elapsed() < Duration::from_secs(args.seconds) {
        std::thread::sleep(Duration::from_millis(250));
        let lag = acked.load(Ordering::Relaxed).saturating_sub(received());
        if std::env::var_os("BENCH_TRACE").is_some() {
            eprintln!("{:6.2} s  lag {lag}", started.elapsed().as_secs_f64());
        }
        lags.push(lag);
    }
    lags.sort_unstable();
    let lag_at = |q: f64| {
        lags.get(((lags.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    let elapsed = started.elapsed().as_secs_f64();
    let (sent_end, received_end) = (acked.load(Ordering::Relaxed), received());
    stop.store(true, Ordering::Relaxed);
    // Every queued publish is acknowledged before counting what was sent.
    let ack_deadline = Instant::now() + DRAIN_PATIENCE;
    std::thread::sleep(Duration::from_millis(100));
    while acked.load(Ordering::Relaxed) < queued.load(Ordering::Relaxed)
        && Instant::now() < ack_deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent_total = acked.load(Ordering::Relaxed);
    let unacknowledged = queued.load(Ordering::Relaxed).saturating_sub(sent_total);

    let drain_started = Instant::now();
    while received() < sent_total && drain_started.elapsed() < DRAIN_PATIENCE {
        std::thread::sleep(Duration::from_millis(50));
    }
    let received_total = received();
    let (log_len, log_bytes) = engine.log().read(|s| (s.log.len(), s.log.stored_bytes()));
    let memory = memory();

    println!(
        "  published (acknowledged)  {:>10.0} msg/s",
        (sent_end - sent_start) as f64 / elapsed
    );
    println!(
        "  received by the app      {:>10.0} msg/s",
        (received_end - received_start) as f64 / elapsed
    );
    println!(
        "  lag (acknowledged, not yet in the log; sampled every 250 ms): median {}, p99 {}, max {}",
        lag_at(0.5),
        lag_at(0.99),
        lag_at(1.0)
    );
    println!(
        "  after the flood           sent {sent_total}, received {received_total}, not received {} (caught up in {:.1} s)",
        sent_total.abs_diff(received_total),
        drain_started.elapsed().as_secs_f64()
    );
    if unacknowledged > 0 {
        println!("  ({unacknowledged} publishes were never acknowledged by the broker)");
    }
    println!(
        "  log                       {log_len} messages, {:.1} MiB of payload and topics",
        log_bytes as f64 / (1024.0 * 1024.0)
    );
    match memory {
        Some((rss, peak)) => println!(
            "  process memory            {:.0} MB resident now, {:.0} MB peak (broker, publishers and subscriber together)",
            rss as f64 / 1024.0,
            peak as f64 / 1024.0
        ),
        None => println!("  process memory            (not available on this system)"),
    }
    let snapshot = engine.snapshot();
    if let Some(problem) = &snapshot.monitor.last_error {
        println!("  the subscriber's last problem: {problem}");
    }
    while let Some(event) = engine.events().try_next() {
        if let crate::engine::Event::MonitorProblem(what)
        | crate::engine::Event::MonitorChanged(what) = event
        {
            println!("  subscriber: {what}");
        }
    }
    stop_polling.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

/// A publisher holding its share of the rate, and the task driving its connection.
fn spawn_publisher(
    addr: std::net::SocketAddr,
    index: usize,
    per_tick: f64,
    payload_size: usize,
    counters: Counters,
    stop: Arc<AtomicBool>,
    stop_polling: Arc<AtomicBool>,
) -> [tokio::task::JoinHandle<()>; 2] {
    let Counters { queued, acked } = counters;
    let mut options = MqttOptions::new(
        format!("bench-monitor-{index}"),
        addr.ip().to_string(),
        addr.port(),
    );
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(options, 1000);
    let driver = tokio::spawn(async move {
        while !stop_polling.load(Ordering::Relaxed) {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    let topic = format!("bench/device-{index}/telemetry");
    let publisher = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut owed = 0.0;
        let mut n: u64 = 0;
        while !stop.load(Ordering::Relaxed) {
            ticker.tick().await;
            owed += per_tick;
            while owed >= 1.0 {
                owed -= 1.0;
                n += 1;
                if client
                    .publish(
                        &topic,
                        QoS::AtLeastOnce,
                        false,
                        json_payload(n, payload_size),
                    )
                    .await
                    .is_err()
                {
                    return;
                }
                queued.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    [driver, publisher]
}

/// Publishes handed to the clients, and those the broker acknowledged.
struct Counters {
    queued: Arc<AtomicU64>,
    acked: Arc<AtomicU64>,
}

/// `{"n":17,"t":21.5,"pad":"xxx…"}` padded to about `size` bytes.
fn json_payload(n: u64, size: usize) -> Vec<u8> {
    let head = format!(
        r#"{{"n":{n},"t":{:.1},"pad":""#,
        20.0 + (n % 50) as f64 / 10.0
    );
    let pad = size.saturating_sub(head.len() + 2);
    let mut out = head.into_bytes();
    out.extend(std::iter::repeat_n(b'x', pad));
    out.extend_from_slice(b"\"}");
    out
}

/// (resident, peak resident) in KiB of this process, from /proc on Linux.
fn memory() -> Option<(u64, u64)> {
    super::process::memory_kib(std::process::id())
}
