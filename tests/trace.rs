//! The protocol trace with real clients over TCP and WebSocket: each QoS's handshake on both legs,
//! SUBACK's granted QoS, a lost connection and its will, MQTT 5 properties, a malformed packet, and
//! `serve --trace` writing JSON Lines.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::trace::*;
use common::{PATIENCE, running_broker, v4_client, wait_v4_suback};
use mqtt_playground::engine::trace::{CONNECTION_END, MALFORMED};
use rumqttc::QoS;

#[test]
fn each_qos_traces_its_handshake_on_the_publishers_and_the_subscribers_leg() {
    let (engine, info) = running_broker();
    watch_all(&engine);
    let cases = [
        (QoS::AtMostOnce, vec!["PUBLISH"]),
        (QoS::AtLeastOnce, vec!["PUBLISH", "PUBACK"]),
        (
            QoS::ExactlyOnce,
            vec!["PUBLISH", "PUBREC", "PUBREL", "PUBCOMP"],
        ),
    ];
    for (qos, packets) in cases {
        let level = qos as u8;
        let (sub, mut sub_conn) = v4_client(info.tcp, &format!("sub-q{level}"), |_| {});
        sub.subscribe(format!("trace/q{level}"), qos).unwrap();
        wait_v4_suback(&mut sub_conn);
        let _sub_driver = Driven::new(sub_conn);
        let (publisher, pub_conn) = v4_client(info.tcp, &format!("pub-q{level}"), |_| {});
        let _pub_driver = Driven::new(pub_conn);
        publisher
            .publish(format!("trace/q{level}"), qos, false, "21.5")
            .unwrap();

        // The publisher sends first; the broker answers. On the subscriber's leg it is the other way.
        let directions = ["in", "out"];
        let publisher_leg: Vec<String> = packets
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} {p}", directions[i % 2]))
            .collect();
        let subscriber_leg: Vec<String> = packets
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{} {p}", directions[(i + 1) % 2]))
            .collect();
        let pub_id = format!("pub-q{level}");
        let sub_id = format!("sub-q{level}");
        let seen = wait_for_trace(&engine, &pub_id, "the publisher's handshake", |r| {
            handshake(r).len() >= publisher_leg.len()
        });
        assert_eq!(handshake(&seen), publisher_leg, "QoS {level}, publisher");
        let seen = wait_for_trace(&engine, &sub_id, "the subscriber's handshake", |r| {
            handshake(r).len() >= subscriber_leg.len()
        });
        assert_eq!(handshake(&seen), subscriber_leg, "QoS {level}, subscriber");

        // Both legs' packets carry their own packet ids, and the PUBLISH its topic.
        let delivered = seen.iter().find(|r| r.packet == "PUBLISH").unwrap();
        assert_eq!(
            delivered.field("topic").unwrap(),
            &format!("trace/q{level}")
        );
        assert_eq!(delivered.field("qos").unwrap(), level);
        assert_eq!(delivered.field("payload_preview").unwrap(), "21.5");
        if level > 0 {
            let id = delivered
                .packet_id()
                .expect("a QoS 1/2 PUBLISH has a packet id");
            assert!(
                seen.iter()
                    .filter(|r| r.packet != "PUBLISH"
                        && r.packet != "SUBACK"
                        && r.packet != "SUBSCRIBE")
                    .filter_map(|r| r.packet_id())
                    .all(|x| x == id)
            );
        }
        // The SUBACK carries the granted QoS.
        let suback = seen
            .iter()
            .find(|r| r.packet == "SUBACK")
            .expect("a SUBACK");
        assert_eq!(
            suback.field("granted").unwrap(),
            &serde_json::json!([format!("granted QoS {level}")])
        );
        // The connection's first two records: the CONNECT with the client's own id, and the CONNACK.
        assert_eq!(seen[0].packet, "CONNECT");
        assert_eq!(seen[0].field("client_id").unwrap(), &sub_id);
        assert_eq!(seen[1].packet, "CONNACK");
        assert_eq!(seen[1].field("result").unwrap(), "accepted");
    }
}

/// A raw MQTT 3.1.1 CONNECT, built by the maintained crate.
fn connect_packet(id: &str, will: Option<(&str, &str)>) -> Vec<u8> {
    let mut connect = rumqttc::mqttbytes::v4::Connect::new(id);
    connect.keep_alive = 30;
    if let Some((topic, payload)) = will {
        connect.last_will = Some(rumqttc::mqttbytes::v4::LastWill::new(
            topic,
            payload,
            QoS::AtLeastOnce,
            false,
        ));
    }
    let mut buffer = BytesMut::new();
    connect.write(&mut buffer).unwrap();
    buffer.to_vec()
}

