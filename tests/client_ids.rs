//! Client ids rumqttd's router refuses (`/ + # $`) work through the front door, as on Mosquitto,
//! and nothing a client sends in its CONNECT can take the broker down for others.

mod common;

use std::time::Duration;

use common::*;
use mqtt_playground::engine::Event;
use rumqttc::{ConnectionError, LastWill, MqttOptions, QoS};

/// Tries one MQTT 3.1.1 connection; Ok when the broker answered with a successful CONNACK.
#[allow(clippy::result_large_err)]
fn try_v4_connect(
    addr: std::net::SocketAddr,
    id: &str,
    configure: impl FnOnce(&mut MqttOptions),
) -> Result<(rumqttc::Client, rumqttc::Connection), ConnectionError> {
    let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    configure(&mut options);
    let (client, mut connection) = rumqttc::Client::new(options, 100);
    wait_v4_connack(&mut connection)?;
    Ok((client, connection))
}

#[test]
fn an_id_with_a_slash_twice_does_not_lock_out_other_clients() {
    let (_engine, info) = running_broker();
    // Before the fix the router refused these silently and the second one poisoned the listener.
    let first = try_v4_connect(info.tcp, "room/12", |_| {}).map(|_| ());
    let second = try_v4_connect(info.tcp, "room/12", |_| {}).map(|_| ());
    let normal = try_v4_connect(info.tcp, "plain-client", |_| {}).map(|_| ());
    assert!(
        normal.is_ok(),
        "an ordinary client must still connect after `room/12` tried twice: {normal:?}"
    );
    assert!(
        first.is_ok() && second.is_ok(),
        "a client id with a slash is legal MQTT and must connect: {first:?} {second:?}"
    );
}

/// Waits (bounded) for an engine event matching `check`.
fn wait_for_event(
    engine: &mqtt_playground::engine::Engine,
    what: &str,
    check: impl Fn(&Event) -> bool,
) -> Event {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if let Some(event) = engine.events().next_timeout(Duration::from_millis(200))
            && check(&event)
        {
            return event;
        }
    }
    panic!("timed out waiting for the event: {what}");
}

/// True when the connection is lost within the patience bound (taken over, refused).
fn is_dropped(connection: &mut rumqttc::Connection) -> bool {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if let Ok(Err(_)) = connection.recv_timeout(Duration::from_millis(100)) {
            return true;
        }
    }
    false
}

#[test]
fn the_clients_table_and_events_show_the_clients_own_id() {
    let (engine, info) = running_broker();
    let (_client, _conn) = v4_client(info.tcp, "room/12", |_| {});
    let event = wait_for_event(&engine, "room/12 connected", |e| {
        matches!(e, Event::ClientConnected { .. })
    });
    let Event::ClientConnected { client_id, .. } = event else {
        unreachable!()
    };
    assert_eq!(client_id, "room/12");
    wait_for_snapshot(&engine, "room/12 listed under its own id", |s| {
        s.clients.iter().any(|c| &*c.client_id == "room/12")
    });
}

#[test]
fn a_second_connection_with_the_same_special_id_takes_over_the_first() {
    let (_engine, info) = running_broker();
    let (_first, mut first_conn) = v4_client(info.tcp, "$lab+#1", |_| {});
    let (second, mut second_conn) = v4_client(info.tcp, "$lab+#1", |_| {});
    assert!(
        is_dropped(&mut first_conn),
        "the older connection with the same id is disconnected"
    );
    // The newer one is the one that stays.
    second.subscribe("still/here", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut second_conn);
}

#[test]
fn an_id_that_looks_escaped_is_a_different_client() {
    let (_engine, info) = running_broker();
    let (_slash, mut slash_conn) = v4_client(info.tcp, "a/b", |_| {});
    // `a%2Fb` is what `a/b` would be escaped to if `%` were not escaped too.
    let (_look_alike, mut look_alike_conn) = v4_client(info.tcp, "a%2Fb", |_| {});
    let (_percent, mut percent_conn) = v4_client(info.tcp, "a%252Fb", |_| {});
    for (name, conn) in [
        ("a/b", &mut slash_conn),
        ("a%2Fb", &mut look_alike_conn),
        ("a%252Fb", &mut percent_conn),
    ] {
        // A take-over shows as an error within a second; none may come.
        let mut lost = false;
        for _ in 0..10 {
            if let Ok(Err(_)) = conn.recv_timeout(Duration::from_millis(100)) {
                lost = true;
                break;
            }
        }
        assert!(!lost, "{name} was taken over by a different client id");
    }
}

