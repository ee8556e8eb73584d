//! `mqtt-playground bench`: a load tool for any MQTT broker (`pub`, `sub`, `conn`, `latency`), and the
//! older built-in figures (`bench` alone, `bench --monitor`). Prints figures; asserts nothing.

use clap::{Args, Subcommand};

pub mod args;
mod clients;
mod histogram;
mod legacy;
mod live;
mod load;
mod monitor;
mod payload;
mod process;
mod publishers;
mod run_conn;
mod run_latency;
mod run_pub;
mod run_sub;
mod sequence;
mod subscribers;
pub mod summary;
mod target;

pub use args::{BenchError, ConnArgs, LatencyArgs, PubArgs, SubArgs, TargetArgs};
pub use legacy::LegacyArgs;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// Without a subcommand: the built-in figures (throughput and accept rate through the app's port
    /// and straight into rumqttd's listener), or `--monitor`.
    #[command(flatten)]
    pub legacy: LegacyArgs,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// N publishers at a rate each, or flat out (any broker with --host/--port; an embedded one by default).
    Pub(PubArgs),
    /// N subscribers to a filter: counts what arrives, its rate, and gaps in `bench pub`'s sequence numbers.
    Sub(SubArgs),
    /// Opens N connections (flat out or at a rate) and holds them: accept rate, failures, broker memory.
    Conn(ConnArgs),
    /// Publishers and subscribers together: end-to-end latency (p50/p90/p99/max), loss, duplicates and
    /// out-of-order per publisher–subscriber pair.
    #[command(alias = "pubsub")]
    Latency(LatencyArgs),
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.command {
        None if args.legacy.monitor => monitor::run(&args.legacy),
        None => legacy::run(&args.legacy),
        Some(BenchCommand::Pub(a)) => run_pub::run(a),
        Some(BenchCommand::Sub(a)) => run_sub::run(a),
        Some(BenchCommand::Conn(a)) => run_conn::run(a),
        Some(BenchCommand::Latency(a)) => run_latency::run(a),
    }
}

/// The tokio runtime every subcommand drives its clients on: one worker per core.
fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("bench-client")
        .enable_all()
        .build()?)
}