/// A raw TCP client that has sent CONNECT and read the CONNACK.
fn raw_client(addr: SocketAddr, id: &str, will: Option<(&str, &str)>) -> TcpStream {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket.write_all(&connect_packet(id, will)).unwrap();
    let mut connack = [0u8; 4];
    socket.read_exact(&mut connack).expect("a CONNACK");
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x00], "accepted");
    socket
}

#[test]
fn a_killed_client_ends_connection_lost_and_its_will_reaches_subscribers_as_a_broker_publish() {
    let (engine, info) = running_broker();
    watch_all(&engine);
    let (watcher, mut watcher_conn) = v4_client(info.tcp, "will-watcher", |_| {});
    watcher
        .subscribe("devices/victim/status", QoS::AtLeastOnce)
        .unwrap();
    wait_v4_suback(&mut watcher_conn);
    let _driver = Driven::new(watcher_conn);

    let victim = raw_client(
        info.tcp,
        "victim",
        Some(("devices/victim/status", "offline")),
    );
    // Cut without DISCONNECT: the way a killed device goes.
    victim.shutdown(std::net::Shutdown::Both).unwrap();
    drop(victim);

    let seen = wait_for_trace(&engine, "victim", "the connection's end", |r| {
        r.last().is_some_and(|x| x.packet == CONNECTION_END)
    });
    let end = seen.last().unwrap();
    assert_eq!(end.field("how").unwrap(), "connection lost");
    assert_eq!(end.field("will_published").unwrap(), true);
    assert!(end.label.contains("connection lost"), "{}", end.label);
    let connect = &seen[0];
    assert_eq!(
        connect.field("will_topic").unwrap(),
        "devices/victim/status"
    );
    assert_eq!(connect.field("will_qos").unwrap(), 1);

    let seen = wait_for_trace(
        &engine,
        "will-watcher",
        "the will as a broker PUBLISH",
        |r| {
            r.iter().any(|x| {
                x.packet == "PUBLISH"
                    && x.direction.as_str() == "out"
                    && x.field("topic")
                        .is_some_and(|t| t == "devices/victim/status")
            })
        },
    );
    let will = seen.iter().find(|x| x.packet == "PUBLISH").unwrap();
    assert_eq!(will.field("payload_preview").unwrap(), "offline");
}

#[test]
fn mqtt5_user_properties_and_message_expiry_appear_in_the_trace() {
    use rumqttc::v5::mqttbytes::QoS as QoS5;
    use rumqttc::v5::mqttbytes::v5::PublishProperties;
    let (engine, info) = running_broker();
    watch_all(&engine);
    let (publisher, mut conn) = common::v5::client(info.tcp, "v5-pub", |_| {});
    let properties = PublishProperties {
        message_expiry_interval: Some(60),
        user_properties: vec![("unit".into(), "celsius".into())],
        content_type: Some("text/plain".into()),
        ..Default::default()
    };
    publisher
        .publish_with_properties("v5/props", QoS5::AtLeastOnce, false, "21.5", properties)
        .unwrap();
    common::v5::pump(&mut conn, Duration::from_millis(200));
    let seen = wait_for_trace(&engine, "v5-pub", "the v5 PUBLISH and its PUBACK", |r| {
        r.iter().any(|x| x.packet == "PUBACK")
    });
    let publish = seen.iter().find(|x| x.packet == "PUBLISH").unwrap();
    assert_eq!(publish.field("message_expiry_s").unwrap(), 60);
    assert_eq!(
        publish.field("user_properties").unwrap(),
        &serde_json::json!([["unit", "celsius"]])
    );
    assert_eq!(publish.field("content_type").unwrap(), "text/plain");
    assert_eq!(seen[0].field("protocol").unwrap(), "5");
    assert_eq!(seen[1].packet, "CONNACK");
}

#[test]
fn a_malformed_packet_is_recorded_for_what_it_was_and_the_broker_carries_on() {
    let (engine, info) = running_broker();
    watch_all(&engine);
    let mut rogue = raw_client(info.tcp, "rogue", None);
    // A PUBLISH with both QoS bits set (QoS 3 does not exist).
    rogue
        .write_all(&[0x36, 0x06, 0x00, 0x01, b'a', 0x00, 0x01, b'x'])
        .unwrap();
    let seen = wait_for_trace(&engine, "rogue", "the malformed PUBLISH", |r| {
        r.iter().any(|x| x.packet == MALFORMED)
    });
    let bad = seen.iter().find(|x| x.packet == MALFORMED).unwrap();
    assert_eq!(bad.field("type").unwrap(), "PUBLISH");
    assert_eq!(bad.field("type_byte").unwrap(), "0x36");
    assert_eq!(bad.field("length").unwrap(), 8);
    assert!(
        bad.field("error")
            .and_then(|e| e.as_str())
            .is_some_and(|e| !e.is_empty())
    );
    drop(rogue);

    // Everyone else carries on.
    let (sub, mut sub_conn) = v4_client(info.tcp, "after-rogue-sub", |_| {});
    sub.subscribe("after/rogue", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut sub_conn);
    let (publisher, pub_conn) = v4_client(info.tcp, "after-rogue-pub", |_| {});
    let _driver = Driven::new(pub_conn);
    publisher
        .publish("after/rogue", QoS::AtMostOnce, false, "fine")
        .unwrap();
    let got = common::receive_v4(&mut sub_conn, 1);
    assert_eq!(got.len(), 1, "the broker still delivers");
}