#[test]
fn a_persistent_session_with_a_special_id_gets_its_queued_messages() {
    let (_engine, info) = running_broker();
    let persistent = |o: &mut MqttOptions| {
        o.set_clean_session(false);
    };
    let (sub, mut sub_conn) = v4_client(info.tcp, "room/12", persistent);
    sub.subscribe("homework/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    disconnect_v4(&sub, &mut sub_conn);
    drop(sub_conn);

    let (publisher, mut pub_conn) = v4_client(info.tcp, "teacher", |_| {});
    publisher
        .publish("homework/1", QoS::AtLeastOnce, false, "read chapter 3")
        .unwrap();
    pump_v4(&mut pub_conn, Duration::from_millis(500));

    let (_again, mut again_conn) = v4_client(info.tcp, "room/12", persistent);
    let got = receive_v4(&mut again_conn, 1);
    assert_eq!(
        got.first().map(|r| r.payload.as_slice()),
        Some(&b"read chapter 3"[..]),
        "the queued QoS 1 message reached the reconnected persistent session"
    );
}

#[test]
fn the_will_of_a_client_with_a_special_id_is_delivered_after_a_kill() {
    let (engine, info) = running_broker();
    let (watcher, mut watcher_conn) = v4_client(info.tcp, "will-watcher", |_| {});
    watcher.subscribe("wills/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut watcher_conn);
    let (_doomed, doomed_conn) = v4_client(info.tcp, "room/13", |o| {
        o.set_last_will(LastWill::new(
            "wills/room13",
            "offline",
            QoS::AtLeastOnce,
            false,
        ));
        o.set_credentials("learner", "pw");
    });
    wait_for_snapshot(&engine, "room/13 listed", |s| {
        s.clients.iter().any(|c| &*c.client_id == "room/13")
    });
    drop(doomed_conn);
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first()
            .map(|r| (r.topic.as_str(), r.payload.as_slice())),
        Some(("wills/room13", &b"offline"[..]))
    );
}

#[test]
fn a_v5_client_with_a_special_id_and_user_properties_works() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::mqttbytes::v5::ConnectProperties;
    let (engine, info) = running_broker();
    let (sub, mut sub_conn) = v5::client(info.tcp, "lab#5/sub", |o| {
        let mut props = ConnectProperties::new();
        props.user_properties = vec![("course".to_owned(), "mqtt-101".to_owned())];
        props.session_expiry_interval = Some(60);
        o.set_connect_properties(props);
    });
    sub.subscribe("v5lab/#", QoS5::AtLeastOnce).unwrap();
    v5::wait_suback(&mut sub_conn);
    let (publisher, mut pub_conn) = v5::client(info.tcp, "$lab+5", |_| {});
    publisher
        .publish("v5lab/x", QoS5::AtLeastOnce, false, "hi")
        .unwrap();
    v5::pump(&mut pub_conn, Duration::from_millis(200));
    let got = v5::receive(&mut sub_conn, 1);
    assert_eq!(got.first().map(|r| r.payload.as_slice()), Some(&b"hi"[..]));
    wait_for_snapshot(&engine, "both v5 clients listed by their own ids", |s| {
        s.clients.iter().any(|c| &*c.client_id == "lab#5/sub")
            && s.clients.iter().any(|c| &*c.client_id == "$lab+5")
    });
}

/// Sends raw bytes and returns what came back before the connection closed (bounded).
fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 64];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&chunk[..n]);
                if out.len() >= 4 {
                    break;
                }
            }
        }
    }
    out
}

