//! Memory bombs through the topic tree, on the real broker with the app's own subscriber: topics of
//! thousands of levels cost the tree their length, not its square, and the tree stays within its
//! byte budget. This binary counts every allocation (a counting global allocator) to measure it.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use mqtt_playground::engine::monitor::MonitorCommand;
use mqtt_playground::engine::{Command, Engine};
use rumqttc::{Connection, Event as MqttEvent, Packet, QoS};

/// Bytes currently allocated by the whole process (every thread: broker, engine, test).
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A first level of 1,000 bytes, then 5,000 short levels (about 16 kB in all).
fn deep_topic(tag: usize) -> String {
    let mut topic = format!("bomb{tag}-");
    topic.push_str(&"x".repeat(1_000 - topic.len()));
    for level in 0..5_000 {
        topic.push_str(&format!("/{}", level % 100));
    }
    topic
}

fn wait_acks(connection: &mut Connection, count: usize) {
    let mut acked = 0;
    let deadline = Instant::now() + PATIENCE;
    while acked < count {
        assert!(
            Instant::now() < deadline,
            "only {acked} of {count} publishes were acknowledged"
        );
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(MqttEvent::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(err)) => panic!("publisher lost its connection: {err}"),
        }
    }
}

fn watch_everything(engine: &Engine) {
    engine
        .call(
            Command::Monitor(MonitorCommand::Subscribe {
                filter: "#".to_owned(),
                qos: 0,
            }),
            PATIENCE,
        )
        .expect("the engine answers")
        .expect("the subscription is taken");
    wait_for_snapshot(engine, "the subscriber is subscribed", |s| {
        s.monitor.subscribed
    });
}

#[test]
fn deep_topics_cost_the_tree_their_length_and_stay_under_its_budget() {
    const TOPICS: usize = 4;
    let (engine, info) = running_broker();
    watch_everything(&engine);
    let (client, mut connection) = v4_client(info.tcp, "deep-topic-publisher", |options| {
        options.set_max_packet_size(1 << 20, 1 << 20);
    });
    let topics: Vec<String> = (0..TOPICS).map(deep_topic).collect();
    // Warm up every path once (log, tree, router) with an ordinary topic, then measure.
    client
        .publish("warm/up", QoS::AtLeastOnce, false, b"1".to_vec())
        .unwrap();
    wait_acks(&mut connection, 1);
    let deadline = Instant::now() + PATIENCE;
    while engine.log().read(|s| s.tree.find("warm/up").is_none()) {
        assert!(
            Instant::now() < deadline,
            "the warm-up message never reached the tree"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = ALLOCATED.load(Ordering::Relaxed);

    for topic in &topics {
        client
            .publish(topic.as_str(), QoS::AtLeastOnce, false, b"boom".to_vec())
            .unwrap();
    }
    wait_acks(&mut connection, TOPICS);
    let deadline = Instant::now() + PATIENCE;
    while !engine
        .log()
        .read(|s| topics.iter().all(|t| s.tree.find(t).is_some()))
    {
        assert!(
            Instant::now() < deadline,
            "the deep topics never reached the tree"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let grown = ALLOCATED.load(Ordering::Relaxed).saturating_sub(before);

    let topic_bytes: usize = topics.iter().map(String::len).sum();
    let (tree_bytes, budget, shown) = engine.log().read(|s| {
        let id = s.tree.find(&topics[0]).unwrap();
        (
            s.tree.approx_bytes(),
            s.tree.byte_budget(),
            s.tree.topic(id),
        )
    });
    println!(
        "{TOPICS} topics of {} bytes: the process grew by {grown} bytes, the tree counts {tree_bytes}",
        topics[0].len()
    );
    assert_eq!(shown, topics[0], "the tree gives the whole topic back");
    assert!(
        tree_bytes <= budget,
        "{tree_bytes} bytes over the tree's budget of {budget}"
    );
    assert!(
        tree_bytes < 4 * topic_bytes + 256 * 1024,
        "the tree counts {tree_bytes} bytes for {topic_bytes} bytes of topics"
    );
    // Copying each level's prefix cost ~40 MB per topic here; the whole process (broker, log, tree)
    // now grows by a small multiple of what was sent.
    assert!(
        grown < 24 * 1024 * 1024,
        "the process grew by {grown} bytes for {topic_bytes} bytes of topics"
    );
}