#[test]
fn a_websocket_client_is_traced_like_a_tcp_one() {
    use async_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (engine, info) = running_broker();
    watch_all(&engine);
    let ws = info.websocket.expect("the WebSocket port is on");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut request = format!("ws://{ws}/mqtt").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "mqtt".parse().unwrap());
        let (socket, _) =
            tokio::time::timeout(PATIENCE, async_tungstenite::tokio::connect_async(request))
                .await
                .expect("the handshake finishes")
                .expect("the WebSocket opens");
        // MQTT bytes over WebSocket messages, as browsers send them.
        let mut stream = ws_stream_tungstenite::WsStream::new(socket);
        let mut publish = BytesMut::new();
        let mut packet = rumqttc::mqttbytes::v4::Publish::new("ws/topic", QoS::AtLeastOnce, "hi");
        packet.pkid = 9;
        packet.write(&mut publish).unwrap();
        stream
            .write_all(&connect_packet("ws-client", None))
            .await
            .unwrap();
        stream.write_all(&publish).await.unwrap();
        stream.flush().await.unwrap();
        // Read until the PUBACK (0x40 0x02 0x00 0x09) came back.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut received = Vec::new();
        let mut chunk = [0u8; 256];
        while !received.windows(4).any(|w| w == [0x40, 0x02, 0x00, 0x09]) {
            let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
                .await
                .expect("the broker answers over WebSocket")
                .expect("the WebSocket stays open");
            assert!(n > 0, "the broker closed the WebSocket");
            received.extend_from_slice(&chunk[..n]);
        }
    });
    let seen = wait_for_trace(&engine, "ws-client", "the PUBACK", |r| {
        r.iter().any(|x| x.packet == "PUBACK")
    });
    assert_eq!(handshake(&seen), vec!["in PUBLISH", "out PUBACK"]);
    assert_eq!(
        seen.iter()
            .find(|x| x.packet == "PUBACK")
            .unwrap()
            .packet_id(),
        Some(9)
    );
}

