//! `bench conn`: opens N connections (flat out, --concurrency at a time, or at --rate a second), holds
//! them, and reports the accept rate (CONNACKs per second), failures and the broker's memory per
//! connection (--pid). One attempt per connection: a failure is counted, not retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rumqttc::{Event, Packet};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::args::ConnArgs;
use super::live::{Live, thousands};
use super::process::ProcessWatch;
use super::summary::{ConnectionSummary, Summary};
use super::target::Target;

pub fn run(args: &ConnArgs) -> anyhow::Result<()> {
    args.check()?;
    let target = Target::open(&args.target)?;
    let runtime = super::client_runtime()?;
    let (seconds, connections, process) = runtime.block_on(open_and_hold(&target, args));
    Summary {
        command: "conn",
        target: target.info(),
        settings: super::args::settings_json(args),
        load_average: super::process::load_average(),
        seconds,
        publish: None,
        receive: None,
        connections: Some(connections),
        broker_process: process,
        tool_cpu_percent: None,
    }
    .print(args.target.json)
}

async fn open_and_hold(
    target: &Target,
    args: &ConnArgs,
) -> (
    f64,
    ConnectionSummary,
    Option<super::process::ProcessSummary>,
) {
    let live = Live::new(args.target.json);
    let mut process = args.target.pid.map(ProcessWatch::start);
    let gate = Arc::new(Semaphore::new(if args.rate > 0.0 {
        args.clients
    } else {
        args.concurrency
    }));
    let open = Arc::new(AtomicUsize::new(0));
    let (stop, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    let give_up = start + Duration::from_secs(args.seconds);
    let mut tasks = Vec::with_capacity(args.clients);
    for index in 0..args.clients {
        let due =
            (args.rate > 0.0).then(|| start + Duration::from_secs_f64(index as f64 / args.rate));
        let (client, mut eventloop) =
            target.client(format!("{}-conn-{index}", target.prefix), 1, 0);
        let (gate, open, done, mut stop) =
            (gate.clone(), open.clone(), done_tx.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            if let Some(due) = due {
                tokio::time::sleep_until(due).await;
            }
            let permit = gate.acquire().await;
            let attempt = tokio::time::timeout_at(give_up, eventloop.poll()).await;
            drop(permit);
            let result = match attempt {
                Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => Ok(Instant::now()),
                Ok(Ok(other)) => Err(format!("expected CONNACK, got {other:?}")),
                Ok(Err(e)) => Err(super::clients::describe(&e)),
                Err(_) => Err(format!(
                    "no CONNACK within --seconds ({})",
                    args_seconds(give_up, start)
                )),
            };
            let connected = result.is_ok();
            let _ = done.send(result);
            if !connected {
                return;
            }
            open.fetch_add(1, Ordering::Relaxed);
            // Hold: answer the broker (pings) until told to stop; a closed connection is no longer open.
            loop {
                let stopping = tokio::select! {
                    event = eventloop.poll() => {
                        if event.is_err() {
                            break;
                        }
                        false
                    }
                    _ = stop.wait_for(|s| *s) => true,
                };
                if stopping {
                    let _ = client.try_disconnect();
                    let _ =
                        tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
                    break;
                }
            }
            open.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    drop(done_tx);
    let (mut connected, mut failed, mut first_error, mut last_connack) = (0, 0, None, start);
    let mut next_line = start + Duration::from_secs(1);
    let mut last_connected = 0;
    while connected + failed < args.clients {
        let wait = tokio::time::timeout_at(next_line, done_rx.recv()).await;
        match wait {
            Ok(Some(Ok(at))) => {
                connected += 1;
                last_connack = last_connack.max(at);
            }
            Ok(Some(Err(e))) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            Ok(None) => break,
            Err(_) => {
                let rss = process.as_mut().and_then(ProcessWatch::sample);
                live.line(&format!(
                    "{:>5.0} s  connected {:>7} (+{}/s)  failed {}{}",
                    start.elapsed().as_secs_f64(),
                    thousands(connected as u64),
                    thousands((connected - last_connected) as u64),
                    failed,
                    rss.map(|k| format!("  broker {:.0} MiB", k as f64 / 1024.0))
                        .unwrap_or_default()
                ));
                last_connected = connected;
                next_line += Duration::from_secs(1);
            }
        }
    }
    let seconds_to_connect = (last_connack - start).as_secs_f64();
    let held_from = Instant::now();
    let mut held_rss = None;
    while held_from.elapsed() < Duration::from_secs(args.hold) {
        tokio::time::sleep(Duration::from_millis(250).min(Duration::from_secs(args.hold))).await;
        held_rss = process.as_mut().and_then(ProcessWatch::sample).or(held_rss);
    }
    if held_rss.is_none() {
        held_rss = process.as_mut().and_then(ProcessWatch::sample);
    }
    let still_open = open.load(Ordering::Relaxed);
    let held_seconds = held_from.elapsed().as_secs_f64();
    let per_connection = process
        .as_ref()
        .and_then(ProcessWatch::rss_at_start)
        .zip(held_rss)
        .filter(|_| connected > 0)
        .map(|(before, held)| held.saturating_sub(before) as f64 / connected as f64);
    let process_summary = process.as_mut().map(ProcessWatch::finish);
    let _ = stop.send(true);
    for task in tasks {
        let abort = task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
    (
        seconds_to_connect,
        ConnectionSummary {
            requested: args.clients,
            connected,
            failed,
            first_error,
            seconds_to_connect,
            accepted_per_second: if seconds_to_connect > 0.0 {
                connected as f64 / seconds_to_connect
            } else {
                0.0
            },
            held_seconds,
            still_open,
            broker_kib_per_connection: per_connection,
        },
        process_summary,
    )
}

fn args_seconds(give_up: Instant, start: Instant) -> u64 {
    (give_up - start).as_secs()
}
