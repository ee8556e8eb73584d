//! A client that publishes to a new topic every time (a learner's loop over `test/{i}`) costs the
//! broker no more memory than one that publishes as much to a single topic: rumqttd kept a meter per
//! distinct topic for each connection, without bound. Alone in its binary, so the memory it measures
//! is this test's. Real broker, raw client.
//!
//! Nobody subscribes: a subscriber's log (bounded by bytes, not by messages) would hold the messages
//! and hide what the broker keeps per topic. The other store per topic, which filters match each
//! topic (bounded at 10,000 topics now, vendor/rumqttd/PATCHED.md), fills only while a filter
//! matches, so this test does not reach it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::process::{measurable, rss_kib};
use common::raw::{self, mqtt_string, packet};
use common::*;

/// Messages in each measured round, and the payload of each.
const ROUND: usize = 400_000;
const PAYLOAD: usize = 16;
/// What distinct topics may add over the same traffic to one topic. Before the fix they added about
/// 100 bytes each (40 MB for a round).
const MARGIN_KIB: u64 = 12 * 1024;

/// Publishes `count` QoS 0 messages to the topics `topic` names, then waits for the answer to a
/// PINGREQ: the router answers it after everything sent before it.
fn publish_round(socket: &mut TcpStream, count: usize, topic: impl Fn(usize) -> String) {
    let payload = vec![b'p'; PAYLOAD];
    let mut batch = Vec::new();
    for i in 0..count {
        let mut body = mqtt_string(topic(i).as_bytes());
        body.extend_from_slice(&payload);
        batch.extend(packet(0x30, &body));
        if batch.len() > 256 * 1024 {
            socket
                .write_all(&batch)
                .expect("the broker takes the round");
            batch.clear();
        }
    }
    batch.extend([0xc0, 0x00]);
    socket
        .write_all(&batch)
        .expect("the broker takes the round");
    let mut pingresp = [0u8; 2];
    socket
        .read_exact(&mut pingresp)
        .expect("a PINGRESP after the round");
    assert_eq!(pingresp, [0xd0, 0x00]);
}

#[test]
fn publishing_to_a_new_topic_each_time_costs_no_more_memory_than_to_one_topic() {
    if !measurable() {
        eprintln!(
            "SKIPPED: the memory is read from /proc/self/status (VmRSS), which only Linux has"
        );
        return;
    }
    let broker = Broker::start();
    let mut publisher = raw::connected_blocking(broker.info.tcp, "learner-loop");

    // The first round warms up what any traffic needs (the session's buffers, the allocator's).
    publish_round(&mut publisher, ROUND, |_| "same/topic".to_owned());
    let before_same = rss_kib();
    publish_round(&mut publisher, ROUND, |_| "same/topic".to_owned());
    let after_same = rss_kib();
    publish_round(&mut publisher, ROUND, |i| format!("unique/{i}/reading"));
    let after_distinct = rss_kib();

    let one_topic = after_same.saturating_sub(before_same);
    let distinct = after_distinct.saturating_sub(after_same);
    eprintln!(
        "{ROUND} messages of {PAYLOAD} B: +{one_topic} KiB to one topic, +{distinct} KiB to {ROUND} distinct topics (margin {MARGIN_KIB} KiB)"
    );
    assert!(
        distinct <= one_topic + MARGIN_KIB,
        "{ROUND} messages to distinct topics grew the broker by {distinct} KiB, against {one_topic} KiB for as many to one topic: the broker keeps something per topic"
    );
}