/// An MQTT CONNECT with the given protocol name, level, flags and client id (no will, no login).
fn raw_connect(name: &str, level: u8, flags: u8, client_id: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(name.len() as u16).to_be_bytes());
    body.extend_from_slice(name.as_bytes());
    body.push(level);
    body.push(flags);
    body.extend_from_slice(&30u16.to_be_bytes());
    if level == 5 {
        body.push(0); // no properties
    }
    body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
    body.extend_from_slice(client_id.as_bytes());
    let mut packet = vec![0x10];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        packet.push(byte);
        if len == 0 {
            break;
        }
    }
    packet.extend_from_slice(&body);
    packet
}

#[test]
fn an_mqtt_3_1_client_with_a_special_id_connects() {
    let (_engine, info) = running_broker();
    let answer = raw_exchange(info.tcp, &raw_connect("MQIsdp", 3, 0x02, "old/device#1"));
    assert_eq!(answer, [0x20, 0x02, 0x00, 0x00], "a successful CONNACK");
}

#[test]
fn ids_that_cannot_be_served_get_client_identifier_not_valid_and_others_still_connect() {
    let (engine, info) = running_broker();
    // Empty id with clean session off: MQTT 3.1.1 requires the refusal code 2.
    let answer = raw_exchange(info.tcp, &raw_connect("MQTT", 4, 0x00, ""));
    assert_eq!(answer, [0x20, 0x02, 0x00, 0x02]);
    let answer = raw_exchange(info.tcp, &raw_connect("MQTT", 5, 0x00, ""));
    assert_eq!(answer, [0x20, 0x03, 0x00, 0x85, 0x00]);
    // An id whose escaped form would not fit in an MQTT string.
    let huge = "/".repeat(40_000);
    let answer = raw_exchange(info.tcp, &raw_connect("MQTT", 4, 0x02, &huge));
    assert_eq!(answer, [0x20, 0x02, 0x00, 0x02]);
    let event = wait_for_event(
        &engine,
        "the refusal in Activity",
        |e| matches!(e, Event::ClientRefused { reason, .. } if reason.contains("65,535")),
    );
    assert!(event.describe().contains("shorter client id"), "{event:?}");
    // The broker is still there for everyone else.
    let (_c, _conn) = v4_client(info.tcp, "after-refusals", |_| {});
}

#[test]
fn a_v5_message_with_properties_reaches_v4_subscribers_and_breaks_nothing() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::mqttbytes::v5::{LastWill as LastWill5, PublishProperties};
    let (_engine, info) = running_broker();
    let (sub, mut sub_conn) = v4_client(info.tcp, "old-sub", |_| {});
    sub.subscribe("mixed/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    let (publisher, pub_conn) = v5::client(info.tcp, "new-pub", |o| {
        // A will with properties becomes a publish with properties too.
        let will_properties = v5::will_properties("text/plain", &[]);
        o.set_last_will(LastWill5::new(
            "mixed/will",
            "gone",
            QoS5::AtLeastOnce,
            false,
            Some(will_properties),
        ));
    });
    let props = PublishProperties {
        user_properties: vec![("k".into(), "v".into())],
        ..Default::default()
    };
    publisher
        .publish_with_properties("mixed/1", QoS5::AtLeastOnce, false, "hi", props)
        .unwrap();
    let mut pub_conn = pub_conn;
    v5::pump(&mut pub_conn, Duration::from_millis(300));
    // Before the fix rumqttd's 3.1.1 encoder panicked on the properties, which cut the subscriber
    // off and left its id poisoned: its next CONNECT shut the 3.1.1 listener for everyone.
    let got = receive_v4(&mut sub_conn, 1);
    assert_eq!(got.first().map(|r| r.payload.as_slice()), Some(&b"hi"[..]));
    drop(pub_conn);
    let got = receive_v4(&mut sub_conn, 1);
    assert_eq!(got.first().map(|r| r.topic.as_str()), Some("mixed/will"));
    drop(sub_conn);
    let again = try_v4_connect(info.tcp, "old-sub", |_| {}).map(|_| ());
    let other = try_v4_connect(info.tcp, "someone-else", |_| {}).map(|_| ());
    assert!(again.is_ok() && other.is_ok(), "{again:?} {other:?}");
}

