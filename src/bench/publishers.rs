//! Bench publishers: each connects, waits for the start, then publishes stamped messages at its rate
//! (phases spread so N publishers at 1/s do not all fire at once) or flat out, until the deadline or
//! its count; then, once every publisher has finished, disconnects after everything it queued went out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Outgoing, Packet, QoS};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::clients;
use super::payload::{self, Stamp};
use super::target::Target;

/// How long a QoS 1/2 publisher waits for its last acknowledgements before it disconnects.
const ACK_PATIENCE: Duration = Duration::from_secs(5);

/// What every publisher of a run does.
#[derive(Debug, Clone)]
pub struct PublishPlan {
    pub clients: usize,
    /// Topic pattern; `%i` is the publisher's number.
    pub topic: String,
    pub qos: u8,
    pub size: usize,
    /// Messages per second per publisher; 0 = flat out.
    pub rate: f64,
    pub count: Option<u64>,
    pub inflight: u16,
    /// Random per run: stamped into every payload.
    pub run: u32,
}

/// Counters the publishers keep while running.
#[derive(Default)]
pub struct PublishCounters {
    /// Per publisher: messages written to the socket (rumqttc's Outgoing::Publish).
    pub sent: Vec<AtomicU64>,
    /// Per publisher: QoS 1 PUBACKs and QoS 2 PUBCOMPs.
    pub acknowledged: Vec<AtomicU64>,
    /// Connection errors after the start (each followed by a reconnect).
    pub errors: AtomicU64,
    /// Publishers that finished publishing (deadline or count).
    pub finished: AtomicUsize,
    /// Publishers whose DISCONNECT went out (everything they queued was written before it).
    pub disconnected: AtomicUsize,
    /// Told once every publisher has finished: the signal to disconnect.
    pub all_finished: Notify,
}

impl PublishCounters {
    pub fn total_sent(&self) -> u64 {
        self.sent.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    pub fn total_acknowledged(&self) -> u64 {
        self.acknowledged
            .iter()
            .map(|s| s.load(Ordering::Relaxed))
            .sum()
    }
}

/// The start signal: when publishing starts and when it must stop.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub deadline: Instant,
}

pub struct Publishers {
    pub counters: Arc<PublishCounters>,
    pub start: watch::Sender<Option<Window>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

pub fn topic_for(pattern: &str, index: usize) -> String {
    pattern.replace("%i", &index.to_string())
}

pub fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Connects every publisher (a bounded number at a time); fails if any cannot connect.
pub async fn connect_all(target: &Target, plan: &PublishPlan) -> anyhow::Result<Publishers> {
    let counters = Arc::new(PublishCounters {
        sent: (0..plan.clients).map(|_| AtomicU64::new(0)).collect(),
        acknowledged: (0..plan.clients).map(|_| AtomicU64::new(0)).collect(),
        ..PublishCounters::default()
    });
    let (start, start_rx) = watch::channel(None);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(clients::CONNECTS_AT_ONCE));
    let deadline = clients::setup_deadline(plan.clients);
    let max_packet = plan.size + plan.topic.len() + 64;
    let mut tasks = Vec::with_capacity(plan.clients * 2);
    for index in 0..plan.clients {
        let (client, eventloop) = target.client(
            format!("{}-pub-{index}", target.prefix),
            plan.inflight,
            max_packet,
        );
        tasks.push(tokio::spawn(drive(
            index,
            eventloop,
            counters.clone(),
            gate.clone(),
            deadline,
            ready_tx.clone(),
        )));
        tasks.push(tokio::spawn(publish(
            index,
            client,
            plan.clone(),
            counters.clone(),
            start_rx.clone(),
        )));
    }
    drop(ready_tx);
    if let Err(e) = clients::await_setup("publishers", plan.clients, &mut ready_rx).await {
        for task in &tasks {
            task.abort();
        }
        return Err(e);
    }
    Ok(Publishers {
        counters,
        start,
        tasks,
    })
}

impl Publishers {
    /// Waits (at most `patience`) until every publisher's DISCONNECT went out, then ends the tasks.
    pub async fn finish(self, patience: Duration) {
        let until = Instant::now() + patience;
        while self.counters.disconnected.load(Ordering::Relaxed) < self.counters.sent.len()
            && Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for task in self.tasks {
            task.abort();
        }
    }
}

