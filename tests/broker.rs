//! The embedded broker through its one port, with real rumqttc clients over TCP.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::*;
use mqtt_playground::engine::{
    BrokerError, BrokerSettings, BrokerStatus, Command, Credentials, Event, ProtocolVersion,
};
use rumqttc::{ConnectReturnCode, ConnectionError, LastWill, QoS};

fn drive_in_background(mut connection: rumqttc::Connection) {
    std::thread::spawn(move || {
        for event in connection.iter() {
            if event.is_err() {
                break;
            }
        }
    });
}

fn drive5_in_background(mut connection: rumqttc::v5::Connection) {
    std::thread::spawn(move || {
        for event in connection.iter() {
            if event.is_err() {
                break;
            }
        }
    });
}

#[test]
fn v4_clients_publish_and_subscribe_at_every_qos() {
    let (_engine, info) = running_broker();
    let (sub, mut sub_conn) = v4_client(info.tcp, "v4-sub", |_| {});
    sub.subscribe("lab/#", QoS::ExactlyOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    let (publisher, pub_conn) = v4_client(info.tcp, "v4-pub", |_| {});
    drive_in_background(pub_conn);
    for (i, qos) in qos_all().into_iter().enumerate() {
        publisher
            .publish(format!("lab/qos{i}"), qos, false, format!("payload {i}"))
            .unwrap();
    }
    let got = receive_v4(&mut sub_conn, 3);
    let mut topics: Vec<_> = got
        .iter()
        .map(|r| (r.topic.clone(), r.payload.clone()))
        .collect();
    topics.sort();
    assert_eq!(
        topics,
        (0..3)
            .map(|i| (format!("lab/qos{i}"), format!("payload {i}").into_bytes()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn v5_clients_publish_and_subscribe_at_every_qos() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    let (_engine, info) = running_broker();
    let (sub, mut sub_conn) = v5::client(info.tcp, "v5-sub", |_| {});
    sub.subscribe("lab5/#", QoS5::ExactlyOnce).unwrap();
    v5::wait_suback(&mut sub_conn);
    let (publisher, pub_conn) = v5::client(info.tcp, "v5-pub", |_| {});
    drive5_in_background(pub_conn);
    for (i, qos) in [QoS5::AtMostOnce, QoS5::AtLeastOnce, QoS5::ExactlyOnce]
        .into_iter()
        .enumerate()
    {
        publisher
            .publish(
                format!("lab5/qos{i}"),
                qos,
                false,
                format!("v5 payload {i}"),
            )
            .unwrap();
    }
    let mut got: Vec<_> = v5::receive(&mut sub_conn, 3)
        .into_iter()
        .map(|r| (r.topic, r.payload))
        .collect();
    got.sort();
    assert_eq!(
        got,
        (0..3)
            .map(|i| (
                format!("lab5/qos{i}"),
                format!("v5 payload {i}").into_bytes()
            ))
            .collect::<Vec<_>>()
    );
}

/// The properties of the next `count` PUBLISHes a v5 client receives, by topic.
fn receive5_properties(
    connection: &mut rumqttc::v5::Connection,
    count: usize,
) -> Vec<(
    String,
    Option<rumqttc::v5::mqttbytes::v5::PublishProperties>,
)> {
    v5::receive_publishes(connection, count)
        .into_iter()
        .map(|p| (String::from_utf8_lossy(&p.topic).into_owned(), p.properties))
        .collect()
}

/// The router keeps a message's properties apart from the message (vendor/rumqttd/PATCHED.md):
/// they still arrive whole, live, retained and in a will.
#[test]
fn v5_message_properties_reach_subscribers_live_retained_and_in_a_will() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::mqttbytes::v5::{LastWill as LastWill5, PublishProperties};
    let (_engine, info) = running_broker();
    let sent = PublishProperties {
        content_type: Some("application/json".into()),
        response_topic: Some("props/replies".into()),
        correlation_data: Some(bytes::Bytes::from_static(b"ask-7")),
        user_properties: vec![
            ("unit".into(), "celsius".into()),
            ("room".into(), "2".into()),
        ],
        ..Default::default()
    };
    let will_properties = v5::will_properties("text/plain", &[("why", "vanished")]);
    let (live, mut live_conn) = v5::client(info.tcp, "props-live", |_| {});
    live.subscribe("props/#", QoS5::AtLeastOnce).unwrap();
    v5::wait_suback(&mut live_conn);
    let (publisher, mut pub_conn) = v5::client(info.tcp, "props-pub", |o| {
        o.set_last_will(LastWill5::new(
            "props/will",
            "gone",
            QoS5::AtLeastOnce,
            false,
            Some(will_properties),
        ));
    });
    publisher
        .publish_with_properties("props/live", QoS5::AtLeastOnce, false, "21.5", sent.clone())
        .unwrap();
    publisher
        .publish_with_properties("props/kept", QoS5::AtLeastOnce, true, "22.0", sent.clone())
        .unwrap();
    v5::pump(&mut pub_conn, Duration::from_millis(300));
    // Dropped without a DISCONNECT: the will goes out.
    drop(pub_conn);
    drop(publisher);

    let got = receive5_properties(&mut live_conn, 3);
    let properties_of = |got: &[(String, Option<PublishProperties>)], topic: &str| {
        got.iter()
            .find(|(t, _)| t == topic)
            .and_then(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("no properties on {topic}: {got:?}"))
    };
    for topic in ["props/live", "props/kept"] {
        let properties = properties_of(&got, topic);
        assert_eq!(properties.content_type, sent.content_type, "{topic}");
        assert_eq!(properties.response_topic, sent.response_topic, "{topic}");
        assert_eq!(
            properties.correlation_data, sent.correlation_data,
            "{topic}"
        );
        assert_eq!(properties.user_properties, sent.user_properties, "{topic}");
    }
    let will = properties_of(&got, "props/will");
    assert_eq!(will.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        will.user_properties,
        vec![("why".to_owned(), "vanished".to_owned())]
    );

    // A later subscriber gets the retained message with its properties from the router's store.
    let (late, mut late_conn) = v5::client(info.tcp, "props-late", |_| {});
    late.subscribe("props/kept", QoS5::AtLeastOnce).unwrap();
    let got = receive5_properties(&mut late_conn, 1);
    let kept = properties_of(&got, "props/kept");
    assert_eq!(kept.content_type, sent.content_type);
    assert_eq!(kept.correlation_data, sent.correlation_data);
    assert_eq!(kept.user_properties, sent.user_properties);
}

/// A message waits in the router's log while a persistent session is away. One whose MQTT 5 expiry
/// passed meanwhile is not delivered; one still valid arrives with the time it waited taken off its
/// expiry (the router's read of its log does both: vendor/rumqttd/PATCHED.md).
#[test]
fn v5_messages_that_expired_while_their_session_was_away_are_not_delivered() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::mqttbytes::v5::PublishProperties;
    let (_engine, info) = running_broker();
    let persistent = |o: &mut rumqttc::v5::MqttOptions| {
        o.set_clean_start(false);
        o.set_session_expiry_interval(Some(3600));
    };
    let (away, mut away_conn) = v5::client(info.tcp, "expiry-away", persistent);
    away.subscribe("expiry/#", QoS5::AtLeastOnce).unwrap();
    v5::wait_suback(&mut away_conn);
    v5::disconnect(&away, &mut away_conn);
    drop(away_conn);

    let (publisher, mut pub_conn) = v5::client(info.tcp, "expiry-pub", |_| {});
    let publish = |topic: &str, expiry: Option<u32>| {
        let properties = PublishProperties {
            message_expiry_interval: expiry,
            ..Default::default()
        };
        publisher
            .publish_with_properties(
                topic,
                QoS5::AtLeastOnce,
                false,
                topic.to_owned(),
                properties,
            )
            .unwrap();
    };
    publish("expiry/short", Some(1));
    publish("expiry/long", Some(3600));
    publish("expiry/never", None);
    v5::pump(&mut pub_conn, Duration::from_millis(300));
    // More than the short expiry passes (the router counts whole seconds) before the session is back.
    std::thread::sleep(Duration::from_millis(2500));

    let (_back, mut back_conn) = v5::client(info.tcp, "expiry-away", persistent);
    // A message sent after the return ends the wait: whatever was kept arrives before it.
    publish("expiry/after", None);
    v5::pump(&mut pub_conn, Duration::from_millis(100));
    let got = receive5_properties(&mut back_conn, 3);
    let topics: Vec<&str> = got.iter().map(|(topic, _)| topic.as_str()).collect();
    assert_eq!(
        topics,
        ["expiry/long", "expiry/never", "expiry/after"],
        "the expired message must be left out, the others kept in order"
    );
    let long_expiry = got
        .first()
        .and_then(|(_, properties)| properties.as_ref())
        .and_then(|p| p.message_expiry_interval);
    assert!(
        long_expiry.is_some_and(|s| (1..=3598).contains(&s)),
        "the kept message's expiry counts the 2 s or more it waited: {long_expiry:?}"
    );
}

#[test]
fn both_protocol_versions_share_the_one_port() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    let (engine, info) = running_broker();
    let (sub4, mut sub4_conn) = v4_client(info.tcp, "mixed-v4", |_| {});
    sub4.subscribe("mixed/from5", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub4_conn);
    let (sub5, mut sub5_conn) = v5::client(info.tcp, "mixed-v5", |_| {});
    sub5.subscribe("mixed/from4", QoS5::AtLeastOnce).unwrap();
    v5::wait_suback(&mut sub5_conn);

    // Each message comes from a client of the other version, driven in the background.
    let (pub5, pub5_conn) = v5::client(info.tcp, "mixed-pub-v5", |_| {});
    drive5_in_background(pub5_conn);
    let (pub4, pub4_conn) = v4_client(info.tcp, "mixed-pub-v4", |_| {});
    drive_in_background(pub4_conn);
    pub5.publish("mixed/from5", QoS5::AtLeastOnce, false, "hello v4")
        .unwrap();
    pub4.publish("mixed/from4", QoS::AtLeastOnce, false, "hello v5")
        .unwrap();
    let to_v4 = receive_v4(&mut sub4_conn, 1);
    let to_v5 = v5::receive(&mut sub5_conn, 1);
    assert_eq!(
        to_v4.first().map(|r| r.payload.as_slice()),
        Some(&b"hello v4"[..])
    );
    assert_eq!(
        to_v5.first().map(|r| r.payload.as_slice()),
        Some(&b"hello v5"[..])
    );

    // The clients table is the broker's own view: both clients, with their protocol versions.
    wait_for_snapshot(&engine, "both clients listed", |s| {
        let version_of = |id: &str| {
            s.clients
                .iter()
                .find(|c| &*c.client_id == id)
                .map(|c| c.version)
        };
        version_of("mixed-v4") == Some(ProtocolVersion::V311)
            && version_of("mixed-v5") == Some(ProtocolVersion::V5)
    });
}

#[test]
fn retained_messages_reach_later_subscribers() {
    let (_engine, info) = running_broker();
    let (publisher, mut pub_conn) = v4_client(info.tcp, "retainer", |_| {});
    publisher
        .publish("room/1/status", QoS::AtLeastOnce, true, "occupied")
        .unwrap();
    pump_v4(&mut pub_conn, Duration::from_millis(300));
    let (late, mut late_conn) = v4_client(info.tcp, "latecomer", |_| {});
    late.subscribe("room/+/status", QoS::AtLeastOnce).unwrap();
    let got = receive_v4(&mut late_conn, 1);
    assert_eq!(
        got,
        vec![Received {
            topic: "room/1/status".into(),
            payload: b"occupied".to_vec(),
            retain: true
        }]
    );
}

/// A payload that says which message it is in every byte, so a message from the wrong place in the
/// log cannot pass for the right one.
fn numbered_payload(number: u32, len: usize) -> Vec<u8> {
    let mut payload = number.to_be_bytes().to_vec();
    payload.resize(len, (number % 251) as u8);
    payload
}

#[test]
fn messages_arrive_whole_and_in_order_while_a_filters_log_turns_over_many_times() {
    // Each filter's log holds 16 segments of 2 MB; a 16 KiB message fills a segment in 128, so
    // 4,096 messages fill the log twice over and every later segment reuses an old one's room.
    const PAYLOAD: usize = 16 * 1024;
    const MESSAGES: u32 = 4096;
    const BATCH: u32 = 256;
    let (_engine, info) = running_broker();
    let big_packets = |options: &mut rumqttc::MqttOptions| {
        options.set_max_packet_size(64 * 1024, 64 * 1024);
    };
    let (subscriber, mut sub_conn) = v4_client(info.tcp, "log-reader", big_packets);
    subscriber
        .subscribe("log/turnover", QoS::AtMostOnce)
        .unwrap();
    wait_v4_suback(&mut sub_conn);
    let (publisher, pub_conn) = v4_client(info.tcp, "log-writer", big_packets);
    drive_in_background(pub_conn);
    for first in (0..MESSAGES).step_by(BATCH as usize) {
        for number in first..first + BATCH {
            publisher
                .publish(
                    "log/turnover",
                    QoS::AtMostOnce,
                    false,
                    numbered_payload(number, PAYLOAD),
                )
                .unwrap();
        }
        // Read each batch before the next, so the reader never falls a whole log behind.
        let got = receive_v4(&mut sub_conn, BATCH as usize);
        assert_eq!(got.len(), BATCH as usize, "messages {first}.. arrived");
        for (number, message) in (first..).zip(&got) {
            assert!(
                message.payload == numbered_payload(number, PAYLOAD),
                "message {number} arrived as message {:?}",
                message.payload.get(..4)
            );
        }
    }
}

#[test]
fn a_last_will_is_published_when_a_client_vanishes() {
    let (engine, info) = running_broker();
    let (watcher, mut watcher_conn) = v4_client(info.tcp, "will-watcher", |_| {});
    watcher
        .subscribe("devices/+/status", QoS::AtLeastOnce)
        .unwrap();
    wait_v4_suback(&mut watcher_conn);
    let (_doomed, doomed_conn) = v4_client(info.tcp, "doomed", |o| {
        o.set_last_will(LastWill::new(
            "devices/doomed/status",
            "offline",
            QoS::AtLeastOnce,
            false,
        ));
    });
    wait_for_snapshot(&engine, "doomed listed", |s| {
        s.clients.iter().any(|c| &*c.client_id == "doomed")
    });
    // Dropping the event loop closes the socket without a DISCONNECT: an abrupt loss.
    drop(doomed_conn);
    let got = receive_v4(&mut watcher_conn, 1);
    assert_eq!(
        got.first().map(|r| r.payload.as_slice()),
        Some(&b"offline"[..])
    );
    wait_for_snapshot(&engine, "doomed gone from the table", |s| {
        !s.clients.iter().any(|c| &*c.client_id == "doomed")
    });
}

#[test]
fn stop_closes_connections_and_frees_ports_and_start_works_again() {
    let (engine, info) = running_broker();
    let (_client, mut conn) = v4_client(info.tcp, "stop-victim", |_| {});
    engine.call(Command::StopBroker, PATIENCE).unwrap().unwrap();
    assert_eq!(engine.snapshot().broker, BrokerStatus::Stopped);
    assert!(engine.snapshot().clients.is_empty());
    // The client's connection is gone...
    let mut lost = false;
    for _ in 0..100 {
        if let Ok(Err(_)) = conn.recv_timeout(Duration::from_millis(100)) {
            lost = true;
            break;
        }
    }
    assert!(lost, "the client noticed the broker stopping");
    drop(conn);
    // ...new connections are refused, and the ports can be bound by anyone.
    assert!(TcpStream::connect(info.tcp).is_err());
    let tcp_port = TcpListener::bind(info.tcp).expect("TCP port is free after stop");
    let ws = info.websocket.unwrap();
    let ws_port = TcpListener::bind(ws).expect("WebSocket port is free after stop");
    drop((tcp_port, ws_port));

    // Start again on the same ports.
    let settings = BrokerSettings {
        tcp_port: info.tcp.port(),
        ws_port: Some(ws.port()),
        ..BrokerSettings::default()
    };
    let again = engine.start_broker_blocking(settings).expect("restarts");
    assert_eq!(again.tcp, info.tcp);
    let (_c, _conn) = v4_client(again.tcp, "after-restart", |_| {});
    wait_for_snapshot(&engine, "client after restart", |s| {
        s.clients.iter().any(|c| &*c.client_id == "after-restart")
    });
}

#[test]
fn a_port_in_use_gets_a_clear_error_and_a_free_alternative() {
    let squatter = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let engine = mqtt_playground::engine::Engine::start().unwrap();
    let settings = BrokerSettings {
        tcp_port: taken,
        ws_port: None,
        ..BrokerSettings::default()
    };
    let err = match engine.start_broker_blocking(settings) {
        Err(mqtt_playground::engine::StartError::Broker(err)) => err,
        other => panic!("expected a broker error, got {other:?}"),
    };
    let BrokerError::PortInUse {
        port,
        free_alternative: Some(alternative),
        ..
    } = &err
    else {
        panic!("expected PortInUse with an alternative, got {err:?}");
    };
    assert_eq!(*port, taken);
    assert!(
        err.to_string()
            .contains(&format!("port {taken} on 127.0.0.1 is already in use"))
    );
    assert!(
        err.to_string()
            .contains(&format!("Port {alternative} is free"))
    );
    // The offered port really works.
    let settings = BrokerSettings {
        tcp_port: *alternative,
        ws_port: None,
        ..BrokerSettings::default()
    };
    let info = engine
        .start_broker_blocking(settings)
        .expect("alternative port works");
    assert_eq!(info.tcp.port(), *alternative);
}

#[test]
fn a_second_start_is_refused_and_the_running_broker_is_untouched() {
    let (engine, info) = running_broker();
    let (client, mut conn) = v4_client(info.tcp, "survivor", |_| {});
    let outcome = engine
        .call(
            Command::StartBroker(BrokerSettings::loopback_any_port()),
            PATIENCE,
        )
        .unwrap();
    let message = outcome.unwrap_err();
    assert!(message.contains("already running"), "{message}");
    let events: Vec<Event> = std::iter::from_fn(|| engine.events().try_next()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::CommandRejected(_)))
    );
    // A bad restart is refused before anything stops.
    let bad = BrokerSettings {
        credentials: Some(Credentials {
            username: "teacher".into(),
            password: String::new(),
        }),
        ..BrokerSettings::loopback_any_port()
    };
    assert!(
        engine
            .call(Command::RestartBroker(bad), PATIENCE)
            .unwrap()
            .is_err()
    );
    client.subscribe("still/here", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut conn);
    assert!(matches!(engine.snapshot().broker, BrokerStatus::Running(ref i) if i.tcp == info.tcp));
}

