//! The app's own subscriber against the real embedded broker: real MQTT clients over TCP publish and
//! subscribe, and the tests read what reached the log, the topic tree, files and the snapshot.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mqtt_playground::engine::monitor::{ExportFormat, LogStore, MonitorCommand};
use mqtt_playground::engine::watch::{LogFilter, TopicFilter};
use mqtt_playground::engine::{Command, Engine, Event};
use rumqttc::{Client, Connection, Event as MqttEvent, Packet, QoS};

fn monitor(engine: &Engine, command: MonitorCommand) -> Result<(), String> {
    engine
        .call(Command::Monitor(command), PATIENCE)
        .expect("the engine answers")
}

/// Subscribes the app's subscriber and waits until the broker acknowledged it.
fn watch(engine: &Engine, filter: &str, qos: u8) {
    monitor(
        engine,
        MonitorCommand::Subscribe {
            filter: filter.to_owned(),
            qos,
        },
    )
    .expect("the subscription is taken");
    wait_for_snapshot(engine, "the subscriber is subscribed", |s| {
        s.monitor.subscribed && s.monitor.subscriptions.iter().any(|(f, _)| f == filter)
    });
}

/// Waits (bounded) until the store satisfies `check`.
fn wait_for_store(engine: &Engine, what: &str, check: impl Fn(&LogStore) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if engine.log().read(&check) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let len = engine.log().read(|s| s.log.len());
    panic!(
        "timed out waiting for: {what}; the log holds {len} messages; monitor: {:?}",
        engine.snapshot().monitor
    );
}

/// Drives a client's connection until `count` PUBACK/PUBCOMP arrived (bounded).
fn wait_acks(connection: &mut Connection, count: usize) {
    let mut acked = 0;
    let deadline = Instant::now() + PATIENCE;
    while acked < count {
        assert!(
            Instant::now() < deadline,
            "only {acked} of {count} publishes were acknowledged"
        );
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(MqttEvent::Incoming(Packet::PubAck(_) | Packet::PubComp(_)))) => acked += 1,
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(err)) => panic!("publisher lost its connection: {err}"),
        }
    }
}

