//! A small raw-socket MQTT 3.1.1 load generator for any broker (issue 11 goals 2–4 measurements):
//! accept rate and held-connection memory, flat-out QoS 0 floods with loss counted, and latency.
//!
//! cargo run --release --example door_load -- conn    ADDR N [PID]          connect N, report rate and PID's RSS
//! cargo run --release --example door_load -- flood   ADDR PUBS SECS       PUBS flat out → 1 subscriber on door/#
//! cargo run --release --example door_load -- latency ADDR PUBS SECS       PUBS × 1 msg/s → 1 subscriber, p50/p99

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let addr: SocketAddr = arg(1).parse().expect("ADDR like 127.0.0.1:1883");
    match arg(0).as_str() {
        "conn" => runtime.block_on(conn(addr, arg(2).parse().expect("N"), arg(3).parse().ok())),
        "flood" => runtime.block_on(flood(
            addr,
            arg(2).parse().expect("PUBS"),
            arg(3).parse().expect("SECS"),
        )),
        "latency" => runtime.block_on(latency(
            addr,
            arg(2).parse().expect("PUBS"),
            arg(3).parse().expect("SECS"),
        )),
        other => panic!("unknown mode {other:?}"),
    }
}

fn remaining_length(mut len: usize, out: &mut Vec<u8>) {
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

async fn connect(addr: SocketAddr, id: &str) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    body.extend_from_slice(&(id.len() as u16).to_be_bytes());
    body.extend_from_slice(id.as_bytes());
    let mut packet = vec![0x10];
    remaining_length(body.len(), &mut packet);
    packet.extend_from_slice(&body);
    stream.write_all(&packet).await?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).await?;
    if connack[0] != 0x20 || connack[3] != 0 {
        return Err(std::io::Error::other(format!("refused {connack:?}")));
    }
    Ok(stream)
}

fn publish_packet(topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x30];
    remaining_length(2 + topic.len() + payload.len(), &mut packet);
    packet.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    packet.extend_from_slice(topic.as_bytes());
    packet.extend_from_slice(payload);
    packet
}

async fn subscribe(addr: SocketAddr, id: &str, filter: &str) -> TcpStream {
    let mut stream = connect(addr, id).await.expect("subscriber connects");
    let mut body = vec![0, 1];
    body.extend_from_slice(&(filter.len() as u16).to_be_bytes());
    body.extend_from_slice(filter.as_bytes());
    body.push(0);
    let mut packet = vec![0x82];
    remaining_length(body.len(), &mut packet);
    packet.extend_from_slice(&body);
    stream.write_all(&packet).await.expect("subscribe");
    let mut suback = [0u8; 5];
    stream.read_exact(&mut suback).await.expect("suback");
    stream
}