#[test]
fn a_client_sending_a_packet_only_servers_send_is_dropped_and_breaks_nothing() {
    use std::io::{Read, Write};
    let (_engine, info) = running_broker();
    let connect = raw_connect("MQTT", 5, 0x02, "rogue");
    let mut stream = std::net::TcpStream::connect(info.tcp).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(&connect).unwrap();
    let mut connack = [0u8; 3];
    stream.read_exact(&mut connack).unwrap();
    assert_eq!(connack[0], 0x20);
    // A CONNACK from the client: rumqttd's MQTT 5 decoder panicked on it before the fix.
    stream.write_all(&[0x20, 0x03, 0x00, 0x00, 0x00]).unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    // The same id again, and anyone else, still get in.
    let answer = raw_exchange(info.tcp, &connect);
    assert_eq!(answer.first(), Some(&0x20));
    assert_eq!(answer.get(3), Some(&0x00), "CONNACK success: {answer:02X?}");
    let (_c, _conn) = v5::client(info.tcp, "after-rogue", |_| {});
}

#[test]
fn a_persistent_session_cannot_take_the_router_down_with_a_shared_subscription() {
    let (_engine, info) = running_broker();
    let (sub, mut sub_conn) = v4_client(info.tcp, "share-sub", |o| {
        o.set_clean_session(false);
        o.set_manual_acks(true);
    });
    sub.subscribe("$share/g/jobs", QoS::AtLeastOnce).unwrap();
    // Refused (the fix: the connection closes) or acknowledged.
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        match sub_conn.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)))) | Ok(Err(_)) => break,
            _ => {}
        }
    }
    // Before the fix: SUBACK, then a message left unacknowledged and a vanished client made the
    // router thread panic ("group must exists"), and no client was ever served again.
    let (publisher, mut pub_conn) = v4_client(info.tcp, "share-pub", |_| {});
    publisher
        .publish("jobs", QoS::AtLeastOnce, false, "job 1")
        .unwrap();
    pump_v4(&mut pub_conn, Duration::from_millis(100));
    // The subscriber is either refused (the fix) or holds the message unacknowledged.
    let _ = receive_v4_for(&mut sub_conn, Duration::from_millis(500));
    drop(sub_conn);
    // The same persistent session again: the router ends the old one whichever way it went.
    let again = try_v4_connect(info.tcp, "share-sub", |o| {
        o.set_clean_session(false);
    })
    .map(|_| ());
    assert!(again.is_ok(), "the session reconnects: {again:?}");
    let (c, mut conn) = v4_client(info.tcp, "after-share", |_| {});
    c.subscribe("x", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut conn);
    // A clean session may still share subscriptions.
    let (shared, mut shared_conn) = v4_client(info.tcp, "clean-share", |_| {});
    shared.subscribe("$share/g/jobs", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut shared_conn);
    publisher
        .publish("jobs", QoS::AtLeastOnce, false, "job 2")
        .unwrap();
    pump_v4(&mut pub_conn, Duration::from_millis(100));
    let got = receive_v4(&mut shared_conn, 1);
    assert_eq!(
        got.first().map(|r| r.payload.as_slice()),
        Some(&b"job 2"[..])
    );
}

#[test]
fn a_client_without_keep_alive_connects() {
    let (_engine, info) = running_broker();
    // rumqttd's listeners refused keep-alive 0 without a CONNACK; Mosquitto accepts it, and so does the app.
    let outcome = try_v4_connect(info.tcp, "no-keep-alive", |o| {
        o.set_keep_alive(Duration::ZERO);
    })
    .map(|_| ());
    assert!(outcome.is_ok(), "{outcome:?}");
    let outcome = try_v4_connect(info.tcp, "no/keep-alive", |o| {
        o.set_keep_alive(Duration::ZERO);
    })
    .map(|_| ());
    assert!(outcome.is_ok(), "{outcome:?}");
}