#[test]
fn serve_trace_writes_every_packet_as_json_lines() {
    use std::io::BufRead;
    use std::process::{Command as Process, Stdio};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("trace-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let file = dir.join("session.jsonl");
    let _ = std::fs::remove_file(&file);
    let mut child = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--no-websocket",
            "--trace",
        ])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + PATIENCE;
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve says it runs");
        if line.starts_with("MQTT Playground broker running") {
            break;
        }
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (publisher, pub_conn) = v4_client(addr, "traced-pub", |_| {});
    let driver = Driven::new(pub_conn);
    publisher
        .publish("traced/topic", QoS::ExactlyOnce, false, "42")
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&file).is_ok_and(|t| t.contains("\"PUBCOMP\"")) {
        assert!(
            Instant::now() < deadline,
            "the trace never reached the disk"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(driver);
    common::stop_with_sigterm(&mut child);

    let records = common::read_json_lines(&file);
    for record in &records {
        for key in ["time", "client", "direction", "packet"] {
            assert!(record.get(key).is_some(), "{key} missing in {record}");
        }
    }
    let publisher_leg: Vec<String> = records
        .iter()
        .filter(|r| r["client"] == "traced-pub")
        .map(|r| {
            format!(
                "{} {}",
                r["direction"].as_str().unwrap(),
                r["packet"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        publisher_leg.get(..6),
        Some(
            &[
                "in CONNECT",
                "out CONNACK",
                "in PUBLISH",
                "out PUBREC",
                "in PUBREL",
                "out PUBCOMP"
            ]
            .map(String::from)[..]
        ),
        "{publisher_leg:?}"
    );
    let publish = records.iter().find(|r| r["packet"] == "PUBLISH").unwrap();
    assert_eq!(publish["topic"], "traced/topic");
    assert_eq!(publish["qos"], 2);
    assert!(publish.get("password").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_journey_lists_exactly_the_subscribers_whose_filters_match_with_their_packet_ids() {
    use mqtt_playground::engine::trace::follow;
    let (engine, info) = running_broker();
    watch_all(&engine);
    let mut drivers = Vec::new();
    let mut subscribers = Vec::new();
    for (id, filter, qos) in [
        ("journey-a", "j/+/temp", QoS::AtLeastOnce),
        ("journey-b", "j/#", QoS::ExactlyOnce),
        ("journey-c", "other/#", QoS::AtLeastOnce),
    ] {
        let (client, mut conn) = v4_client(info.tcp, id, |_| {});
        client.subscribe(filter, qos).unwrap();
        wait_v4_suback(&mut conn);
        drivers.push(Driven::new(conn));
        subscribers.push(client);
    }
    // journey-b already holds an older message, so the broker's packet ids differ between legs.
    let (publisher, pub_conn) = v4_client(info.tcp, "journey-pub", |_| {});
    drivers.push(Driven::new(pub_conn));
    publisher
        .publish("j/warmup", QoS::AtLeastOnce, false, "0")
        .unwrap();
    publisher
        .publish("j/1/temp", QoS::AtLeastOnce, false, "21.5")
        .unwrap();
    for (client, packets) in [("journey-a", 2), ("journey-b", 8)] {
        wait_for_trace(&engine, client, "the delivery's handshake", |r| {
            handshake(r).len() >= packets
        });
    }
    wait_for_trace(&engine, "journey-pub", "the publisher's PUBACKs", |r| {
        handshake(r).len() >= 4
    });
    let journey = engine.trace().read(|store| {
        let all = store.all_in_order();
        let publish = all
            .iter()
            .find(|r| r.packet == "PUBLISH" && r.field("topic").is_some_and(|t| t == "j/1/temp"))
            .cloned()
            .expect("the publisher's PUBLISH");
        follow(&all, &publish)
    });
    let legs: Vec<&str> = journey.publisher_leg.iter().map(|r| r.packet).collect();
    assert_eq!(legs, vec!["PUBLISH", "PUBACK"]);
    let got: Vec<(&str, Option<u64>, Vec<&str>)> = journey
        .deliveries
        .iter()
        .map(|d| {
            (
                &*d.client,
                d.packet_id,
                d.leg.iter().map(|r| r.packet).collect(),
            )
        })
        .collect();
    // Each copy's packet id is the one on that subscriber's own PUBLISH.
    let id_of = |client: &str| {
        records_of(&engine, client)
            .iter()
            .filter(|r| r.packet == "PUBLISH" && r.field("topic").is_some_and(|t| t == "j/1/temp"))
            .find_map(|r| r.packet_id())
    };
    assert_eq!(
        got,
        vec![
            ("journey-a", id_of("journey-a"), vec!["PUBLISH", "PUBACK"]),
            (
                "journey-b",
                id_of("journey-b"),
                vec!["PUBLISH", "PUBREC", "PUBREL", "PUBCOMP"]
            ),
        ]
    );
    assert!(got.iter().all(|(_, id, _)| id.is_some()));
    let missed: Vec<&str> = journey.missed.iter().map(|m| &*m.client).collect();
    assert!(missed.contains(&"journey-c"), "{:?}", journey.missed);
    assert!(!missed.contains(&"journey-a") && !missed.contains(&"journey-b"));
    let why = &journey
        .missed
        .iter()
        .find(|m| &*m.client == "journey-c")
        .unwrap()
        .why;
    assert!(why.contains("no matching filter"), "{why}");
}

#[test]
fn a_client_that_disconnects_mid_packet_is_shown_for_what_it_sent() {
    let (engine, info) = running_broker();
    watch_all(&engine);
    let mut cut = raw_client(info.tcp, "cut-short", None);
    // The start of a 100-byte PUBLISH, then the connection goes.
    cut.write_all(&[0x30, 0x62, 0x00, 0x03, b'a', b'/', b'b', b'x'])
        .unwrap();
    cut.flush().unwrap();
    drop(cut);
    let seen = wait_for_trace(&engine, "cut-short", "the connection's end", |r| {
        r.last().is_some_and(|x| x.packet == CONNECTION_END)
    });
    let partial = seen
        .iter()
        .find(|x| x.packet == MALFORMED)
        .expect("the partial packet is recorded");
    assert_eq!(partial.field("type").unwrap(), "PUBLISH");
    assert_eq!(partial.field("length").unwrap(), 8);
    let error = partial.field("error").and_then(|e| e.as_str()).unwrap();
    assert!(error.contains("8 of 100 bytes"), "{error}");
    assert_eq!(
        seen.last().unwrap().field("how").unwrap(),
        "connection lost"
    );

    // The broker carries on.
    let _other = raw_client(info.tcp, "after-cut", None);
}
