//! `bench latency` (alias `pubsub`): publishers and subscribers in one run; end-to-end latency from
//! the payload's timestamp, and loss, duplicates and order per publisher–subscriber pair.

use std::time::Duration;

use super::args::LatencyArgs;
use super::load::{self, LoadPlan};
use super::publishers::PublishPlan;
use super::subscribers::SubscribePlan;
use super::summary::Summary;
use super::target::Target;

pub fn run(args: &LatencyArgs) -> anyhow::Result<()> {
    args.check()?;
    let target = Target::open(&args.target)?;
    let plan = LoadPlan {
        publish: Some(PublishPlan {
            clients: args.publishers,
            topic: args.topic.clone(),
            qos: args.qos,
            size: args.size,
            rate: args.rate,
            count: args.count,
            inflight: args.inflight,
            run: rand::random(),
        }),
        subscribe: Some(SubscribePlan {
            clients: args.subscribers,
            filter: args.filter.clone(),
            qos: args.qos,
            max_packet: args.size + args.topic.len() + 64,
        }),
        seconds: args.seconds,
        receive_count: None,
        drain: Duration::from_secs(args.drain),
        pid: args.target.pid,
        json: args.target.json,
    };
    let outcome = super::client_runtime()?.block_on(load::run(&target, &plan))?;
    Summary {
        command: "latency",
        target: target.info(),
        settings: super::args::settings_json(args),
        load_average: super::process::load_average(),
        seconds: outcome.seconds,
        publish: outcome.publish,
        receive: outcome.receive,
        connections: None,
        broker_process: outcome.process,
        tool_cpu_percent: outcome.tool_cpu_percent,
    }
    .print(args.target.json)
}
