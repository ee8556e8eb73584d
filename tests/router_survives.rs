//! rumqttd's router thread outlives what killed it in stock rumqttd 0.20 (and with it the broker, for
//! every client; vendor/rumqttd/PATCHED.md): a client that its own bad packet gets disconnected while
//! the router had paused it for a full outgoing buffer, and topics whose first character is not ASCII.
//! Real broker, real clients over TCP.

mod common;

use common::raw::{self, ConnectOutcome, Port, Version, mqtt_string, packet};
use common::*;

/// The crash needs the client's bad packet to reach the router while the router has the client
/// paused, before the session's "ready again": about one try in a hundred hits it (without the patch
/// nine runs of 200 tries all failed, at tries 28 to 135), so try often; a try takes a few ms.
const ATTEMPTS: usize = 400;
/// Messages the client sends itself without reading: far more than the router's 200-slot
/// outgoing buffer, so the router pauses the client.
const FLOOD: usize = 2_000;

async fn broker_still_serves(addr: std::net::SocketAddr, attempt: usize) -> Result<(), String> {
    let mut stream = raw::open(Port::Tcp, addr).await?;
    raw::send(
        &mut stream,
        &raw::connect(Version::V4, &format!("after-{attempt}"), 60, None),
    )
    .await;
    match raw::read_connack(&mut stream, Version::V4, PATIENCE).await {
        ConnectOutcome::Accepted => Ok(()),
        other => Err(format!("after try {attempt} a new client got {other:?}")),
    }
}

#[test]
fn an_unsolicited_puback_from_a_paused_client_leaves_the_broker_serving_everyone() {
    let (_engine, info) = running_broker();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the raw clients");
    let verdict: Result<(), String> = runtime.block_on(async {
        let mut subscribe = vec![0, 1];
        subscribe.extend(mqtt_string(b"own"));
        subscribe.push(0);
        let mut publish_body = mqtt_string(b"own");
        publish_body.extend([b'x'; 32]);
        let flood = packet(0x30, &publish_body).repeat(FLOOD);
        for attempt in 0..ATTEMPTS {
            let mut stream = raw::open(Port::Tcp, info.tcp).await?;
            raw::send(
                &mut stream,
                &raw::connect(Version::V4, &format!("paused-{attempt}"), 60, None),
            )
            .await;
            let outcome = raw::read_connack(&mut stream, Version::V4, PATIENCE).await;
            if outcome != ConnectOutcome::Accepted {
                return Err(format!("try {attempt}: the client got {outcome:?}"));
            }
            raw::send(&mut stream, &packet(0x82, &subscribe)).await;
            raw::send(&mut stream, &flood).await;
            // A PUBACK for a message the broker never sent: rumqttd's router disconnects for it.
            raw::send(&mut stream, &packet(0x40, &77u16.to_be_bytes())).await;
            if !raw::closed_within(&mut stream, PATIENCE).await {
                return Err(format!("try {attempt}: the client was not disconnected"));
            }
            broker_still_serves(info.tcp, attempt).await?;
        }
        Ok(())
    });
    if let Err(why) = verdict {
        panic!("{why}");
    }
}

#[test]
fn topics_starting_with_a_non_ascii_character_are_delivered_live_and_retained() {
    let (_engine, info) = running_broker();
    // Retained first, while nobody subscribes: stock rumqttd panicked at the next SUBSCRIBE.
    let (publisher, mut publisher_conn) = v4_client(info.tcp, "ñandú", |_| {});
    publisher
        .publish("ñ/retained", rumqttc::QoS::AtLeastOnce, true, "kept")
        .unwrap();
    pump_v4(&mut publisher_conn, std::time::Duration::from_millis(200));
    let (subscriber, mut subscriber_conn) = v4_client(info.tcp, "élève", |_| {});
    subscriber.subscribe("#", rumqttc::QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut subscriber_conn);
    let retained = receive_v4(&mut subscriber_conn, 1);
    assert_eq!(
        retained.first().map(|r| r.topic.as_str()),
        Some("ñ/retained")
    );
    // Live, with a subscriber on `#`: stock rumqttd panicked matching the topic against the filter.
    publisher
        .publish("é/x", rumqttc::QoS::AtLeastOnce, false, "live")
        .unwrap();
    pump_v4(&mut publisher_conn, std::time::Duration::from_millis(200));
    let live = receive_v4(&mut subscriber_conn, 1);
    assert_eq!(live.first().map(|r| r.topic.as_str()), Some("é/x"));
}
