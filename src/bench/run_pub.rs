//! `bench pub`: N publishers at a rate or flat out, against the embedded broker or any other.

use std::time::Duration;

use super::args::PubArgs;
use super::load::{self, LoadPlan};
use super::publishers::PublishPlan;
use super::summary::Summary;
use super::target::Target;

pub fn run(args: &PubArgs) -> anyhow::Result<()> {
    args.check()?;
    let target = Target::open(&args.target)?;
    let plan = LoadPlan {
        publish: Some(PublishPlan {
            clients: args.clients,
            topic: args.topic.clone(),
            qos: args.qos,
            size: args.size,
            rate: args.rate,
            count: args.count,
            inflight: args.inflight,
            run: rand::random(),
        }),
        subscribe: None,
        seconds: args.seconds,
        receive_count: None,
        drain: Duration::from_secs(5),
        pid: args.target.pid,
        json: args.target.json,
    };
    let outcome = super::client_runtime()?.block_on(load::run(&target, &plan))?;
    Summary {
        command: "pub",
        target: target.info(),
        settings: super::args::settings_json(args),
        load_average: super::process::load_average(),
        seconds: outcome.seconds,
        publish: outcome.publish,
        receive: None,
        connections: None,
        broker_process: outcome.process,
        tool_cpu_percent: outcome.tool_cpu_percent,
    }
    .print(args.target.json)
}
