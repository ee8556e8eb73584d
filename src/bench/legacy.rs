//! `mqtt-playground bench` without a subcommand: throughput and connection-accept figures through the
//! app's one port. Prints figures; asserts nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::engine::{BrokerSettings, Engine};

#[derive(Debug, Args)]
#[command(next_help_heading = "Without a subcommand: the embedded broker's built-in figures")]
pub struct LegacyArgs {
    /// Publishers sending QoS 1 messages flat out.
    #[arg(long, default_value_t = 100)]
    pub publishers: usize,
    /// Seconds each throughput run is measured for (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 64)]
    pub payload: usize,
    /// Connections opened for the accept-rate run.
    #[arg(long, default_value_t = 2000)]
    pub connections: usize,
    /// How many times each run is repeated (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Instead: flood the app's own subscriber at --rate msg/s for --seconds (publishers share the rate).
    #[arg(long)]
    pub monitor: bool,
    /// Messages per second for --monitor.
    #[arg(long, default_value_t = 50_000)]
    pub rate: u64,
    /// The subscriber's QoS for --monitor (1: the broker may not drop any, so every message must be counted).
    #[arg(long, default_value_t = 1)]
    pub monitor_qos: u8,
}

/// An engine whose broker listens on loopback ports the OS chose (no WebSocket): what every bench measures.
pub(super) fn loopback_engine() -> anyhow::Result<(Engine, crate::engine::RunningInfo)> {
    let engine = Engine::start()?;
    let info = engine
        .start_broker_blocking(BrokerSettings {
            ws_port: None,
            ..BrokerSettings::loopback_any_port()
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((engine, info))
}

pub fn run(args: &LegacyArgs) -> anyhow::Result<()> {
    // Held to the end: dropping the engine stops the broker being measured.
    let (_engine, info) = loopback_engine()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "bench: {} publishers, QoS 1, {} B payloads, {} s windows, median of {}",
        args.publishers, args.payload, args.seconds, args.repeat
    );
    let targets = [("through the app's port", info.tcp)];
    for (name, addr) in targets {
        let mut rates: Vec<f64> = (0..args.repeat)
            .map(|_| runtime.block_on(publish_flat_out(addr, args)))
            .collect::<Result<_, _>>()?;
        rates.sort_by(f64::total_cmp);
        let median = rates.get(rates.len() / 2).copied().unwrap_or(0.0);
        println!(
            "  {name:<24} {median:>10.0} msg/s  (runs: {})",
            join(&rates)
        );
    }
    for (name, addr) in targets {
        let rate = runtime.block_on(accept_rate(addr, args.connections))?;
        println!(
            "  accept rate {name:<24} {rate:>8.0} connections/s ({} connections)",
            args.connections
        );
    }
    Ok(())
}

fn join(rates: &[f64]) -> String {
    rates
        .iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Messages per second acknowledged (PUBACK) across all publishers.
async fn publish_flat_out(addr: SocketAddr, args: &LegacyArgs) -> anyhow::Result<f64> {
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let payload = vec![b'x'; args.payload];
    let mut tasks = Vec::new();
    for i in 0..args.publishers {
        let mut options =
            MqttOptions::new(format!("bench-{i}"), addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_inflight(100);
        let (client, mut eventloop) = AsyncClient::new(options, 200);
        let acked = acked.clone();
        let stop_poll = stop.clone();
        tasks.push(tokio::spawn(async move {
            while !stop_poll.load(Ordering::Relaxed) {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        }));
        let stop_pub = stop.clone();
        let payload = payload.clone();
        let topic = format!("bench/{i}");
        tasks.push(tokio::spawn(async move {
            while !stop_pub.load(Ordering::Relaxed) {
                if client
                    .publish(&topic, QoS::AtLeastOnce, false, payload.clone())
                    .await
                    .is_err()
                {
                    break;
                }
            }
            let _ = client.try_disconnect();
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start_count = acked.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let count = acked.load(Ordering::Relaxed) - start_count;
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(count as f64 / elapsed)
}

/// Connections per second that complete CONNECT → CONNACK, 64 at a time; all stay open until the end.
async fn accept_rate(addr: SocketAddr, connections: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut open = Vec::with_capacity(connections);
    let mut pending = tokio::task::JoinSet::new();
    let mut next = 0;
    while next < connections || !pending.is_empty() {
        while next < connections && pending.len() < 64 {
            let id = format!("accept-{next}");
            pending.spawn(async move { connect_once(addr, &id).await });
            next += 1;
        }
        if let Some(joined) = pending.join_next().await {
            open.push(joined??);
        }
    }
    let rate = connections as f64 / started.elapsed().as_secs_f64();
    drop(open);
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(rate)
}

async fn connect_once(addr: SocketAddr, client_id: &str) -> anyhow::Result<tokio::net::TcpStream> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let id = client_id.as_bytes();
    // CONNECT, MQTT 3.1.1, clean session, keep-alive 60 s.
    let mut packet = vec![
        0x10,
        (10 + 2 + id.len()) as u8,
        0,
        4,
        b'M',
        b'Q',
        b'T',
        b'T',
        4,
        0x02,
        0,
        60,
    ];
    packet.extend_from_slice(&(id.len() as u16).to_be_bytes());
    packet.extend_from_slice(id);
    stream.write_all(&packet).await?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).await?;
    anyhow::ensure!(
        connack[0] == 0x20 && connack[3] == 0,
        "connection refused: {connack:?}"
    );
    Ok(stream)
}