#[test]
fn with_sign_in_on_a_wrong_password_is_refused_and_the_right_one_works() {
    let settings = BrokerSettings {
        credentials: Some(Credentials {
            username: "teacher".into(),
            password: "apple pie".into(),
        }),
        ..BrokerSettings::loopback_any_port()
    };
    let (engine, info) = running_broker_with(settings);
    let mut options = rumqttc::MqttOptions::new("intruder", "127.0.0.1", info.tcp.port());
    options.set_credentials("teacher", "banana");
    let (_c, mut conn) = rumqttc::Client::new(options, 10);
    match wait_v4_connack(&mut conn) {
        Err(ConnectionError::ConnectionRefused(code)) => {
            assert_eq!(code, ConnectReturnCode::BadUserNamePassword)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let mut options = rumqttc::MqttOptions::new("anonymous", "127.0.0.1", info.tcp.port());
    options.set_keep_alive(Duration::from_secs(30));
    let (_c, mut conn) = rumqttc::Client::new(options, 10);
    assert!(matches!(
        wait_v4_connack(&mut conn),
        Err(ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword
        ))
    ));
    let (_ok, _ok_conn) = v4_client(info.tcp, "student", |o| {
        o.set_credentials("teacher", "apple pie");
    });
    wait_for_snapshot(&engine, "student listed, intruders not", |s| {
        s.clients.iter().map(|c| &*c.client_id).collect::<Vec<_>>() == ["student"]
            && s.totals.connections_refused >= 2
    });
}

#[test]
fn the_clients_table_counts_messages_and_drops_disconnected_clients() {
    let (engine, info) = running_broker();
    let (sub, mut sub_conn) = v4_client(info.tcp, "counter-sub", |_| {});
    sub.subscribe("count/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    let (publisher, mut pub_conn) = v4_client(info.tcp, "counter-pub", |_| {});
    for i in 0..25 {
        publisher
            .publish(format!("count/{i}"), QoS::AtLeastOnce, false, "x")
            .unwrap();
    }
    pump_v4(&mut pub_conn, Duration::from_millis(200));
    assert_eq!(receive_v4(&mut sub_conn, 25).len(), 25);
    wait_for_snapshot(&engine, "per-client message counts", |s| {
        let find = |id: &str| s.clients.iter().find(|c| &*c.client_id == id).cloned();
        matches!((find("counter-pub"), find("counter-sub")),
            (Some(p), Some(s)) if p.messages_in == 25 && s.messages_out == 25 && p.bytes_in > 0)
            && s.totals.messages_in >= 25
    });
    let peer: SocketAddr = engine
        .snapshot()
        .clients
        .iter()
        .find(|c| &*c.client_id == "counter-pub")
        .map(|c| c.peer)
        .unwrap();
    assert!(peer.ip().is_loopback());
    disconnect_v4(&publisher, &mut pub_conn);
    drop(pub_conn);
    wait_for_snapshot(&engine, "publisher gone", |s| {
        s.clients.iter().all(|c| &*c.client_id != "counter-pub")
    });
    let events: Vec<Event> = std::iter::from_fn(|| engine.events().try_next()).collect();
    assert!(events.iter().any(|e| matches!(e,
        Event::ClientDisconnected { client_id, clean: true, .. } if client_id == "counter-pub")));
}

#[test]
fn garbage_and_wrong_protocols_get_words_not_panics() {
    use std::io::{Read, Write};
    let (engine, info) = running_broker();
    let mut http = TcpStream::connect(info.tcp).unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut sink = Vec::new();
    http.set_read_timeout(Some(PATIENCE)).unwrap();
    let _ = http.read_to_end(&mut sink);
    let mut rejected = None;
    for _ in 0..200 {
        if let Some(Event::ConnectionRejected { reason, .. }) =
            engine.events().next_timeout(Duration::from_millis(100))
        {
            rejected = Some(reason);
            break;
        }
    }
    let reason = rejected.expect("the HTTP request was reported");
    assert!(reason.to_lowercase().contains("websocket"), "{reason}");
    // The broker is still fine.
    let (_c, _conn) = v4_client(info.tcp, "after-garbage", |_| {});
}

#[test]
fn an_idle_broker_publishes_no_new_snapshot_so_the_window_can_sleep() {
    let (engine, _info) = running_broker();
    // Let the start's own changes (status, first rate buckets) land.
    std::thread::sleep(Duration::from_millis(1500));
    let before = engine.snapshot();
    // Several seconds close meanwhile, each adding a silent rate bucket.
    std::thread::sleep(Duration::from_millis(2500));
    let after = engine.snapshot();
    assert!(
        std::sync::Arc::ptr_eq(&before, &after),
        "nothing changed, so no new snapshot (and no repaint): {before:?} vs {after:?}"
    );
}