fn payloads(store: &LogStore, topic_prefix: &str) -> Vec<String> {
    store
        .log
        .iter()
        .filter(|m| m.topic.starts_with(topic_prefix))
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("monitor-it-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

#[test]
fn messages_from_external_clients_appear_in_order_with_their_flags() {
    let broker = Broker::start();
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "flags-pub", |_| {});
    publisher
        .publish("keep/this", QoS::AtLeastOnce, true, "old")
        .unwrap();
    wait_acks(&mut pub_conn, 1);

    watch(&broker.engine, "keep/#", 1);
    watch(&broker.engine, "q0/#", 0);
    watch(&broker.engine, "q2/#", 2);
    wait_for_store(&broker.engine, "the retained message", |s| s.log.len() == 1);

    publisher
        .publish("q0/a", QoS::AtMostOnce, false, "zero")
        .unwrap();
    for i in 0..20 {
        publisher
            .publish("q2/seq", QoS::ExactlyOnce, false, i.to_string())
            .unwrap();
    }
    publisher
        .publish("elsewhere", QoS::AtLeastOnce, false, "not watched")
        .unwrap();
    wait_acks(&mut pub_conn, 21);
    wait_for_store(&broker.engine, "all watched messages", |s| {
        s.log.len() == 22
    });

    broker.engine.log().read(|store| {
        let retained = store.log.get(0).expect("first message");
        assert_eq!(&*retained.topic, "keep/this");
        assert!(
            retained.retain,
            "a retained message arrives flagged retained"
        );
        assert_eq!(retained.qos, 1);
        let zero = store
            .log
            .iter()
            .find(|m| &*m.topic == "q0/a")
            .expect("q0/a");
        assert_eq!((zero.qos, zero.retain), (0, false));
        assert!(store.log.iter().all(|m| &*m.topic != "elsewhere"));
        let ordered: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        assert_eq!(
            payloads(store, "q2/"),
            ordered,
            "one publisher's messages stay in order"
        );
        assert!(
            store
                .log
                .iter()
                .filter(|m| m.topic.starts_with("q2/"))
                .all(|m| m.qos == 2 && !m.retain)
        );
        let seqs: Vec<u64> = store.log.iter().map(|m| m.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "log order is arrival order"
        );
        let node = store.tree.find("q2/seq").and_then(|id| store.tree.node(id));
        assert_eq!(
            node.map(|n| n.own_messages()),
            Some(20),
            "the topic tree counted them"
        );
        assert_eq!(
            store.tree.retained_topics_under(""),
            vec!["keep/this".to_owned()]
        );
    });
    // The snapshot catches up with the store within a refresh.
    wait_for_snapshot(&broker.engine, "22 received", |s| {
        s.monitor.received_total >= 22
    });
    let snapshot = broker.engine.snapshot();
    assert_eq!(snapshot.monitor.received_total, 22);
    assert!(snapshot.monitor.connected);
    assert!(
        snapshot.monitor.target.contains("embedded broker"),
        "{}",
        snapshot.monitor.target
    );
}

#[test]
fn a_qos1_burst_of_10000_messages_is_counted_exactly() {
    const BURST: usize = 10_000;
    let broker = Broker::start();
    watch(&broker.engine, "burst/#", 1);
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "burst-pub", |o| {
        o.set_inflight(100);
    });
    let sender = std::thread::spawn(move || {
        for i in 0..BURST {
            publisher
                .publish("burst/n", QoS::AtLeastOnce, false, i.to_string())
                .expect("queued");
        }
        publisher
    });
    wait_acks(&mut pub_conn, BURST);
    let _publisher = sender.join().expect("the sender finished");

    wait_for_snapshot(&broker.engine, "all 10,000 counted", |s| {
        s.monitor.received_total >= BURST as u64
    });
    wait_for_store(&broker.engine, "all 10,000 logged", |s| {
        s.log.len() >= BURST
    });
    let snapshot = broker.engine.snapshot();
    assert_eq!(
        snapshot.monitor.received_total, BURST as u64,
        "counted exactly once each"
    );
    broker.engine.log().read(|store| {
        assert_eq!(store.log.len(), BURST);
        let expected: Vec<String> = (0..BURST).map(|i| i.to_string()).collect();
        assert_eq!(
            payloads(store, "burst/"),
            expected,
            "none lost, doubled or reordered"
        );
        assert_eq!(store.log.counters().total_received, BURST as u64);
    });
}

#[test]
fn bad_input_gets_words_and_nothing_in_the_log_is_lost() {
    let broker = Broker::start();
    watch(&broker.engine, "#", 1);
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "bad-input-pub", |_| {});
    publisher
        .publish("kept/one", QoS::AtLeastOnce, false, "1")
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    wait_for_store(&broker.engine, "the first message", |s| s.log.len() == 1);

    let refusals = [
        (
            MonitorCommand::Subscribe {
                filter: "sensors/#/temp".to_owned(),
                qos: 0,
            },
            "\"#\" must be the last level",
        ),
        (
            MonitorCommand::Subscribe {
                filter: "a+/b".to_owned(),
                qos: 0,
            },
            "\"+\" must fill a whole level",
        ),
        (
            MonitorCommand::Subscribe {
                filter: "ok/#".to_owned(),
                qos: 3,
            },
            "QoS must be 0, 1 or 2",
        ),
        (
            MonitorCommand::Subscribe {
                filter: "$SYS/#".to_owned(),
                qos: 0,
            },
            "$SYS",
        ),
        (
            MonitorCommand::Unsubscribe {
                filter: "never/#".to_owned(),
            },
            "not subscribed to \"never/#\"",
        ),
        (
            MonitorCommand::Publish {
                topic: "a/+/b".to_owned(),
                payload: b"x".to_vec(),
                qos: 0,
                retain: false,
            },
            "only subscription filters may use",
        ),
        (
            MonitorCommand::AddSeries {
                filter: "t".to_owned(),
                field: Some("a[".to_owned()),
            },
            "is never closed",
        ),
        (MonitorCommand::SetLogCapacity(5), "between 100 and 1000000"),
        (
            MonitorCommand::Export {
                path: PathBuf::from("/no/such/folder/log.jsonl"),
                format: ExportFormat::JsonLines,
                filter: LogFilter::default(),
            },
            "the folder does not exist",
        ),
        (
            MonitorCommand::Import(PathBuf::from("/no/such/file.jsonl")),
            "there is no such file",
        ),
        (MonitorCommand::StopRecording, "nothing is being recorded"),
    ];
    for (command, words) in refusals {
        let shown = format!("{command:?}");
        let error = monitor(&broker.engine, command).expect_err(&shown);
        assert!(
            error.contains(words),
            "{shown}: {error:?} should say {words:?}"
        );
    }
    let garbage = scratch_dir("bad-input").join("garbage.jsonl");
    std::fs::write(&garbage, "this is not\na recording\n").unwrap();
    let error = monitor(&broker.engine, MonitorCommand::Import(garbage.clone())).unwrap_err();
    assert!(error.contains("line 1: not JSON"), "{error}");

    let snapshot = broker.engine.snapshot();
    assert_eq!(snapshot.monitor.subscriptions, vec![("#".to_owned(), 1)]);
    assert!(
        snapshot.monitor.connected,
        "the subscriber kept its connection"
    );
    publisher
        .publish("kept/two", QoS::AtLeastOnce, false, "2")
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    wait_for_store(&broker.engine, "the second message", |s| s.log.len() == 2);
    broker.engine.log().read(|store| {
        assert_eq!(payloads(store, "kept/"), vec!["1", "2"], "nothing was lost");
    });
    let _ = std::fs::remove_dir_all(garbage.parent().unwrap());
}

