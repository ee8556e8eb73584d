//! One load run shared by `bench pub`, `sub` and `latency`: connect the subscribers, then the
//! publishers, start them together, print a live line a second, stop at the deadline or count, let the
//! last messages arrive, and account for every publisher–subscriber pair.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::histogram::Latencies;
use super::live::{Live, counted, thousands};
use super::process::{ProcessSummary, ProcessWatch};
use super::publishers::{self, PublishPlan, Window};
use super::subscribers::{self, SubscribePlan, Subscribers};
use super::summary::{PublishSummary, ReceiveSummary};
use super::target::Target;

/// A subscriber run is over when nothing new arrived for this long after publishing stopped.
const QUIET: Duration = Duration::from_secs(2);

pub struct LoadPlan {
    pub publish: Option<PublishPlan>,
    pub subscribe: Option<SubscribePlan>,
    pub seconds: u64,
    /// `sub` alone: stop once this many messages arrived.
    pub receive_count: Option<u64>,
    /// How long to wait for the last messages after publishing stopped.
    pub drain: Duration,
    pub pid: Option<u32>,
    pub json: bool,
}

pub struct LoadOutcome {
    pub seconds: f64,
    pub publish: Option<PublishSummary>,
    pub receive: Option<ReceiveSummary>,
    pub process: Option<ProcessSummary>,
    /// This process's own CPU over the measured window (% of one core).
    pub tool_cpu_percent: Option<f64>,
}

