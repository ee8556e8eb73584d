//! The flags of `bench pub`, `sub`, `conn` and `latency`, and their checks (caps on every count, with
//! errors that say what to change).

use clap::Args;
use serde::Serialize;

/// The most publishers, subscribers (together) a `pub`, `sub` or `latency` run opens.
pub const MAX_CLIENTS: usize = 20_000;
/// The most connections `bench conn` opens.
pub const MAX_CONNECTIONS: usize = 100_000;
/// The longest run, in seconds.
pub const MAX_SECONDS: u64 = 3_600;
/// The largest payload, in bytes.
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// The highest rate per publisher or connection rate, per second.
pub const MAX_RATE: f64 = 1_000_000.0;
/// Descriptors kept free for the tool itself (and the embedded broker's own files).
const FD_RESERVE: u64 = 64;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BenchError {
    #[error("{flag} must be between {min} and {max}, not {given}")]
    OutOfRange {
        flag: &'static str,
        min: String,
        max: String,
        given: String,
    },
    #[error(
        "--size {size} is too small to carry a timestamp and sequence number ({min} bytes): latency and loss need at least {min}"
    )]
    PayloadTooSmallForStamp { size: usize, min: usize },
    #[error(
        "the topic \"{0}\" is not one a client may publish to (it is empty, or has + or #, or a NUL character)"
    )]
    BadTopic(String),
    #[error(
        "the filter \"{0}\" is not a valid topic filter (e.g. `bench/#`, `bench/+/x`; # only at the end)"
    )]
    BadFilter(String),
    #[error("--password needs --username")]
    PasswordWithoutUser,
    #[error("--username needs --password")]
    UserWithoutPassword,
    #[error("no process with pid {0} (--pid names the broker's process on this computer)")]
    NoSuchProcess(u32),
    #[error(
        "{connections} connections need about {needed} open files, but this process may open {allowed}; raise it with `ulimit -n {suggest}` before starting, or use fewer clients"
    )]
    TooManyFiles {
        connections: usize,
        needed: u64,
        allowed: u64,
        suggest: u64,
    },
}

