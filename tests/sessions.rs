//! Sessions served straight on the router (session.rs): persistent sessions, client-id takeover and
//! last wills, immediate and delayed, for many clients at once.

mod common;

use std::time::Duration;

use common::*;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::v5::mqttbytes::v5::{LastWill as LastWill5, LastWillProperties};
use rumqttc::{LastWill, MqttOptions, QoS};

/// Clients per test.
const CLIENTS: usize = 12;

fn ids(prefix: &str) -> Vec<String> {
    (0..CLIENTS).map(|i| format!("{prefix}-{i}")).collect()
}

/// A subscriber to `wills/#`, subscribed.
fn will_watcher(
    info: &mqtt_playground::engine::RunningInfo,
    id: &str,
) -> (rumqttc::Client, rumqttc::Connection) {
    let (watcher, mut connection) = v4_client(info.tcp, id, |_| {});
    watcher.subscribe("wills/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut connection);
    (watcher, connection)
}

/// A raw MQTT 5 client, connected, with the will `wills/ID` = `will_payload` at QoS 0.
fn raw_v5_with_will(
    info: &mqtt_playground::engine::RunningInfo,
    id: &str,
    will_payload: &str,
) -> std::net::TcpStream {
    use rumqttc::v5::mqttbytes::v5::Connect;
    use std::io::{Read, Write};
    let mut bytes = bytes::BytesMut::new();
    let connect = Connect {
        keep_alive: 30,
        client_id: id.to_owned(),
        clean_start: true,
        properties: None,
    };
    let will = LastWill5::new(
        format!("wills/{id}"),
        will_payload,
        QoS5::AtMostOnce,
        false,
        None,
    );
    connect.write(&Some(will), &None, &mut bytes).unwrap();
    let mut socket = std::net::TcpStream::connect(info.tcp).unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket.write_all(&bytes).unwrap();
    let mut connack = [0u8; 64];
    assert!(socket.read(&mut connack).unwrap() > 0, "a CONNACK");
    socket
}

#[test]
fn persistent_sessions_are_found_again() {
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
        disconnect_v4(&sub, &mut conn);
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

/// The router lives for the app's life, not for one run of the broker (it runs on the broker's
/// runtime and is parked between runs): a retained message and a persistent session with a message
/// queued for it are still there after a stop and start.
#[test]
fn retained_messages_and_persistent_sessions_outlive_a_stop_and_start() {
    let (engine, info) = running_broker();
    let (sub, mut sub_conn) = v4_client(info.tcp, "keeper", |o| {
        o.set_clean_session(false);
    });
    sub.subscribe("kept/queued", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    disconnect_v4(&sub, &mut sub_conn);
    let (publisher, mut pub_conn) = v4_client(info.tcp, "keeper-teacher", |_| {});
    publisher
        .publish("kept/retained", QoS::AtLeastOnce, true, "before the stop")
        .unwrap();
    publisher
        .publish(
            "kept/queued",
            QoS::AtLeastOnce,
            false,
            "queued before the stop",
        )
        .unwrap();
    wait_v4_pubacks(&mut pub_conn, 2);
    drop(pub_conn);

    let tcp = restart_on_new_ports(&engine);

    let (_again, mut again_conn) = v4_client(tcp, "keeper", |o| {
        o.set_clean_session(false);
    });
    let got = receive_v4(&mut again_conn, 1);
    assert_eq!(
        got.first().map(|r| r.payload.as_slice()),
        Some(&b"queued before the stop"[..]),
        "the persistent session's queued message after the start"
    );
    let (late, mut late_conn) = v4_client(tcp, "keeper-late", |_| {});
    late.subscribe("kept/#", QoS::AtLeastOnce).unwrap();
    let got = receive_v4(&mut late_conn, 1);
    assert_eq!(
        got.first()
            .map(|r| (r.topic.as_str(), r.payload.as_slice(), r.retain)),
        Some(("kept/retained", &b"before the stop"[..], true)),
        "the retained message after the start"
    );
}

#[test]
fn a_second_connection_takes_over() {
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
fn every_lost_client_has_its_will_delivered() {
    let (engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "will-watcher");
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
            .all(|id| s.clients.iter().any(|c| *c.client_id == **id))
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
    for i in 0..CLIENTS {
        let (client, mut conn) = v4_client(info.tcp, "", |_| {});
        client
            .publish(format!("anon/{i}"), QoS::AtLeastOnce, false, "hi")
            .unwrap();
        pump_v4(&mut conn, Duration::from_millis(100));
    }
    let got = v5::receive(&mut sub_conn, CLIENTS);
    assert_eq!(got.len(), CLIENTS);
}

/// A v5 client whose will waits `delay_secs` after the connection is lost (its session lasts as long).
fn delayed_will_client(
    info: &mqtt_playground::engine::RunningInfo,
    id: &str,
    clean_start: bool,
) -> (rumqttc::v5::Client, rumqttc::v5::Connection) {
    v5::client(info.tcp, id, |o| {
        o.set_clean_start(clean_start);
        o.set_session_expiry_interval(Some(600));
        o.set_last_will(LastWill5::new(
            format!("wills/{id}"),
            "offline",
            QoS5::AtLeastOnce,
            false,
            Some(LastWillProperties {
                delay_interval: Some(600),
                payload_format_indicator: None,
                message_expiry_interval: None,
                content_type: None,
                response_topic: None,
                correlation_data: None,
                user_properties: vec![],
            }),
        ));
    })
}

#[test]
fn a_delayed_will_is_dropped_when_its_session_resumes() {
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "delay-watcher");
    let lost = delayed_will_client(&info, "resumer", true);
    drop(lost);
    // The same id comes back for its session within the delay: the will never goes.
    let (back, mut back_conn) = delayed_will_client(&info, "resumer", false);
    back.publish("wills/marker", QoS5::AtLeastOnce, false, "after")
        .unwrap();
    v5::pump(&mut back_conn, Duration::from_millis(300));
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first().map(|r| r.topic.as_str()),
        Some("wills/marker"),
        "the will waits out its delay and is dropped when the session resumes: {got:?}"
    );
    // Cleanly gone: no will either.
    v5::disconnect(&back, &mut back_conn);
    let (control, mut control_conn) = v4_client(info.tcp, "delay-control", |_| {});
    control
        .publish("wills/second-marker", QoS::AtLeastOnce, false, "x")
        .unwrap();
    pump_v4(&mut control_conn, Duration::from_millis(200));
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first().map(|r| r.topic.as_str()),
        Some("wills/second-marker")
    );
}

#[test]
fn a_delayed_will_goes_at_once_when_its_id_starts_a_clean_session() {
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "clean-watcher");
    let lost = delayed_will_client(&info, "restarter", true);
    drop(lost);
    // A clean start ends the old session, and with it the wait for its will.
    let (_again, mut again_conn) = delayed_will_client(&info, "restarter", true);
    v5::pump(&mut again_conn, Duration::from_millis(100));
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first()
            .map(|r| (r.topic.as_str(), r.payload.as_slice())),
        Some(("wills/restarter", &b"offline"[..]))
    );
}