/// Reads PUBLISH packets (QoS 0) and hands each payload to `each`.
async fn read_publishes(mut stream: TcpStream, stop: Arc<AtomicBool>, mut each: impl FnMut(&[u8])) {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 16];
    while !stop.load(Ordering::Relaxed) {
        let n =
            match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => n,
                Err(_) => continue,
            };
        buf.extend_from_slice(&chunk[..n]);
        let mut at = 0;
        while let Some(&first) = buf.get(at) {
            let (mut len, mut mult, mut i) = (0usize, 1usize, at + 1);
            let mut complete = false;
            while let Some(&b) = buf.get(i) {
                len += (b & 0x7f) as usize * mult;
                mult *= 128;
                i += 1;
                if b & 0x80 == 0 {
                    complete = true;
                    break;
                }
            }
            if !complete || buf.len() < i + len {
                break;
            }
            if first >> 4 == 3 {
                let topic_len = u16::from_be_bytes([buf[i], buf[i + 1]]) as usize;
                each(&buf[i + 2 + topic_len..i + len]);
            }
            at = i + len;
        }
        buf.drain(..at);
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn conn(addr: SocketAddr, n: usize, pid: Option<u32>) {
    let rss_before = pid.map(rss_kib).unwrap_or(0);
    let cpu_before = pid.map(cpu_seconds).unwrap_or(0.0);
    let started = Instant::now();
    let mut open = Vec::with_capacity(n);
    let mut pending = tokio::task::JoinSet::new();
    let mut next = 0;
    let mut failed = 0;
    let run = std::process::id();
    while next < n || !pending.is_empty() {
        while next < n && pending.len() < 64 {
            let id = format!("held-{run}-{next}");
            pending.spawn(async move { connect(addr, &id).await });
            next += 1;
        }
        match pending.join_next().await {
            Some(Ok(Ok(stream))) => open.push(stream),
            _ => failed += 1,
        }
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let cpu_us = (pid.map(cpu_seconds).unwrap_or(0.0) - cpu_before) * 1e6 / n as f64;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = pid.map(rss_kib).unwrap_or(0);
    println!(
        "conn n={n} failed={failed} rate={rate:.0}/s broker_cpu={cpu_us:.0} us/conn rss_before={} MB rss_held={} MB per_conn={:.1} kB load={}",
        rss_before / 1024,
        rss_after / 1024,
        (rss_after.saturating_sub(rss_before)) as f64 * 1.024 / n as f64,
        loadavg()
    );
}

/// CPU time (user + system) the process `pid` has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

async fn flood(addr: SocketAddr, pubs: usize, secs: u64) {
    let stop_sub = Arc::new(AtomicBool::new(false));
    let stop_pub = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let sub = subscribe(addr, &format!("flood-sub-{}", std::process::id()), "door/#").await;
    let counter = received.clone();
    let reader = tokio::spawn(read_publishes(sub, stop_sub.clone(), move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    let mut publishers = Vec::new();
    for p in 0..pubs {
        let mut stream = connect(addr, &format!("flood-pub-{}-{p}", std::process::id()))
            .await
            .expect("publisher connects");
        let packet = publish_packet(&format!("door/{p}"), &[b'x'; 64]);
        let batch: Vec<u8> = packet.repeat(16);
        let (stop, sent) = (stop_pub.clone(), sent.clone());
        publishers.push(tokio::spawn(async move {
            let (mut rd, mut wr) = stream.split();
            let mut sink = [0u8; 256];
            let drain = async { while matches!(rd.read(&mut sink).await, Ok(n) if n > 0) {} };
            let write = async {
                while !stop.load(Ordering::Relaxed) {
                    if wr.write_all(&batch).await.is_err() {
                        break;
                    }
                    sent.fetch_add(16, Ordering::Relaxed);
                }
            };
            tokio::select! { _ = drain => {}, _ = write => {} }
            let _ = wr.write_all(&[0xe0, 0]).await;
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (s0, r0, t0) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (s1, r1, el) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64(),
    );
    stop_pub.store(true, Ordering::Relaxed);
    for p in publishers {
        let _ = p.await;
    }
    // Let the broker drain what it queued: stop when nothing arrived for a second (at most 20 s).
    let mut last = received.load(Ordering::Relaxed);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = received.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    stop_sub.store(true, Ordering::Relaxed);
    let _ = reader.await;
    let (total_sent, total_recv) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
    );
    println!(
        "flood pubs={pubs} sent={:.0}/s delivered={:.0}/s lost={:.2}% (sent {total_sent}, received {total_recv}) load={}",
        (s1 - s0) as f64 / el,
        (r1 - r0) as f64 / el,
        100.0 * total_sent.saturating_sub(total_recv) as f64 / total_sent.max(1) as f64,
        loadavg()
    );
}

async fn latency(addr: SocketAddr, pubs: usize, secs: u64) {
    let epoch = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let sub = subscribe(addr, &format!("lat-sub-{}", std::process::id()), "lat/#").await;
    let into = samples.clone();
    let reader = tokio::spawn(read_publishes(sub, stop.clone(), move |payload| {
        if payload.len() >= 8 {
            let mut sent = [0u8; 8];
            sent.copy_from_slice(&payload[..8]);
            let now = epoch.elapsed().as_nanos() as u64;
            if let Ok(mut s) = into.lock() {
                s.push(now.saturating_sub(u64::from_be_bytes(sent)));
            }
        }
    }));
    let mut streams = Vec::new();
    for p in 0..pubs {
        streams.push(
            connect(addr, &format!("lat-pub-{}-{p}", std::process::id()))
                .await
                .expect("publisher connects"),
        );
    }
    let measuring = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (p, mut stream) in streams.into_iter().enumerate() {
        let (stop, measuring) = (stop.clone(), measuring.clone());
        let offset = Duration::from_micros((p as u64 * 1_000_000) / pubs as u64);
        tasks.push(tokio::spawn(async move {
            let topic = format!("lat/{p}");
            let mut ticker = tokio::time::interval_at(
                tokio::time::Instant::now() + offset,
                Duration::from_secs(1),
            );
            while !stop.load(Ordering::Relaxed) {
                ticker.tick().await;
                let mut payload = (epoch.elapsed().as_nanos() as u64).to_be_bytes().to_vec();
                payload.resize(64, b'x');
                let _ = measuring.load(Ordering::Relaxed);
                if stream
                    .write_all(&publish_packet(&topic, &payload))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    samples.lock().map(|mut s| s.clear()).ok();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let mut got = samples.lock().map(|s| s.clone()).unwrap_or_default();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    let _ = reader.await;
    got.sort_unstable();
    let pct = |q: f64| {
        got.get(((got.len() as f64 * q) as usize).min(got.len().saturating_sub(1)))
            .map(|ns| *ns as f64 / 1e6)
            .unwrap_or(f64::NAN)
    };
    println!(
        "latency pubs={pubs} samples={} p50={:.3} ms p99={:.3} ms max={:.3} ms load={}",
        got.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        loadavg()
    );
}