/// Where to connect: an embedded broker (the default), or any broker with --host/--port.
#[derive(Debug, Clone, Args, Serialize)]
pub struct TargetArgs {
    /// Broker host; with neither --host nor --port, bench starts an embedded broker of its own on loopback.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Broker port (with --host; alone it means 127.0.0.1) [default: 1883].
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// User name to sign in with (needs --password).
    #[arg(long, value_name = "U")]
    pub username: Option<String>,
    /// Password that goes with --username.
    #[arg(long, value_name = "P")]
    #[serde(skip)]
    pub password: Option<String>,
    /// Client ids are PREFIX-pub-N, PREFIX-sub-N, PREFIX-conn-N.
    #[arg(long, value_name = "PREFIX", default_value = "bench")]
    pub client_prefix: String,
    /// The broker's process id on this computer: its CPU and memory are reported (Linux /proc).
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Print the final summary as one JSON object on stdout (the live lines go to stderr).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct PubArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Publishers.
    #[arg(short = 'c', long, default_value_t = 1)]
    pub clients: usize,
    /// Messages per second per publisher; 0 = flat out.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// QoS of the publishes (0, 1 or 2).
    #[arg(short = 'q', long, default_value_t = 0)]
    pub qos: u8,
    /// Payload size in bytes (28 or more carry a timestamp and sequence number for `bench sub`).
    #[arg(short = 's', long, default_value_t = 64)]
    pub size: usize,
    /// Topic; `%i` is the publisher's number (0, 1, …).
    #[arg(short = 't', long, default_value = "bench/%i")]
    pub topic: String,
    /// Stop each publisher after this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// QoS 1/2 messages each publisher may have unacknowledged.
    #[arg(long, default_value_t = 100)]
    pub inflight: u16,
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct SubArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Subscribers (each gets every matching message).
    #[arg(short = 'c', long, default_value_t = 1)]
    pub clients: usize,
    /// Topic filter.
    #[arg(short = 't', long, default_value = "bench/#")]
    pub topic: String,
    /// QoS of the subscription (0, 1 or 2).
    #[arg(short = 'q', long, default_value_t = 0)]
    pub qos: u8,
    /// Stop once this many messages arrived (all subscribers together).
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct ConnArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Connections to open.
    #[arg(short = 'c', long, default_value_t = 1000)]
    pub clients: usize,
    /// New connections per second; 0 = as fast as the broker takes them (--concurrency at a time).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Connections being opened at once when flat out.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// Seconds to hold every connection open once all are in (the broker's memory is read then).
    #[arg(long, default_value_t = 2)]
    pub hold: u64,
    /// Give up on connections still not in after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct LatencyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Publishers.
    #[arg(long, default_value_t = 1)]
    pub publishers: usize,
    /// Subscribers (each gets every message: publishers × subscribers pairs).
    #[arg(long, default_value_t = 1)]
    pub subscribers: usize,
    /// Messages per second per publisher; 0 = flat out.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// QoS of the publishes and the subscriptions (0, 1 or 2).
    #[arg(short = 'q', long, default_value_t = 0)]
    pub qos: u8,
    /// Payload size in bytes (at least 28: timestamp and sequence number).
    #[arg(short = 's', long, default_value_t = 64)]
    pub size: usize,
    /// Publish topic; `%i` is the publisher's number.
    #[arg(short = 't', long, default_value = "bench/%i")]
    pub topic: String,
    /// The subscribers' filter.
    #[arg(long, default_value = "bench/#")]
    pub filter: String,
    /// Stop each publisher after this many messages.
    #[arg(long)]
    pub count: Option<u64>,
    /// Stop publishing after this many seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// After publishing stops, wait up to this many seconds for the last messages to arrive.
    #[arg(long, default_value_t = 10)]
    pub drain: u64,
    /// QoS 1/2 messages each publisher may have unacknowledged.
    #[arg(long, default_value_t = 100)]
    pub inflight: u16,
}

/// The flags of a run as JSON, for the summary (the password is never in it).
pub fn settings_json<T: Serialize>(args: &T) -> serde_json::Value {
    serde_json::to_value(args).unwrap_or(serde_json::Value::Null)
}

fn range<T: PartialOrd + ToString>(
    flag: &'static str,
    given: T,
    min: T,
    max: T,
) -> Result<(), BenchError> {
    if given < min || given > max {
        return Err(BenchError::OutOfRange {
            flag,
            min: min.to_string(),
            max: max.to_string(),
            given: given.to_string(),
        });
    }
    Ok(())
}

fn rate(flag: &'static str, given: f64) -> Result<(), BenchError> {
    if !given.is_finite() {
        return Err(BenchError::OutOfRange {
            flag,
            min: "0".into(),
            max: MAX_RATE.to_string(),
            given: given.to_string(),
        });
    }
    range(flag, given, 0.0, MAX_RATE)
}

fn topic_pattern(pattern: &str) -> Result<(), BenchError> {
    let sample = super::publishers::topic_for(pattern, 0);
    if rumqttc::valid_topic(&sample) && !sample.is_empty() && !sample.contains('\0') {
        Ok(())
    } else {
        Err(BenchError::BadTopic(pattern.to_owned()))
    }
}

fn filter(filter: &str) -> Result<(), BenchError> {
    if !filter.is_empty() && !filter.contains('\0') && rumqttc::valid_filter(filter) {
        Ok(())
    } else {
        Err(BenchError::BadFilter(filter.to_owned()))
    }
}

fn count(count: Option<u64>) -> Result<(), BenchError> {
    match count {
        Some(n) => range("--count", n, 1, u64::MAX / 2),
        None => Ok(()),
    }
}

