//! Well-behaved clients connected before an attack (a subscriber with a persistent session and a
//! publisher), driven on their own threads, that record every connection they lose.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, Packet, QoS};

use super::{PATIENCE, v4_client, wait_v4_suback};

/// What a witness's driving thread saw.
#[derive(Default)]
struct Seen {
    payloads: Mutex<Vec<String>>,
    /// Connection errors after the first CONNACK: each one is a lost session or connection.
    drops: Mutex<Vec<String>>,
    stop: AtomicBool,
    connacks: AtomicUsize,
}

/// A subscriber (persistent session, QoS 1) and a publisher that stay connected through an attack.
pub struct Witnesses {
    tag: String,
    publisher: Client,
    subscriber: Client,
    subscriber_seen: Arc<Seen>,
    publisher_seen: Arc<Seen>,
    threads: Vec<JoinHandle<()>>,
    rounds: usize,
}

fn drive(mut connection: rumqttc::Connection, seen: Arc<Seen>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !seen.stop.load(Ordering::Relaxed) {
            match connection.recv_timeout(Duration::from_millis(50)) {
                Ok(Ok(Event::Incoming(Packet::Publish(p)))) => {
                    if let Ok(mut payloads) = seen.payloads.lock() {
                        payloads.push(String::from_utf8_lossy(&p.payload).into_owned());
                    }
                }
                Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                    seen.connacks.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(err)) => {
                    if let Ok(mut drops) = seen.drops.lock() {
                        drops.push(err.to_string());
                    }
                    // rumqttc reconnects on the next poll; do not spin while it cannot.
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    })
}

impl Witnesses {
    /// Connects both, subscribes, and proves one round of delivery before the attack starts.
    pub fn connect(addr: SocketAddr, tag: &str) -> Self {
        let (subscriber, mut sub_conn) = v4_client(addr, &format!("witness-sub-{tag}"), |o| {
            o.set_clean_session(false);
        });
        subscriber
            .subscribe(format!("witness/{tag}/#"), QoS::AtLeastOnce)
            .expect("subscribe queued");
        wait_v4_suback(&mut sub_conn);
        let (publisher, pub_conn) = v4_client(addr, &format!("witness-pub-{tag}"), |_| {});
        let subscriber_seen = Arc::new(Seen::default());
        let publisher_seen = Arc::new(Seen::default());
        let threads = vec![
            drive(sub_conn, subscriber_seen.clone()),
            drive(pub_conn, publisher_seen.clone()),
        ];
        let mut witnesses = Self {
            tag: tag.to_owned(),
            publisher,
            subscriber,
            subscriber_seen,
            publisher_seen,
            threads,
            rounds: 0,
        };
        witnesses.assert_delivery(20);
        witnesses
    }

    /// Publishes `count` QoS 1 messages and waits (bounded) until the subscriber has every one.
    pub fn assert_delivery(&mut self, count: usize) {
        self.rounds += 1;
        let round = self.rounds;
        let expected: Vec<String> = (0..count).map(|i| format!("round {round} #{i}")).collect();
        for payload in &expected {
            self.publisher
                .publish(
                    format!("witness/{}/round{round}", self.tag),
                    QoS::AtLeastOnce,
                    false,
                    payload.clone(),
                )
                .expect("the publisher's queue takes the message");
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let missing: Vec<&String> = {
                let got = self.subscriber_seen.payloads.lock().expect("not poisoned");
                expected.iter().filter(|p| !got.contains(p)).collect()
            };
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the witness subscriber did not get {} of {count} messages of round {round} within {PATIENCE:?} (first missing: {:?}); drops: {:?}",
                missing.len(),
                missing.first(),
                self.drops()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every connection either witness lost since it connected.
    pub fn drops(&self) -> Vec<String> {
        let mut all = Vec::new();
        for (who, seen) in [
            ("subscriber", &self.subscriber_seen),
            ("publisher", &self.publisher_seen),
        ] {
            for drop in seen.drops.lock().expect("not poisoned").iter() {
                all.push(format!("{who}: {drop}"));
            }
            let reconnects = seen.connacks.load(Ordering::Relaxed);
            if reconnects > 0 {
                all.push(format!("{who}: reconnected {reconnects} time(s)"));
            }
        }
        all
    }

    /// Neither witness lost its connection (and with it, for a moment, its session).
    pub fn assert_unbroken(&self) {
        let drops = self.drops();
        assert!(
            drops.is_empty(),
            "clients connected before the attack lost their connections: {drops:?}"
        );
    }

    /// The subscriber's client, to prove its session (subscription) is still the one it made.
    pub fn subscriber(&self) -> &Client {
        &self.subscriber
    }
}

impl Drop for Witnesses {
    fn drop(&mut self) {
        self.subscriber_seen.stop.store(true, Ordering::Relaxed);
        self.publisher_seen.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