#[test]
fn a_publish_from_the_app_reaches_an_external_subscriber() {
    let broker = Broker::start();
    let (subscriber, mut sub_conn) = v4_client(broker.info.tcp, "outside-ear", |_| {});
    subscriber
        .subscribe("from/app/#", QoS::AtLeastOnce)
        .unwrap();
    wait_v4_suback(&mut sub_conn);

    monitor(
        &broker.engine,
        MonitorCommand::Publish {
            topic: "from/app/hello".to_owned(),
            payload: b"hello from the playground".to_vec(),
            qos: 1,
            retain: false,
        },
    )
    .expect("the publish is queued");
    let got = receive_v4(&mut sub_conn, 1);
    assert_eq!(
        got,
        vec![Received {
            topic: "from/app/hello".to_owned(),
            payload: b"hello from the playground".to_vec(),
            retain: false,
        }]
    );
    wait_for_snapshot(&broker.engine, "the subscriber is connected", |s| {
        s.monitor.connected
    });
}

#[test]
fn a_10_mb_payload_is_logged_truncated_and_the_app_keeps_running() {
    let broker = Broker::start();
    watch(&broker.engine, "big/#", 1);
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "big-pub", |o| {
        o.set_max_packet_size(20 * 1024 * 1024, 20 * 1024 * 1024);
    });
    let huge = vec![b'x'; 10 * 1024 * 1024];
    publisher
        .publish("big/blob", QoS::AtLeastOnce, false, huge)
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    wait_for_store(&broker.engine, "the big message", |s| s.log.len() == 1);
    broker.engine.log().read(|store| {
        let message = store.log.get(0).unwrap();
        assert_eq!(message.payload_truncated_from, Some(10 * 1024 * 1024));
        assert_eq!(message.payload.len(), store.log.limits().max_payload_bytes);
        assert!(
            store.log.stored_bytes() < 2 * 1024 * 1024,
            "only the kept part counts"
        );
    });
    publisher
        .publish("big/after", QoS::AtLeastOnce, false, "still here")
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    wait_for_store(&broker.engine, "a message after the big one", |s| {
        s.log.len() == 2
    });
    let snapshot = broker.engine.snapshot();
    assert!(snapshot.monitor.connected);
    assert_eq!(snapshot.monitor.last_error, None);
}

