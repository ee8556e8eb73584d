//! The final summary of a bench run: printed for people, or as one JSON object with `--json` (its
//! field names are what scripts/bench-vs-mosquitto.sh reads).

use serde::Serialize;

use super::histogram::LatencySummary;
use super::live::{counted, thousands};
use super::process::ProcessSummary;
use super::target::TargetInfo;

#[derive(Debug, Serialize)]
pub struct Summary {
    /// pub, sub, conn or latency.
    pub command: &'static str,
    pub target: TargetInfo,
    /// The flags of the run (the password left out).
    pub settings: serde_json::Value,
    /// 1, 5 and 15-minute load averages at the end: a busy machine gives lower figures.
    pub load_average: Option<[f64; 3]>,
    /// Length of the measured window (publishing, or receiving for `sub`, or connecting for `conn`).
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<PublishSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receive: Option<ReceiveSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<ConnectionSummary>,
    /// The broker's process (--pid): CPU share and memory over the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_process: Option<ProcessSummary>,
    /// This bench process's CPU over the measured window, % of one core (near 100 × cores: the tool
    /// itself may be the limit; with the embedded broker it includes the broker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_cpu_percent: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct PublishSummary {
    pub clients: usize,
    /// Messages written to the sockets.
    pub sent: u64,
    pub sent_per_second: f64,
    /// PUBACKs (QoS 1) or PUBCOMPs (QoS 2) received; none for QoS 0.
    pub acknowledged: u64,
    /// Connection errors during the run (each followed by a reconnect).
    pub errors: u64,
}

#[derive(Debug, Serialize)]
pub struct ReceiveSummary {
    pub clients: usize,
    /// Every message received by every subscriber, after the drain.
    pub received: u64,
    /// Received during the measured window, per second (what the broker delivered while loaded).
    pub received_per_second: f64,
    /// Messages without a bench stamp (not from `bench pub`/`latency`, or under 28 bytes).
    pub untracked: u64,
    /// Publisher–subscriber pairs seen.
    pub pairs: u64,
    /// `latency` only: sent × subscribers matching, and how many of those never arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_percent: Option<f64>,
    /// Sequence numbers missing below the highest one seen, per pair (loss a subscriber alone can see).
    pub gaps: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub errors: u64,
    /// From the payload's timestamp to arrival (both on this computer's clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySummary>,
}

#[derive(Debug, Serialize)]
pub struct ConnectionSummary {
    pub requested: usize,
    /// Connections that got a CONNACK accepting them.
    pub connected: usize,
    pub failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// From the first CONNECT to the last CONNACK.
    pub seconds_to_connect: f64,
    /// connected / seconds_to_connect.
    pub accepted_per_second: f64,
    pub held_seconds: f64,
    /// Connections still open at the end of the hold.
    pub still_open: usize,
    /// (broker RSS with every connection held − before the first) / connected, with --pid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_kib_per_connection: Option<f64>,
}

impl Summary {
    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        if json {
            println!("{}", serde_json::to_string(self)?);
            return Ok(());
        }
        let where_ = if self.target.embedded {
            format!(
                "embedded broker at {}:{}",
                self.target.host, self.target.port
            )
        } else {
            format!("{}:{}", self.target.host, self.target.port)
        };
        println!(
            "summary: bench {} against {where_}, {:.1} s{}",
            self.command,
            self.seconds,
            self.load_average
                .map(|l| format!(", load average {:.2}", l[0]))
                .unwrap_or_default()
        );
        if let Some(p) = &self.publish {
            println!(
                "  published   {} messages by {}, {:.0} msg/s{}{}",
                thousands(p.sent),
                counted(p.clients, "publisher"),
                p.sent_per_second,
                if p.acknowledged > 0 {
                    format!(", {} acknowledged", thousands(p.acknowledged))
                } else {
                    String::new()
                },
                errors(p.errors)
            );
        }
        if let Some(r) = &self.receive {
            println!(
                "  received    {} messages by {}, {:.0} msg/s while loaded{}",
                thousands(r.received),
                counted(r.clients, "subscriber"),
                r.received_per_second,
                errors(r.errors)
            );
            if let (Some(expected), Some(lost), Some(percent)) =
                (r.expected, r.lost, r.lost_percent)
            {
                println!(
                    "  lost        {} of {} ({percent:.2}%)",
                    thousands(lost),
                    thousands(expected)
                );
            }
            println!(
                "  sequence    {} pairs; {} gaps, {} duplicates, {} out of order{}",
                r.pairs,
                thousands(r.gaps),
                thousands(r.duplicates),
                thousands(r.out_of_order),
                if r.untracked > 0 {
                    format!("; {} without a bench stamp", thousands(r.untracked))
                } else {
                    String::new()
                }
            );
            if let Some(l) = &r.latency {
                println!(
                    "  latency     p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms (mean {:.3} ms, {} messages)",
                    l.p50_ms,
                    l.p90_ms,
                    l.p99_ms,
                    l.max_ms,
                    l.mean_ms,
                    thousands(l.count)
                );
            }
        }
        if let Some(c) = &self.connections {
            println!(
                "  connected   {} of {} in {:.2} s: {:.0} accepted per second; {} failed{}",
                thousands(c.connected as u64),
                thousands(c.requested as u64),
                c.seconds_to_connect,
                c.accepted_per_second,
                c.failed,
                c.first_error
                    .as_ref()
                    .map(|e| format!(" (first: {e})"))
                    .unwrap_or_default()
            );
            println!(
                "  held        {:.1} s, {} still open at the end",
                c.held_seconds,
                thousands(c.still_open as u64)
            );
            if let Some(kib) = c.broker_kib_per_connection {
                println!("  memory      {kib:.1} KiB of broker memory per connection");
            }
        }
        if let Some(b) = &self.broker_process {
            println!(
                "  broker pid {}: {} CPU, resident {} MiB at start, {} MiB peak, {} MiB at the end",
                b.pid,
                b.cpu_percent
                    .map(|c| format!("{c:.0}% of a core"))
                    .unwrap_or_else(|| "unknown".into()),
                mib(b.rss_kib_at_start),
                mib(Some(b.rss_kib_peak)),
                mib(b.rss_kib_at_end)
            );
        }
        if let Some(cpu) = self.tool_cpu_percent {
            println!(
                "  this tool   {cpu:.0}% of a core{}",
                if self.target.embedded {
                    " (the embedded broker included)"
                } else {
                    ""
                }
            );
        }
        Ok(())
    }
}

fn errors(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(", {n} connection errors (reconnected)")
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}