#[test]
fn a_client_silent_past_its_keep_alive_is_lost_and_its_will_goes() {
    let (engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "silence-watcher");
    // Connected, then never polled again: no PINGREQ goes out, the socket stays open.
    let (_sleeper, _sleeper_conn) = v4_client(info.tcp, "sleeper", |o| {
        o.set_keep_alive(Duration::from_secs(1));
        o.set_last_will(LastWill::new(
            "wills/sleeper",
            "silent",
            QoS::AtLeastOnce,
            false,
        ));
    });
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first()
            .map(|r| (r.topic.as_str(), r.payload.as_slice())),
        Some(("wills/sleeper", &b"silent"[..])),
        "1.5 × the keep-alive without a byte: the connection counts as lost"
    );
    wait_for_snapshot(&engine, "the sleeper is no longer listed", |s| {
        !s.clients.iter().any(|c| &*c.client_id == "sleeper")
    });
}

#[test]
fn a_client_the_router_disconnects_gets_its_will_published() {
    use rumqttc::v5::mqttbytes::v5::{Publish, PublishProperties};
    use std::io::Write;
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "router-watcher");

    let mut socket = raw_v5_with_will(&info, "alias-misuser", "gone");
    // An empty topic with a topic alias nobody set: MQTT 5 says protocol error, and rumqttd's router
    // ends the session itself (with a DISCONNECT to the client).
    let mut publish = Publish::new("", QoS5::AtMostOnce, "x", None);
    publish.properties = Some(PublishProperties {
        topic_alias: Some(5),
        ..Default::default()
    });
    let mut bytes = bytes::BytesMut::new();
    publish.write(&mut bytes).unwrap();
    socket.write_all(&bytes).unwrap();

    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first()
            .map(|r| (r.topic.as_str(), r.payload.as_slice())),
        Some(("wills/alias-misuser", &b"gone"[..])),
        "a session the router ended is a lost connection: its will goes"
    );
}

/// The will a raw MQTT 5 client leaving with DISCONNECT `reason` gets published, as the watcher sees it.
fn will_after_v5_disconnect(id: &str, reason: u8) -> Option<(String, Vec<u8>)> {
    use std::io::Write;
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, &format!("{id}-watcher"));
    let mut socket = raw_v5_with_will(&info, id, "gone");
    socket.write_all(&[0xE0, 0x01, reason]).unwrap();
    receive_v4(&mut watcher_conn, 1)
        .into_iter()
        .next()
        .map(|r| (r.topic, r.payload))
}