/// The event loop of one publisher: counts what went out and what was acknowledged.
async fn drive(
    index: usize,
    mut eventloop: EventLoop,
    counters: Arc<PublishCounters>,
    gate: Arc<Semaphore>,
    deadline: Instant,
    ready: mpsc::UnboundedSender<Result<(), String>>,
) {
    let connected = clients::connect(&mut eventloop, &gate, deadline).await;
    let failed = connected.is_err();
    let _ = ready.send(connected);
    if failed {
        return;
    }
    loop {
        match eventloop.poll().await {
            Ok(Event::Outgoing(Outgoing::Publish(_))) => {
                counters.sent[index].fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_))) => {
                counters.acknowledged[index].fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                counters.disconnected.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(_) => {}
            Err(rumqttc::ConnectionError::RequestsDone) => return,
            Err(_) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One publisher's messages: publishing is its own task, never the one polling (rumqttc #1025).
async fn publish(
    index: usize,
    client: AsyncClient,
    plan: PublishPlan,
    counters: Arc<PublishCounters>,
    mut start: watch::Receiver<Option<Window>>,
) {
    let Ok(window) = start.wait_for(Option::is_some).await.map(|w| *w) else {
        return;
    };
    let Some(window) = window else { return };
    let topic = topic_for(&plan.topic, index);
    let qos = qos(plan.qos);
    let limit = plan.count.unwrap_or(u64::MAX);
    // Publisher i starts i/N of a period late, so N publishers at R/s spread evenly over time.
    let period = if plan.rate > 0.0 {
        1.0 / plan.rate
    } else {
        0.0
    };
    let phase = period * index as f64 / plan.clients.max(1) as f64;
    let first = window.start + Duration::from_secs_f64(phase);
    let mut sequence: u64 = 0;
    while sequence < limit {
        if period > 0.0 {
            let due = first + Duration::from_secs_f64(period * sequence as f64);
            if due >= window.deadline {
                break;
            }
            tokio::time::sleep_until(due).await;
        } else if Instant::now() >= window.deadline {
            break;
        }
        let stamp = Stamp {
            run: plan.run,
            publisher: index as u32,
            sequence,
            sent_ns: payload::now_ns(),
        };
        if client
            .publish(&topic, qos, false, payload::encode(stamp, plan.size))
            .await
            .is_err()
        {
            break;
        }
        sequence += 1;
    }
    // Registered before this publisher counts itself finished, so the last one's signal reaches it.
    let everyone_finished = counters.all_finished.notified();
    tokio::pin!(everyone_finished);
    everyone_finished.as_mut().enable();
    // Finished once what it published went out: then no publisher disconnects before another's
    // last message is on its way.
    reach(
        &counters.sent[index],
        sequence,
        window.deadline,
        Duration::from_millis(1),
    )
    .await;
    if counters.finished.fetch_add(1, Ordering::AcqRel) + 1 >= plan.clients {
        counters.all_finished.notify_waiters();
    }
    // A broker may close on DISCONNECT before acknowledging what came just before it: wait for the
    // acknowledgements first (bounded: a broker may never send some).
    if plan.qos > 0 {
        let until = Instant::now() + ACK_PATIENCE;
        reach(
            &counters.acknowledged[index],
            sequence,
            until,
            Duration::from_millis(5),
        )
        .await;
    }
    // Connected until every publisher has finished (or the run's time is up): one that left as
    // soon as it was done had the broker handle its DISCONNECT while the others' messages were
    // still being timed, so a paced run's last second measured a storm of disconnects.
    if counters.finished.load(Ordering::Acquire) < plan.clients {
        let _ = tokio::time::timeout_at(window.deadline, everyone_finished).await;
    }
    // Queued after every publish: when it goes out, so did they.
    let _ = client.disconnect().await;
}

/// Waits until `counter` reaches `target`, looking every `step`, and no longer than `until`.
async fn reach(counter: &AtomicU64, target: u64, until: Instant, step: Duration) {
    while counter.load(Ordering::Acquire) < target && Instant::now() < until {
        tokio::time::sleep(step).await;
    }
}
