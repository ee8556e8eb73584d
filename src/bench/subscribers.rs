//! Bench subscribers: each connects, subscribes, then records every message: latency from the payload's
//! timestamp, and per publisher its sequence numbers (loss, duplicates, order).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Packet};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::clients;
use super::histogram::Latencies;
use super::payload;
use super::publishers::qos;
use super::sequence::SequenceTracker;
use super::target::Target;

#[derive(Debug, Clone)]
pub struct SubscribePlan {
    pub clients: usize,
    pub filter: String,
    pub qos: u8,
    /// The largest message expected (payload + topic).
    pub max_packet: usize,
}

/// What one subscriber saw. Locked once per message by its own task, and once a second by the live line.
#[derive(Default)]
pub struct Seen {
    pub latencies: Latencies,
    /// Latencies since the live line last took them.
    pub recent: Latencies,
    /// Per (run, publisher): the sequence numbers that arrived.
    pub pairs: HashMap<(u32, u32), SequenceTracker>,
    /// Messages without a bench stamp (other publishers, or payloads under 28 bytes).
    pub untracked: u64,
}

pub struct Subscriber {
    /// Every message received, stamped or not.
    pub received: AtomicU64,
    pub seen: Mutex<Seen>,
}

impl Subscriber {
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        // A panic while holding it cannot leave the counts half-written in a way that matters here.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Subscribers {
    pub each: Vec<Arc<Subscriber>>,
    /// Connection errors after setup (each followed by a reconnect and a new SUBSCRIBE).
    pub errors: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Subscribers {
    pub fn total_received(&self) -> u64 {
        self.each
            .iter()
            .map(|s| s.received.load(Ordering::Relaxed))
            .sum()
    }

    /// Latencies recorded since the last call, all subscribers merged.
    pub fn take_recent(&self) -> Latencies {
        let mut merged = Latencies::new();
        for subscriber in &self.each {
            let mut seen = subscriber.seen();
            merged.add(&seen.recent);
            seen.recent.reset();
        }
        merged
    }

    /// Waits until nothing new arrived for `quiet`, or `expected` arrived, or `patience` ran out.
    pub async fn drain(&self, expected: Option<u64>, quiet: Duration, patience: Duration) {
        let until = Instant::now() + patience;
        let mut last = self.total_received();
        let mut last_change = Instant::now();
        while Instant::now() < until && last_change.elapsed() < quiet {
            if expected.is_some_and(|n| last >= n) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.total_received();
            if now != last {
                last = now;
                last_change = Instant::now();
            }
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// Connects and subscribes every subscriber; fails if any cannot.
pub async fn connect_all(target: &Target, plan: &SubscribePlan) -> anyhow::Result<Subscribers> {
    let (stop, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(clients::CONNECTS_AT_ONCE));
    let deadline = clients::setup_deadline(plan.clients);
    let errors = Arc::new(AtomicU64::new(0));
    let mut each = Vec::with_capacity(plan.clients);
    let mut tasks = Vec::with_capacity(plan.clients);
    for index in 0..plan.clients {
        let subscriber = Arc::new(Subscriber {
            received: AtomicU64::new(0),
            seen: Mutex::new(Seen::default()),
        });
        let (client, eventloop) = target.client(
            format!("{}-sub-{index}", target.prefix),
            100,
            plan.max_packet,
        );
        tasks.push(tokio::spawn(run(
            client,
            eventloop,
            plan.clone(),
            subscriber.clone(),
            Setup {
                gate: gate.clone(),
                deadline,
                ready: ready_tx.clone(),
            },
            errors.clone(),
            stop_rx.clone(),
        )));
        each.push(subscriber);
    }
    drop(ready_tx);
    if let Err(e) = clients::await_setup("subscribers", plan.clients, &mut ready_rx).await {
        for task in &tasks {
            task.abort();
        }
        return Err(e);
    }
    Ok(Subscribers {
        each,
        errors,
        stop,
        tasks,
    })
}

struct Setup {
    gate: Arc<Semaphore>,
    deadline: Instant,
    ready: mpsc::UnboundedSender<Result<(), String>>,
}

async fn run(
    client: AsyncClient,
    mut eventloop: EventLoop,
    plan: SubscribePlan,
    subscriber: Arc<Subscriber>,
    setup: Setup,
    errors: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) {
    let subscribed = subscribe(&client, &mut eventloop, &plan, &setup).await;
    let failed = subscribed.is_err();
    let _ = setup.ready.send(subscribed);
    if failed {
        return;
    }
    loop {
        let event = tokio::select! {
            event = eventloop.poll() => event,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        match event {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let arrived = payload::now_ns();
                subscriber.received.fetch_add(1, Ordering::Relaxed);
                let mut seen = subscriber.seen();
                match payload::decode(&publish.payload) {
                    Some(stamp) => {
                        let latency = arrived.saturating_sub(stamp.sent_ns);
                        seen.latencies.record_ns(latency);
                        seen.recent.record_ns(latency);
                        seen.pairs
                            .entry((stamp.run, stamp.publisher))
                            .or_default()
                            .record(stamp.sequence);
                    }
                    None => seen.untracked += 1,
                }
            }
            // A reconnect (clean session) forgot the subscription: make it again.
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _ = client.try_subscribe(plan.filter.clone(), qos(plan.qos));
            }
            Ok(_) => {}
            Err(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let _ = client.try_disconnect();
    // Let the DISCONNECT go out (bounded: the broker may be gone).
    let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
}

async fn subscribe(
    client: &AsyncClient,
    eventloop: &mut EventLoop,
    plan: &SubscribePlan,
    setup: &Setup,
) -> Result<(), String> {
    clients::connect(eventloop, &setup.gate, setup.deadline).await?;
    client
        .try_subscribe(plan.filter.clone(), qos(plan.qos))
        .map_err(|e| e.to_string())?;
    loop {
        match tokio::time::timeout_at(setup.deadline, eventloop.poll()).await {
            Err(_) => return Err("no SUBACK before the setup deadline".to_owned()),
            Ok(Ok(Event::Incoming(Packet::SubAck(ack)))) => {
                return match ack.return_codes.first() {
                    Some(rumqttc::SubscribeReasonCode::Failure) => Err(format!(
                        "the broker refused the subscription to {}",
                        plan.filter
                    )),
                    _ => Ok(()),
                };
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(clients::describe(&e)),
        }
    }
}