#[test]
fn a_v5_client_that_leaves_asking_for_its_will_gets_it_published() {
    // Reason 0x04, "disconnect with will message".
    assert_eq!(
        will_after_v5_disconnect("polite-leaver", 0x04),
        Some(("wills/polite-leaver".to_owned(), b"gone".to_vec())),
        "MQTT 5's reason 0x04 asks for the will"
    );
}

#[test]
fn a_client_that_hangs_up_right_after_a_packet_the_router_refuses_gets_its_will_published() {
    use std::io::Write;
    const CLIENTS: usize = 24;
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "hangup-watcher");
    for n in 0..CLIENTS {
        let mut socket = raw_v5_with_will(&info, &format!("hangup-{n:02}"), "gone");
        // A PUBACK for a message the broker never sent (rumqttd's router ends the session for
        // it), then the connection closes at once: whichever the session notices first, the will
        // must not be handed to a link the router has already dropped.
        socket.write_all(&[0x40, 0x02, 0x00, 0x4D]).unwrap();
        drop(socket);
    }
    let mut wills: Vec<String> = receive_v4(&mut watcher_conn, CLIENTS)
        .into_iter()
        .map(|r| r.topic)
        .collect();
    wills.sort();
    let expected: Vec<String> = (0..CLIENTS)
        .map(|n| format!("wills/hangup-{n:02}"))
        .collect();
    assert_eq!(wills, expected, "every client's will was published");
}

#[test]
fn a_connect_whose_will_topic_has_a_wildcard_is_refused() {
    use std::io::{Read, Write};
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "wildcard-watcher");
    let mut connect = rumqttc::mqttbytes::v4::Connect::new("wild-will");
    connect.last_will = Some(LastWill::new("wills/#", "x", QoS::AtMostOnce, false));
    let mut bytes = bytes::BytesMut::new();
    connect.write(&mut bytes).unwrap();
    let mut socket = std::net::TcpStream::connect(info.tcp).unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket.write_all(&bytes).unwrap();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    // A CONNACK is 0x20; a connection closed without one reads as nothing.
    assert!(
        answer.first() != Some(&0x20),
        "MQTT: a will topic is a topic name, without wildcards; got {answer:?}"
    );
    // And its will never reaches anyone.
    let (control, mut control_conn) = v4_client(info.tcp, "wildcard-control", |_| {});
    control
        .publish("wills/marker", QoS::AtLeastOnce, false, "x")
        .unwrap();
    pump_v4(&mut control_conn, Duration::from_millis(200));
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(got.first().map(|r| r.topic.as_str()), Some("wills/marker"));
}

#[test]
fn a_client_that_stopped_reading_is_taken_over_at_once_and_its_will_goes() {
    use common::raw::{mqtt_string, packet};
    use std::io::{Read, Write};
    let (_engine, info) = running_broker();
    let (_watcher, mut watcher_conn) = will_watcher(&info, "stall-watcher");
    let raw_client = |id: &str, will: Option<LastWill>| {
        let mut connect = rumqttc::mqttbytes::v4::Connect::new(id);
        connect.last_will = will;
        let mut bytes = bytes::BytesMut::new();
        connect.write(&mut bytes).unwrap();
        let mut socket = std::net::TcpStream::connect(info.tcp).unwrap();
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        socket.write_all(&bytes).unwrap();
        let mut connack = [0u8; 4];
        socket.read_exact(&mut connack).unwrap();
        socket
    };
    // A client with a will, subscribed to a busy topic, that never reads again.
    let will = LastWill::new("wills/stuck", "gone", QoS::AtMostOnce, false);
    let mut stuck = raw_client("stuck", Some(will));
    let mut subscribe = vec![0, 1];
    subscribe.extend(mqtt_string(b"busy/#"));
    subscribe.push(0);
    stuck.write_all(&packet(0x82, &subscribe)).unwrap();
    let mut suback = [0u8; 5];
    stuck.read_exact(&mut suback).unwrap();
    // More than the sockets between broker and client hold, so the broker's write to it blocks.
    let mut flooder = raw_client("flooder", None);
    let mut body = mqtt_string(b"busy/x");
    body.extend([b'x'; 1024]);
    let publish = packet(0x30, &body);
    for _ in 0..24 * 1024 {
        flooder.write_all(&publish).unwrap();
    }
    // The same id connects again: the stuck session ends now (taken over: its will goes), not once
    // its write gives up a minute later.
    let (_again, _again_conn) = v4_client(info.tcp, "stuck", |_| {});
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first()
            .map(|r| (r.topic.as_str(), r.payload.as_slice())),
        Some(("wills/stuck", &b"gone"[..]))
    );
    drop(stuck);
}

#[test]
fn a_v5_client_that_leaves_reporting_an_error_gets_its_will_published() {
    // Reason 0x80, "unspecified error": MQTT 5 deletes the will only for 0x00.
    assert_eq!(
        will_after_v5_disconnect("error-leaver", 0x80),
        Some(("wills/error-leaver".to_owned(), b"gone".to_vec())),
        "only a normal disconnection (0x00) deletes the will"
    );
}