#[test]
fn export_and_import_round_trip_through_files() {
    let broker = Broker::start();
    watch(&broker.engine, "#", 1);
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "files-pub", |_| {});
    let sent: Vec<(&str, Vec<u8>)> = vec![
        ("room/temp", b"21.5".to_vec()),
        ("room/json", br#"{"t": 21.5, "ok": true}"#.to_vec()),
        ("room/bin", vec![0, 1, 2, 0xff, 0xfe]),
        (
            "hall/text",
            "comma, \"quote\" and\nnewline".as_bytes().to_vec(),
        ),
    ];
    for (topic, payload) in &sent {
        publisher
            .publish(*topic, QoS::AtLeastOnce, false, payload.clone())
            .unwrap();
    }
    wait_acks(&mut pub_conn, sent.len());
    wait_for_store(&broker.engine, "all four", |s| s.log.len() == sent.len());

    let dir = scratch_dir("files");
    let jsonl = dir.join("all.jsonl");
    monitor(
        &broker.engine,
        MonitorCommand::Export {
            path: jsonl.clone(),
            format: ExportFormat::JsonLines,
            filter: LogFilter::default(),
        },
    )
    .expect("exported");
    let csv = dir.join("room.csv");
    monitor(
        &broker.engine,
        MonitorCommand::Export {
            path: csv.clone(),
            format: ExportFormat::Csv,
            filter: LogFilter {
                topic: Some(TopicFilter::parse("room/#").unwrap()),
                text: String::new(),
            },
        },
    )
    .expect("exported");
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        csv_text.lines().count(),
        4,
        "a header and the three room messages: {csv_text}"
    );
    assert!(!csv_text.contains("hall/text"));

    monitor(&broker.engine, MonitorCommand::ClearLog).unwrap();
    wait_for_store(&broker.engine, "an empty log", |s| s.log.is_empty());
    monitor(&broker.engine, MonitorCommand::Import(jsonl.clone())).expect("imported");
    broker.engine.log().read(|store| {
        let got: Vec<(String, Vec<u8>)> = store
            .log
            .iter()
            .map(|m| (m.topic.to_string(), m.payload.to_vec()))
            .collect();
        let expected: Vec<(String, Vec<u8>)> = sent
            .iter()
            .map(|(t, p)| (t.to_string(), p.clone()))
            .collect();
        assert_eq!(got, expected, "the same messages, in the same order");
        assert!(store.log.iter().all(|m| m.qos == 1 && !m.retain));
    });

    // A damaged file: good lines load, bad ones are reported by line number.
    let damaged = dir.join("damaged.jsonl");
    let mut text = std::fs::read_to_string(&jsonl).unwrap();
    text.push_str("{\"topic\": \"no/time\"}\n");
    std::fs::write(&damaged, text).unwrap();
    while broker.engine.events().try_next().is_some() {}
    monitor(&broker.engine, MonitorCommand::Import(damaged)).expect("partly imported");
    let deadline = Instant::now() + PATIENCE;
    let summary = loop {
        assert!(
            Instant::now() < deadline,
            "no import summary among the events"
        );
        if let Some(Event::MonitorChanged(text)) = broker
            .engine
            .events()
            .next_timeout(Duration::from_millis(200))
            && text.starts_with("loaded")
        {
            break text;
        }
    };
    assert!(summary.contains("loaded 4 messages"), "{summary}");
    assert!(
        summary.contains("skipped 1 unreadable lines: line 5: missing \"time\""),
        "{summary}"
    );
    assert_eq!(broker.engine.log().read(|s| s.log.len()), 8);
    assert_eq!(
        broker.engine.snapshot().monitor.received_total,
        4,
        "imports are not counted as received"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clear_retained_removes_what_the_broker_keeps() {
    let broker = Broker::start();
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "retainer", |_| {});
    for (topic, payload) in [("home/a", "1"), ("home/b/c", "2"), ("other/x", "3")] {
        publisher
            .publish(topic, QoS::AtLeastOnce, true, payload)
            .unwrap();
    }
    wait_acks(&mut pub_conn, 3);
    watch(&broker.engine, "#", 1);
    wait_for_store(&broker.engine, "three retained markers", |s| {
        s.tree.retained_topics_under("").len() == 3
    });

    monitor(
        &broker.engine,
        MonitorCommand::ClearRetained {
            topic: "home".to_owned(),
        },
    )
    .expect("clearing starts");
    // The subscriber sees its own empty publishes once the broker has taken them.
    wait_for_store(&broker.engine, "both clears echoed", |s| {
        s.log
            .iter()
            .filter(|m| m.topic.starts_with("home/") && m.payload.is_empty())
            .count()
            == 2
    });
    broker.engine.log().read(|store| {
        assert_eq!(
            store.tree.retained_topics_under(""),
            vec!["other/x".to_owned()]
        );
    });

    let (late, mut late_conn) = v4_client(broker.info.tcp, "late-comer", |_| {});
    late.subscribe("#", QoS::AtLeastOnce).unwrap();
    let mut got = receive_v4(&mut late_conn, 1);
    assert_eq!(got.first().map(|m| m.topic.as_str()), Some("other/x"));
    // Anything else retained would come in the same burst; give it a generous moment.
    got.extend(receive_v4_for(&mut late_conn, Duration::from_secs(1)));
    let topics: Vec<&str> = got.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(topics, vec!["other/x"], "home/* is no longer retained");
}

