//! `bench sub`: N subscribers to a filter, counting what arrives (and gaps in `bench pub`'s sequence
//! numbers), until --seconds or --count.

use std::time::Duration;

use super::args::SubArgs;
use super::load::{self, LoadPlan};
use super::subscribers::SubscribePlan;
use super::summary::Summary;
use super::target::Target;

pub fn run(args: &SubArgs) -> anyhow::Result<()> {
    args.check()?;
    let target = Target::open(&args.target)?;
    let plan = LoadPlan {
        publish: None,
        subscribe: Some(SubscribePlan {
            clients: args.clients,
            filter: args.topic.clone(),
            qos: args.qos,
            max_packet: super::args::MAX_PAYLOAD + 64 * 1024,
        }),
        seconds: args.seconds,
        receive_count: args.count,
        drain: Duration::ZERO,
        pid: args.target.pid,
        json: args.target.json,
    };
    let outcome = super::client_runtime()?.block_on(load::run(&target, &plan))?;
    Summary {
        command: "sub",
        target: target.info(),
        settings: super::args::settings_json(args),
        load_average: super::process::load_average(),
        seconds: outcome.seconds,
        publish: None,
        receive: outcome.receive,
        connections: None,
        broker_process: outcome.process,
        tool_cpu_percent: outcome.tool_cpu_percent,
    }
    .print(args.target.json)
}