pub async fn run(target: &Target, plan: &LoadPlan) -> anyhow::Result<LoadOutcome> {
    let live = Live::new(plan.json);
    let mut process = plan.pid.map(ProcessWatch::start);
    let subs = match &plan.subscribe {
        Some(p) => Some(subscribers::connect_all(target, p).await?),
        None => None,
    };
    let pubs = match &plan.publish {
        Some(p) => Some(publishers::connect_all(target, p).await?),
        None => None,
    };
    live.line(&format!(
        "bench: {} and {} connected to {}:{}; running for up to {} s",
        counted(plan.publish.as_ref().map_or(0, |p| p.clients), "publisher"),
        counted(
            plan.subscribe.as_ref().map_or(0, |s| s.clients),
            "subscriber"
        ),
        target.host,
        target.port,
        plan.seconds
    ));
    if let Some(watch) = &mut process {
        watch.restart_cpu();
    }
    let mut tool = ProcessWatch::start(std::process::id());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(plan.seconds);
    if let Some(p) = &pubs {
        let _ = p.start.send(Some(Window { start, deadline }));
    }
    let counters = pubs.as_ref().map(|p| p.counters.clone());
    let sent = || counters.as_ref().map_or(0, |c| c.total_sent());
    let received = || subs.as_ref().map_or(0, Subscribers::total_received);
    let (mut last_sent, mut last_received, mut next_line) = (0, 0, start + Duration::from_secs(1));
    loop {
        let publishers_done = counters
            .as_ref()
            .is_some_and(|c| c.finished.load(Ordering::Relaxed) >= c.sent.len());
        let count_reached = plan.receive_count.is_some_and(|n| received() >= n);
        if Instant::now() >= deadline || publishers_done || count_reached {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        if Instant::now() >= next_line {
            next_line += Duration::from_secs(1);
            let (now_sent, now_received) = (sent(), received());
            let recent = subs.as_ref().map(Subscribers::take_recent);
            live.line(&live_line(
                start.elapsed(),
                (now_sent - last_sent, now_sent),
                (now_received - last_received, now_received),
                plan,
                recent.as_ref(),
                process.as_mut().and_then(ProcessWatch::sample),
            ));
            (last_sent, last_received) = (now_sent, now_received);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let tool_cpu_percent = tool.finish().cpu_percent;
    let (sent_in_window, received_in_window) = (sent(), received());
    if let Some(p) = pubs {
        p.finish(plan.drain + Duration::from_secs(5)).await;
    }
    let sent_each: Vec<u64> = counters.as_ref().map_or_else(Vec::new, |c| {
        c.sent.iter().map(|s| s.load(Ordering::Relaxed)).collect()
    });
    let expected = expected(plan, &sent_each);
    if let Some(s) = &subs
        && plan.publish.is_some()
    {
        s.drain(expected, QUIET, plan.drain).await;
    }
    if let Some(watch) = &mut process {
        watch.sample();
    }
    let publish = plan
        .publish
        .as_ref()
        .zip(counters.as_ref())
        .map(|(p, c)| PublishSummary {
            clients: p.clients,
            sent: sent_each.iter().sum(),
            sent_per_second: sent_in_window as f64 / seconds,
            acknowledged: c.total_acknowledged(),
            errors: c.errors.load(Ordering::Relaxed),
        });
    let receive = match subs {
        Some(s) => {
            let summary = account(&s, plan, &sent_each, expected, received_in_window, seconds);
            s.stop().await;
            Some(summary)
        }
        None => None,
    };
    Ok(LoadOutcome {
        seconds,
        publish,
        receive,
        process: process.as_mut().map(ProcessWatch::finish),
        tool_cpu_percent,
    })
}

fn live_line(
    elapsed: Duration,
    (sent_rate, sent_total): (u64, u64),
    (received_rate, received_total): (u64, u64),
    plan: &LoadPlan,
    recent: Option<&Latencies>,
    broker_rss_kib: Option<u64>,
) -> String {
    let mut line = format!("{:>5.0} s", elapsed.as_secs_f64());
    if plan.publish.is_some() {
        line += &format!(
            "  sent {:>9}/s ({})",
            thousands(sent_rate),
            thousands(sent_total)
        );
    }
    if plan.subscribe.is_some() {
        line += &format!(
            "  received {:>9}/s ({})",
            thousands(received_rate),
            thousands(received_total)
        );
    }
    if let Some(l) = recent.filter(|l| !l.is_empty()) {
        line += &format!(
            "  latency p50 {:.2} ms p99 {:.2} ms",
            l.quantile_ms(0.5),
            l.quantile_ms(0.99)
        );
    }
    if let Some(kib) = broker_rss_kib {
        line += &format!("  broker {:.0} MiB", kib as f64 / 1024.0);
    }
    line
}

/// Messages the subscribers should get: each matching publisher's sent count, once per subscriber.
fn expected(plan: &LoadPlan, sent_each: &[u64]) -> Option<u64> {
    let (publish, subscribe) = (plan.publish.as_ref()?, plan.subscribe.as_ref()?);
    let per_subscriber: u64 = sent_each
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            rumqttc::matches(
                &publishers::topic_for(&publish.topic, *i),
                &subscribe.filter,
            )
        })
        .map(|(_, n)| n)
        .sum();
    Some(per_subscriber * subscribe.clients as u64)
}

fn account(
    subs: &Subscribers,
    plan: &LoadPlan,
    sent_each: &[u64],
    expected: Option<u64>,
    received_in_window: u64,
    seconds: f64,
) -> ReceiveSummary {
    let run = plan.publish.as_ref().map(|p| p.run);
    let mut latencies = Latencies::new();
    let (mut pairs, mut gaps, mut duplicates, mut out_of_order, mut untracked) = (0, 0, 0, 0, 0);
    let mut arrived_of_ours = 0;
    for subscriber in &subs.each {
        let seen = subscriber.seen();
        latencies.add(&seen.latencies);
        untracked += seen.untracked;
        for ((pair_run, publisher), tracker) in &seen.pairs {
            pairs += 1;
            gaps += tracker.gaps();
            duplicates += tracker.duplicates;
            out_of_order += tracker.out_of_order;
            if Some(*pair_run) == run {
                let sent = sent_each.get(*publisher as usize).copied().unwrap_or(0);
                arrived_of_ours += tracker.unique_below(sent);
            }
        }
    }
    let lost = expected.map(|e| e.saturating_sub(arrived_of_ours));
    ReceiveSummary {
        clients: subs.each.len(),
        received: subs.total_received(),
        received_per_second: received_in_window as f64 / seconds,
        untracked,
        pairs,
        expected,
        lost,
        lost_percent: expected.zip(lost).map(|(e, l)| {
            if e == 0 {
                0.0
            } else {
                100.0 * l as f64 / e as f64
            }
        }),
        gaps,
        duplicates,
        out_of_order,
        errors: subs.errors.load(Ordering::Relaxed),
        latency: latencies.summary(),
    }
}
