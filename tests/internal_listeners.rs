//! The front door spreads clients over several internal rumqttd listeners (by client id); sessions,
//! last wills and client-id takeover still behave as on one broker, whichever listener a client lands on.

mod common;

use std::time::Duration;

use common::*;
use mqtt_playground::engine::internal_listeners::LISTENERS_PER_VERSION;
use rumqttc::{LastWill, MqttOptions, QoS};

/// Enough ids that, hashed over the listeners, every listener serves some of them.
fn ids(prefix: &str) -> Vec<String> {
    (0..LISTENERS_PER_VERSION * 3)
        .map(|i| format!("{prefix}-{i}"))
        .collect()
}

#[test]
fn persistent_sessions_are_found_again_on_every_listener() {
    let (_engine, info) = running_broker();
    let persistent = |o: &mut MqttOptions| {
        o.set_clean_session(false);
    };
    let ids = ids("pupil");
    for id in &ids {
        let (sub, mut conn) = v4_client(info.tcp, id, persistent);
        sub.subscribe(format!("homework/{id}"), QoS::AtLeastOnce)
            .unwrap();
        wait_v4_suback(&mut conn);
        sub.disconnect().unwrap();
        pump_v4(&mut conn, Duration::from_millis(50));
    }
    let (publisher, mut pub_conn) = v4_client(info.tcp, "teacher", |_| {});
    for id in &ids {
        publisher
            .publish(
                format!("homework/{id}"),
                QoS::AtLeastOnce,
                false,
                id.clone(),
            )
            .unwrap();
    }
    pump_v4(&mut pub_conn, Duration::from_millis(500));
    for id in &ids {
        let (_again, mut conn) = v4_client(info.tcp, id, persistent);
        let got = receive_v4(&mut conn, 1);
        assert_eq!(
            got.first().map(|r| r.payload.as_slice()),
            Some(id.as_bytes()),
            "{id}'s queued message reached its reconnected session"
        );
    }
}

#[test]
fn a_second_connection_takes_over_on_every_listener() {
    let (_engine, info) = running_broker();
    for id in ids("desk") {
        let (_first, mut first_conn) = v4_client(info.tcp, &id, |_| {});
        let (second, mut second_conn) = v4_client(info.tcp, &id, |_| {});
        let deadline = std::time::Instant::now() + PATIENCE;
        let mut dropped = false;
        while !dropped && std::time::Instant::now() < deadline {
            dropped = matches!(
                first_conn.recv_timeout(Duration::from_millis(100)),
                Ok(Err(_))
            );
        }
        assert!(dropped, "the older connection of {id} is disconnected");
        second.subscribe("still/here", QoS::AtMostOnce).unwrap();
        wait_v4_suback(&mut second_conn);
    }
}

#[test]
fn every_listener_delivers_last_wills_to_subscribers_on_the_others() {
    let (engine, info) = running_broker();
    let (watcher, mut watcher_conn) = v4_client(info.tcp, "will-watcher", |_| {});
    watcher.subscribe("wills/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut watcher_conn);
    let ids = ids("laptop");
    let mut doomed = Vec::new();
    for id in &ids {
        let (client, conn) = v4_client(info.tcp, id, |o| {
            o.set_last_will(LastWill::new(
                format!("wills/{id}"),
                "offline",
                QoS::AtLeastOnce,
                false,
            ));
        });
        doomed.push((client, conn));
    }
    wait_for_snapshot(&engine, "every laptop listed", |s| {
        ids.iter()
            .all(|id| s.clients.iter().any(|c| &c.client_id == id))
    });
    drop(doomed);
    let mut got: Vec<String> = receive_v4(&mut watcher_conn, ids.len())
        .into_iter()
        .map(|r| r.topic)
        .collect();
    got.sort();
    let mut wanted: Vec<String> = ids.iter().map(|id| format!("wills/{id}")).collect();
    wanted.sort();
    assert_eq!(got, wanted, "one will per killed client");
}

#[test]
fn clients_without_an_id_and_v5_clients_share_the_router() {
    let (_engine, info) = running_broker();
    let (sub, mut sub_conn) = v5::client(info.tcp, "v5-listener", |_| {});
    sub.subscribe("anon/#", rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
        .unwrap();
    v5::wait_suback(&mut sub_conn);
    // Clients without an id go round robin over the 3.1.1 listeners.
    for i in 0..LISTENERS_PER_VERSION {
        let (client, mut conn) = v4_client(info.tcp, "", |_| {});
        client
            .publish(format!("anon/{i}"), QoS::AtLeastOnce, false, "hi")
            .unwrap();
        pump_v4(&mut conn, Duration::from_millis(100));
    }
    let got = v5::receive(&mut sub_conn, LISTENERS_PER_VERSION);
    assert_eq!(got.len(), LISTENERS_PER_VERSION);
}