impl TargetArgs {
    pub fn check(&self, connections: usize) -> Result<(), BenchError> {
        match (&self.username, &self.password) {
            (None, Some(_)) => return Err(BenchError::PasswordWithoutUser),
            (Some(_), None) => return Err(BenchError::UserWithoutPassword),
            _ => {}
        }
        if let Some(pid) = self.pid
            && !super::process::exists(pid)
        {
            return Err(BenchError::NoSuchProcess(pid));
        }
        self.check_open_files(connections)
    }

    pub fn embedded(&self) -> bool {
        self.host.is_none() && self.port.is_none()
    }

    /// Each connection is one open file here; with the embedded broker in this process, 3 more (the
    /// port's two sockets and rumqttd's one).
    fn check_open_files(&self, connections: usize) -> Result<(), BenchError> {
        let Some(limit) = crate::engine::limits::open_files_limit() else {
            return Ok(());
        };
        let per_connection = if self.embedded() { 4 } else { 1 };
        let needed = connections as u64 * per_connection + FD_RESERVE;
        if needed > limit.soft {
            return Err(BenchError::TooManyFiles {
                connections,
                needed,
                allowed: limit.soft,
                suggest: needed.next_power_of_two(),
            });
        }
        Ok(())
    }
}

impl PubArgs {
    pub fn check(&self) -> Result<(), BenchError> {
        range("--clients", self.clients, 1, MAX_CLIENTS)?;
        rate("--rate", self.rate)?;
        range("--qos", self.qos, 0, 2)?;
        range("--size", self.size, 0, MAX_PAYLOAD)?;
        range("--seconds", self.seconds, 1, MAX_SECONDS)?;
        range("--inflight", self.inflight, 1, u16::MAX)?;
        count(self.count)?;
        topic_pattern(&self.topic)?;
        self.target.check(self.clients)
    }
}

impl SubArgs {
    pub fn check(&self) -> Result<(), BenchError> {
        range("--clients", self.clients, 1, MAX_CLIENTS)?;
        range("--qos", self.qos, 0, 2)?;
        range("--seconds", self.seconds, 1, MAX_SECONDS)?;
        count(self.count)?;
        filter(&self.topic)?;
        self.target.check(self.clients)
    }
}

impl ConnArgs {
    pub fn check(&self) -> Result<(), BenchError> {
        range("--clients", self.clients, 1, MAX_CONNECTIONS)?;
        rate("--rate", self.rate)?;
        range("--concurrency", self.concurrency, 1, 10_000)?;
        range("--hold", self.hold, 0, MAX_SECONDS)?;
        range("--seconds", self.seconds, 1, MAX_SECONDS)?;
        self.target.check(self.clients)
    }
}

impl LatencyArgs {
    pub fn check(&self) -> Result<(), BenchError> {
        range("--publishers", self.publishers, 1, MAX_CLIENTS)?;
        range("--subscribers", self.subscribers, 1, MAX_CLIENTS)?;
        range(
            "--publishers plus --subscribers",
            self.publishers + self.subscribers,
            2,
            MAX_CLIENTS,
        )?;
        rate("--rate", self.rate)?;
        range("--qos", self.qos, 0, 2)?;
        range("--seconds", self.seconds, 1, MAX_SECONDS)?;
        range("--drain", self.drain, 0, MAX_SECONDS)?;
        range("--inflight", self.inflight, 1, u16::MAX)?;
        count(self.count)?;
        if self.size < super::payload::STAMP_LEN || self.size > MAX_PAYLOAD {
            if self.size > MAX_PAYLOAD {
                range("--size", self.size, super::payload::STAMP_LEN, MAX_PAYLOAD)?;
            }
            return Err(BenchError::PayloadTooSmallForStamp {
                size: self.size,
                min: super::payload::STAMP_LEN,
            });
        }
        topic_pattern(&self.topic)?;
        filter(&self.filter)?;
        self.target.check(self.publishers + self.subscribers)
    }
}