#[test]
fn serve_record_writes_json_lines_and_stops_cleanly_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = scratch_dir("serve-record");
    let file = dir.join("recorded.jsonl");
    let mut child = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--no-websocket",
            "--record",
        ])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "serve never said it records; it printed {seen:?}"
        );
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            let done = line.starts_with("recording every message");
            seen.push(line);
            if done {
                break;
            }
        }
    }
    assert!(seen.last().unwrap().contains("recorded.jsonl"), "{seen:?}");

    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let (publisher, mut pub_conn): (Client, Connection) = v4_client(addr, "recorded-pub", |_| {});
    for i in 0..3 {
        publisher
            .publish(
                format!("rec/{i}"),
                QoS::AtLeastOnce,
                false,
                format!("value {i}"),
            )
            .unwrap();
    }
    wait_acks(&mut pub_conn, 3);
    // The recording reaches the disk while serve runs (flushed at least once a second).
    let deadline = Instant::now() + PATIENCE;
    while std::fs::read_to_string(&file).map_or(0, |t| t.lines().count()) < 3 {
        assert!(
            Instant::now() < deadline,
            "the recording never reached the disk"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(publisher);

    common::stop_with_sigterm(&mut child);

    let records = common::read_json_lines(&file);
    let topics: Vec<&str> = records.iter().filter_map(|r| r["topic"].as_str()).collect();
    assert_eq!(topics, vec!["rec/0", "rec/1", "rec/2"]);
    assert_eq!(records[2]["payload"], "value 2");
    assert!(
        records[0]["time"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_subscriber_waits_for_the_broker_and_follows_it_to_a_new_port() {
    let engine = Engine::start().expect("engine starts");
    monitor(&engine, MonitorCommand::Start).expect("started");
    let snapshot = engine.snapshot();
    assert!(!snapshot.monitor.connected);
    assert_eq!(
        snapshot.monitor.subscriptions,
        vec![("#".to_owned(), 0)],
        "# by default"
    );
    assert!(
        snapshot
            .monitor
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("not running")),
        "says why: {:?}",
        snapshot.monitor
    );
    let first = engine
        .start_broker_blocking(mqtt_playground::engine::BrokerSettings::loopback_any_port())
        .expect("broker starts");
    watch(&engine, "moving/#", 1);
    let moved = restart_on_new_ports(&engine);
    assert_ne!(moved, first.tcp);
    wait_for_snapshot(&engine, "subscribed again at the new port", |s| {
        s.monitor.subscribed && s.monitor.target.contains(&moved.port().to_string())
    });
    let (publisher, mut pub_conn) = v4_client(moved, "mover", |_| {});
    publisher
        .publish("moving/on", QoS::AtLeastOnce, false, "here")
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    // "#" and "moving/#" both match: rumqttd delivers one copy per matching subscription.
    wait_for_store(&engine, "the message at the new port", |s| {
        payloads(s, "moving/") == vec!["here".to_owned(), "here".to_owned()]
    });
    assert_eq!(
        engine.snapshot().monitor.subscriptions,
        vec![("#".to_owned(), 0), ("moving/#".to_owned(), 1)],
        "subscriptions survive a restart"
    );
    monitor(&engine, MonitorCommand::Stop).unwrap();
    wait_for_snapshot(&engine, "the subscriber gone from the clients", |s| {
        !s.monitor.connected && s.clients.len() == 1
    });
}

#[test]
fn series_plot_numbers_and_count_what_is_not_a_number() {
    let broker = Broker::start();
    monitor(
        &broker.engine,
        MonitorCommand::AddSeries {
            filter: "plant/+/state".to_owned(),
            field: Some("temperature".to_owned()),
        },
    )
    .unwrap();
    monitor(
        &broker.engine,
        MonitorCommand::AddSeries {
            filter: "plant/level".to_owned(),
            field: None,
        },
    )
    .unwrap();
    watch(&broker.engine, "plant/#", 1);
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "plant", |_| {});
    let messages = [
        ("plant/a/state", r#"{"temperature": 20.5}"#),
        ("plant/b/state", r#"{"temperature": 21}"#),
        ("plant/a/state", r#"{"humidity": 40}"#),
        ("plant/level", "3.25"),
        ("plant/level", "full"),
    ];
    for (topic, payload) in messages {
        publisher
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .unwrap();
    }
    wait_acks(&mut pub_conn, messages.len());
    wait_for_store(&broker.engine, "all five logged", |s| s.log.len() == 5);
    broker.engine.log().read(|store| {
        let temperature = &store.series[0];
        let values = |series: &mqtt_playground::engine::monitor::Series, topic: &str| {
            series
                .line(topic)
                .map(|line| line.points.iter().map(|p| p.1).collect::<Vec<f64>>())
                .unwrap_or_default()
        };
        // A filter with a wildcard: one line per topic, not one merged staircase.
        assert_eq!(temperature.lines.len(), 2);
        assert_eq!(values(temperature, "plant/a/state"), vec![20.5]);
        assert_eq!(values(temperature, "plant/b/state"), vec![21.0]);
        assert_eq!(temperature.not_numeric, 1);
        assert!(
            temperature
                .last_problem
                .as_deref()
                .is_some_and(|p| p.contains("\"temperature\" not found")),
            "{:?}",
            temperature.last_problem
        );
        let level = &store.series[1];
        assert_eq!(values(level, "plant/level"), vec![3.25]);
        assert_eq!(level.not_numeric, 1);
        assert!(
            level
                .lines
                .iter()
                .flat_map(|l| &l.points)
                .all(|p| p.0 > 1.7e9),
            "Unix seconds"
        );
    });
    let first = broker.engine.log().read(|s| s.series[0].id);
    monitor(&broker.engine, MonitorCommand::RemoveSeries { id: first }).unwrap();
    assert_eq!(broker.engine.log().read(|s| s.series.len()), 1);
    monitor(&broker.engine, MonitorCommand::ClearSeries).unwrap();
    assert!(broker.engine.log().read(|s| s.series.is_empty()));
}

#[test]
fn the_subscriber_follows_the_fleet_to_an_external_broker() {
    // A second engine's broker plays the external broker (EMQX, Mosquitto…), reached over TCP.
    let outside = Broker::start();
    let engine = Engine::start().expect("engine starts");
    let external = mqtt_playground::engine::fleet::ExternalBroker {
        host: "127.0.0.1".to_owned(),
        port: outside.info.tcp.port(),
        ..Default::default()
    };
    engine
        .call(
            Command::Fleet(mqtt_playground::engine::fleet::FleetCommand::SetTarget(
                mqtt_playground::engine::fleet::FleetTarget::External(external),
            )),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    watch(&engine, "far/#", 1);
    let snapshot = engine.snapshot();
    assert_eq!(
        snapshot.monitor.target,
        format!("mqtt://127.0.0.1:{}", outside.info.tcp.port())
    );
    let (publisher, mut pub_conn) = v4_client(outside.info.tcp, "far-pub", |_| {});
    publisher
        .publish("far/away", QoS::AtLeastOnce, false, "hello")
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    wait_for_store(&engine, "the external broker's message", |s| {
        payloads(s, "far/") == vec!["hello".to_owned()]
    });
    // Back to the embedded broker, which is not running here: the subscriber says so.
    engine
        .call(
            Command::Fleet(mqtt_playground::engine::fleet::FleetCommand::SetTarget(
                mqtt_playground::engine::fleet::FleetTarget::Embedded,
            )),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    wait_for_snapshot(&engine, "disconnected, with the reason", |s| {
        !s.monitor.connected
            && s.monitor
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("not running"))
    });
}

#[test]
fn recording_by_command_appends_json_lines_until_stopped() {
    let broker = Broker::start();
    let dir = scratch_dir("recording");
    let file = dir.join("session.jsonl");
    monitor(&broker.engine, MonitorCommand::StartRecording(file.clone())).expect("recording");
    let error = monitor(&broker.engine, MonitorCommand::StartRecording(file.clone())).unwrap_err();
    assert!(error.contains("already recording"), "{error}");
    assert_eq!(
        broker.engine.snapshot().monitor.recording,
        Some(file.clone())
    );
    wait_for_snapshot(&broker.engine, "subscribed to # by default", |s| {
        s.monitor.subscribed
    });
    let (publisher, mut pub_conn) = v4_client(broker.info.tcp, "taped", |_| {});
    publisher
        .publish("tape/bin", QoS::AtLeastOnce, true, vec![0u8, 159, 146, 150])
        .unwrap();
    publisher
        .publish("tape/text", QoS::AtLeastOnce, false, "ok")
        .unwrap();
    wait_acks(&mut pub_conn, 2);
    wait_for_store(&broker.engine, "both logged", |s| s.log.len() == 2);
    monitor(&broker.engine, MonitorCommand::StopRecording).expect("stopped");
    assert_eq!(broker.engine.snapshot().monitor.recording, None);
    let text = std::fs::read_to_string(&file).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{text}");
    assert_eq!(records[0]["topic"], "tape/bin");
    assert_eq!(
        records[0]["payload_base64"], "AJ+Slg==",
        "binary payloads as base64"
    );
    assert_eq!(records[1]["payload"], "ok");
    // Messages after the stop are not recorded.
    publisher
        .publish("tape/late", QoS::AtLeastOnce, false, "late")
        .unwrap();
    wait_acks(&mut pub_conn, 1);
    wait_for_store(&broker.engine, "the late one logged", |s| s.log.len() == 3);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn the_subscribers_connection_runs_on_a_thread_below_normal_priority() {
    use common::process::{Thread, nice_of, threads};
    let own_nice = nice_of(&std::fs::read_to_string("/proc/thread-self/stat").expect("stat"));
    if own_nice >= 19 {
        eprintln!("SKIPPED: the tests already run at the lowest priority (nice {own_nice})");
        return;
    }
    let broker = Broker::start();
    watch(&broker.engine, "priority/#", 0);
    let (publisher, mut connection) = v4_client(broker.info.tcp, "priority-pub", |_| {});
    // Queued from another thread while this one drives the connection (the queue is short).
    let sender = std::thread::spawn(move || {
        for i in 0..2_000 {
            publisher
                .publish("priority/n", QoS::AtLeastOnce, false, i.to_string())
                .expect("queued");
        }
        publisher
    });
    wait_acks(&mut connection, 2_000);
    let _publisher = sender.join().expect("the sender finished");
    wait_for_store(&broker.engine, "all 2,000 messages", |s| {
        s.log.iter().filter(|m| &*m.topic == "priority/n").count() == 2_000
    });

    let threads = threads();
    let watch: Vec<_> = threads
        .iter()
        .filter(|thread| thread.name == mqtt_playground::engine::monitor::WATCH_THREAD_NAME)
        .collect();
    assert!(
        !watch.is_empty(),
        "no thread of the subscriber's own: {threads:?}"
    );
    for Thread { nice, .. } in &watch {
        assert!(
            *nice > own_nice,
            "the subscriber's thread runs at nice {nice}, not below this thread's {own_nice}: {threads:?}"
        );
    }
    assert!(
        watch.iter().any(|thread| thread.cpu_ns > 0),
        "the subscriber's thread never ran, so the messages were read elsewhere: {threads:?}"
    );
    let engine_nice: Vec<_> = threads
        .iter()
        .filter(|thread| thread.name == "engine" || thread.name == "broker")
        .map(|thread| thread.nice)
        .collect();
    assert!(
        engine_nice.iter().all(|nice| *nice == own_nice),
        "the broker's and the engine's threads keep their priority: {threads:?}"
    );
}
