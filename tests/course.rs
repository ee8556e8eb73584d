//! The course engine against a real broker: real rumqttc clients (MQTT 3.1.1 and 5) walk through
//! every built-in step and each ticks off with the client that did it; wrong attempts give hints;
//! learners are apart; skips and resets work; the app's own clients are no learners.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use mqtt_playground::engine::course::{CourseCommand, CourseSnapshot, LearnerProgress, StepState};
use mqtt_playground::engine::fleet::{FleetCommand, FleetTarget, GroupSpec};
use mqtt_playground::engine::monitor::MonitorCommand;
use mqtt_playground::engine::{Command, Engine, Event};
use rumqttc::{LastWill, MqttOptions, QoS};

fn course(engine: &Engine, command: CourseCommand) -> Result<(), String> {
    engine
        .call(Command::Course(command), PATIENCE)
        .expect("the engine answers")
}

fn open_built_in(engine: &Engine) {
    course(engine, CourseCommand::OpenBuiltIn).expect("the built-in course opens");
}

fn step_index(engine: &Engine, id: &str) -> usize {
    let snapshot = engine.course().snapshot();
    let course = snapshot.course.as_ref().expect("a course is open");
    course
        .steps
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// Waits (bounded) until the course snapshot satisfies `check`.
fn wait_course(
    engine: &Engine,
    what: &str,
    check: impl Fn(&CourseSnapshot) -> bool,
) -> Arc<CourseSnapshot> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let snapshot = engine.course().snapshot();
        if check(&snapshot) {
            return snapshot;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {what}; roster: {:#?}",
            snapshot.learners
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn learner<'s>(snapshot: &'s CourseSnapshot, name: &str) -> Option<&'s LearnerProgress> {
    snapshot.learners.iter().find(|l| l.learner == name)
}

fn state(engine: &Engine, name: &str, step: usize) -> StepState {
    learner(&engine.course().snapshot(), name)
        .map(|l| l.steps[step].clone())
        .unwrap_or_default()
}

/// Waits until `name`'s step `id` is done; returns the client id that did it.
fn wait_done(engine: &Engine, name: &str, id: &str) -> String {
    let step = step_index(engine, id);
    let snapshot = wait_course(engine, &format!("{name} completes {id}"), |s| {
        learner(s, name).is_some_and(|l| matches!(l.steps[step], StepState::Done { .. }))
    });
    match &learner(&snapshot, name).expect("learner").steps[step] {
        StepState::Done { client_id, .. } => client_id.clone(),
        _ => unreachable!(),
    }
}

/// Waits until `name`'s step `id` was missed; returns the hint.
fn wait_missed(engine: &Engine, name: &str, id: &str) -> String {
    let step = step_index(engine, id);
    let snapshot = wait_course(engine, &format!("{name} misses {id}"), |s| {
        learner(s, name).is_some_and(|l| matches!(l.steps[step], StepState::Missed { .. }))
    });
    match &learner(&snapshot, name).expect("learner").steps[step] {
        StepState::Missed { hint, .. } => hint.clone(),
        _ => unreachable!(),
    }
}

fn signed_in(user: &str) -> impl FnOnce(&mut MqttOptions) + '_ {
    move |o: &mut MqttOptions| {
        o.set_credentials(user, "any password");
    }
}

/// A QoS 1/2 publish goes out and its acknowledgements come back.
fn publish(
    client: &rumqttc::Client,
    connection: &mut rumqttc::Connection,
    topic: &str,
    qos: QoS,
    retain: bool,
) {
    client
        .publish(topic, qos, retain, b"21.5".to_vec())
        .expect("publish queued");
    pump_v4(connection, Duration::from_millis(300));
}

#[test]
fn every_built_in_step_ticks_off_with_the_client_that_did_it() {
    let broker = Broker::start();
    let engine = &broker.engine;
    let addr = broker.info.tcp;
    open_built_in(engine);

    // 1. connect
    let (client, mut conn) = v4_client(addr, "ann-main", signed_in("ann"));
    assert_eq!(wait_done(engine, "ann", "connect"), "ann-main");

    // 2. one exact topic; 3. with +; 4. with #
    client
        .subscribe("class/ann/temperature", QoS::AtMostOnce)
        .unwrap();
    wait_v4_suback(&mut conn);
    assert_eq!(wait_done(engine, "ann", "subscribe"), "ann-main");
    let plus = step_index(engine, "plus");
    assert!(
        !state(engine, "ann", plus).is_finished(),
        "an exact filter is not a + filter"
    );
    client
        .subscribe("class/+/temperature", QoS::AtMostOnce)
        .unwrap();
    wait_v4_suback(&mut conn);
    assert_eq!(wait_done(engine, "ann", "plus"), "ann-main");
    client.subscribe("class/ann/#", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut conn);
    assert_eq!(wait_done(engine, "ann", "hash"), "ann-main");

    // 5.–7. QoS 0, 1 (PUBACK), 2 (PUBREC/PUBREL/PUBCOMP)
    let (publisher, mut pub_conn) = v4_client(addr, "ann-pub", signed_in("ann"));
    publish(
        &publisher,
        &mut pub_conn,
        "class/ann/temperature",
        QoS::AtMostOnce,
        false,
    );
    assert_eq!(wait_done(engine, "ann", "qos0"), "ann-pub");
    // The Trace tab keeps what it kept without a course: an unwatched client's CONNECT and
    // CONNACK, not its PUBLISH.
    let kept: Vec<&str> = engine.trace().read(|store| {
        store
            .client("ann-pub")
            .map(|t| t.records.iter().map(|r| r.packet).collect())
            .unwrap_or_default()
    });
    assert_eq!(kept, ["CONNECT", "CONNACK"]);
    let qos1 = step_index(engine, "qos1");
    assert!(!state(engine, "ann", qos1).is_finished());
    publish(
        &publisher,
        &mut pub_conn,
        "class/ann/temperature",
        QoS::AtLeastOnce,
        false,
    );
    assert_eq!(wait_done(engine, "ann", "qos1"), "ann-pub");
    publish(
        &publisher,
        &mut pub_conn,
        "class/ann/temperature",
        QoS::ExactlyOnce,
        false,
    );
    assert_eq!(wait_done(engine, "ann", "qos2"), "ann-pub");

    // 8. a retained message seen by a late subscriber
    publish(
        &publisher,
        &mut pub_conn,
        "class/ann/status",
        QoS::AtLeastOnce,
        true,
    );
    let (late, mut late_conn) = v4_client(addr, "ann-late", signed_in("ann"));
    late.subscribe("class/ann/status", QoS::AtLeastOnce)
        .unwrap();
    let got = receive_v4(&mut late_conn, 1);
    assert!(got.first().is_some_and(|r| r.retain), "{got:?}");
    assert_eq!(wait_done(engine, "ann", "retained"), "ann-late");

    // 9. a last will published when a client drops without DISCONNECT
    let (mortal, mortal_conn) = v4_client(addr, "ann-mortal", |o| {
        o.set_credentials("ann", "x");
        o.set_last_will(LastWill::new(
            "class/ann/status",
            "offline",
            QoS::AtLeastOnce,
            false,
        ));
    });
    // Dropping the connection closes the socket without a DISCONNECT.
    drop(mortal_conn);
    drop(mortal);
    assert_eq!(wait_done(engine, "ann", "will"), "ann-mortal");

    // 10. a persistent session gets messages queued while it was away
    let inbox_options = |o: &mut MqttOptions| {
        o.set_credentials("ann", "x");
        o.set_clean_session(false);
    };
    let (inbox, mut inbox_conn) = v4_client(addr, "ann-inbox", inbox_options);
    inbox
        .subscribe("class/ann/inbox", QoS::AtLeastOnce)
        .unwrap();
    wait_v4_suback(&mut inbox_conn);
    disconnect_v4(&inbox, &mut inbox_conn);
    drop(inbox_conn);
    let session = step_index(engine, "session");
    publish(
        &publisher,
        &mut pub_conn,
        "class/ann/inbox",
        QoS::AtLeastOnce,
        false,
    );
    assert!(!state(engine, "ann", session).is_finished());
    let (_inbox, mut inbox_conn) = v4_client(addr, "ann-inbox", inbox_options);
    let queued = receive_v4(&mut inbox_conn, 1);
    assert_eq!(queued.len(), 1, "the queued message arrives");
    assert_eq!(wait_done(engine, "ann", "session"), "ann-inbox");

    // 11. unsubscribe
    client.unsubscribe("class/ann/#").unwrap();
    pump_v4(&mut conn, Duration::from_millis(300));
    assert_eq!(wait_done(engine, "ann", "unsubscribe"), "ann-main");

    // 12. MQTT 5: a message expiry (a rumqttc v5 client)
    let (v5, mut v5_conn) = v5::client(addr, "ann-v5", |o| {
        o.set_credentials("ann", "x");
    });
    v5.publish_with_properties(
        "class/ann/v5",
        rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        false,
        b"hi".to_vec(),
        rumqttc::v5::mqttbytes::v5::PublishProperties {
            message_expiry_interval: Some(60),
            ..Default::default()
        },
    )
    .unwrap();
    v5::pump(&mut v5_conn, Duration::from_millis(300));
    assert_eq!(wait_done(engine, "ann", "mqtt5"), "ann-v5");

    let snapshot = engine.course().snapshot();
    let ann = learner(&snapshot, "ann").expect("ann is on the roster");
    assert_eq!(ann.done_count(), 12, "{:?}", ann.steps);
    assert!(ann.messages_in >= 6, "PUBLISH packets ann sent");
    assert!(ann.messages_out >= 2, "PUBLISH packets ann received");
    assert!(ann.client_ids.contains(&"ann-v5".to_owned()));

    // Each completion was announced once, naming the learner and the step.
    let mut completed = Vec::new();
    while let Some(event) = engine.events().try_next() {
        if let Event::StepCompleted { learner, step, .. } = &event {
            completed.push((learner.clone(), *step));
            if *step == qos1 {
                assert_eq!(
                    event.describe(),
                    "ann completed step 6: Publish at QoS 1 and see the PUBACK (client \"ann-pub\")"
                );
            }
        }
    }
    completed.sort();
    assert_eq!(
        completed,
        (0..12).map(|s| ("ann".to_owned(), s)).collect::<Vec<_>>()
    );
}

#[test]
fn wrong_attempts_do_not_tick_but_give_hints() {
    let broker = Broker::start();
    let engine = &broker.engine;
    let addr = broker.info.tcp;
    open_built_in(engine);
    let qos1 = step_index(engine, "qos1");
    let plus = step_index(engine, "plus");
    let retained = step_index(engine, "retained");

    // bob is at the QoS 1 step (the ones before skipped) and publishes at QoS 0.
    let (bob, mut bob_conn) = v4_client(addr, "bob", |_| {});
    // The roster knows a learner once the course has seen them connect.
    wait_done(engine, "bob", "connect");
    for step in 1..qos1 {
        course(
            engine,
            CourseCommand::Skip {
                learner: Some("bob".into()),
                step,
            },
        )
        .expect("skip");
    }
    publish(
        &bob,
        &mut bob_conn,
        "class/bob/temperature",
        QoS::AtMostOnce,
        false,
    );
    assert_eq!(
        wait_missed(engine, "bob", "qos1"),
        "you published at QoS 0; this step asks for QoS 1"
    );
    assert_eq!(
        wait_done(engine, "bob", "qos0"),
        "bob",
        "a skipped step done anyway counts"
    );
    // Then at QoS 1: ticked.
    publish(
        &bob,
        &mut bob_conn,
        "class/bob/temperature",
        QoS::AtLeastOnce,
        false,
    );
    wait_done(engine, "bob", "qos1");

    // carol is at the + step and subscribes without a wildcard.
    let (carol, mut carol_conn) = v4_client(addr, "carol", |_| {});
    // The roster knows a learner once the course has seen them connect.
    wait_done(engine, "carol", "connect");
    course(
        engine,
        CourseCommand::Skip {
            learner: Some("carol".into()),
            step: 1,
        },
    )
    .expect("skip");
    carol
        .subscribe("class/carol/temperature", QoS::AtMostOnce)
        .unwrap();
    wait_v4_suback(&mut carol_conn);
    assert_eq!(
        wait_missed(engine, "carol", "plus"),
        "your filter class/carol/temperature has no wildcard; this step asks for one with +"
    );
    assert!(!state(engine, "carol", plus).is_finished());

    // dave is at the retained step and publishes without the retain flag.
    let (dave, mut dave_conn) = v4_client(addr, "dave", |_| {});
    // The roster knows a learner once the course has seen them connect.
    wait_done(engine, "dave", "connect");
    for step in 1..retained {
        course(
            engine,
            CourseCommand::Skip {
                learner: Some("dave".into()),
                step,
            },
        )
        .expect("skip");
    }
    publish(
        &dave,
        &mut dave_conn,
        "class/dave/status",
        QoS::AtLeastOnce,
        false,
    );
    let hint = wait_missed(engine, "dave", "retained");
    assert!(hint.contains("was not retained"), "{hint}");
    assert!(!state(engine, "dave", retained).is_finished());

    // A hint for another step than the learner's current one is not shown (bob's QoS 0 publish
    // above did not mark carol's or dave's steps, and bob's own later steps stay open).
    let qos2 = step_index(engine, "qos2");
    assert_eq!(state(engine, "bob", qos2), StepState::Open);
}

#[test]
fn learners_progress_apart_out_of_order_and_skip_and_reset_work() {
    let broker = Broker::start();
    let engine = &broker.engine;
    let addr = broker.info.tcp;
    open_built_in(engine);
    let qos2 = step_index(engine, "qos2");

    // erin jumps ahead: QoS 2 before anything else.
    let (erin, mut erin_conn) = v4_client(addr, "erin-1", signed_in("erin"));
    publish(&erin, &mut erin_conn, "x/y", QoS::ExactlyOnce, false);
    wait_done(engine, "erin", "qos2");
    // frank only connects.
    let (_frank, mut frank_conn) = v4_client(addr, "frank-1", signed_in("frank"));
    wait_done(engine, "frank", "connect");
    pump_v4(&mut frank_conn, Duration::from_millis(100));
    let snapshot = engine.course().snapshot();
    let erin_row = learner(&snapshot, "erin").unwrap();
    let frank_row = learner(&snapshot, "frank").unwrap();
    assert!(matches!(erin_row.steps[qos2], StepState::Done { .. }));
    assert!(!frank_row.steps[qos2].is_finished());
    assert!(erin_row.connected && frank_row.connected);
    assert_eq!(
        snapshot
            .learners
            .iter()
            .map(|l| l.learner.as_str())
            .collect::<Vec<_>>(),
        ["erin", "frank"],
        "sorted by name"
    );

    // Skipped for the whole class: everyone, and learners still to come.
    course(
        engine,
        CourseCommand::Skip {
            learner: None,
            step: 4,
        },
    )
    .unwrap();
    let (_gina, _gina_conn) = v4_client(addr, "gina-1", signed_in("gina"));
    let snapshot = wait_course(engine, "gina joins", |s| learner(s, "gina").is_some());
    assert_eq!(snapshot.skipped_for_all, vec![4]);
    for l in &snapshot.learners {
        assert_eq!(l.steps[4], StepState::Skipped, "{}", l.learner);
    }
    course(
        engine,
        CourseCommand::Unskip {
            learner: None,
            step: 4,
        },
    )
    .unwrap();
    let snapshot = wait_course(engine, "unskipped", |s| s.skipped_for_all.is_empty());
    assert_eq!(
        learner(&snapshot, "gina").unwrap().steps[4],
        StepState::Open
    );

    // Reset one learner: only theirs goes.
    course(
        engine,
        CourseCommand::Reset {
            learner: Some("erin".into()),
        },
    )
    .unwrap();
    let snapshot = wait_course(engine, "erin reset", |s| {
        learner(s, "erin").is_some_and(|l| l.done_count() == 0)
    });
    assert!(learner(&snapshot, "frank").unwrap().done_count() > 0);
    // Reset everyone.
    course(engine, CourseCommand::Reset { learner: None }).unwrap();
    wait_course(engine, "all reset", |s| {
        s.learners.iter().all(|l| l.done_count() == 0)
    });
    // A bad step or learner is refused in words.
    let error = course(
        engine,
        CourseCommand::Skip {
            learner: None,
            step: 99,
        },
    )
    .unwrap_err();
    assert!(error.contains("no step 100"), "{error}");
    let error = course(
        engine,
        CourseCommand::Reset {
            learner: Some("nobody".into()),
        },
    )
    .unwrap_err();
    assert!(error.contains("nobody"), "{error}");

    // A learner that disconnects shows as not connected.
    drop(erin_conn);
    drop(erin);
    wait_course(engine, "erin disconnected", |s| {
        learner(s, "erin").is_some_and(|l| !l.connected)
    });

    // Closing the course empties the view.
    course(engine, CourseCommand::Close).unwrap();
    assert!(engine.course().snapshot().course.is_none());
    // What the course did is told in the activity log.
    let mut said = Vec::new();
    while let Some(event) = engine.events().try_next() {
        if let Event::CourseChanged(what) = event {
            said.push(what);
        }
    }
    assert_eq!(
        said.first().map(String::as_str),
        Some("course \"MQTT in 12 steps\" opened (12 steps)")
    );
    assert!(
        said.contains(&"step 5 skipped for the whole class".to_owned()),
        "{said:?}"
    );
    assert!(
        said.contains(&"progress reset for \"erin\"".to_owned()),
        "{said:?}"
    );
    assert_eq!(said.last().map(String::as_str), Some("course closed"));
}

#[test]
fn the_apps_own_monitor_and_fleet_devices_are_not_learners() {
    let broker = Broker::start();
    let engine = &broker.engine;
    let addr = broker.info.tcp;
    open_built_in(engine);
    engine
        .call(
            Command::Fleet(FleetCommand::Replace {
                target: FleetTarget::Embedded,
                groups: vec![GroupSpec {
                    count: 3,
                    every: Some(Duration::from_millis(200)),
                    ..GroupSpec::default()
                }],
                start: true,
            }),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    // The app's own subscriber takes every topic (it sees the devices' messages).
    engine
        .call(
            Command::Monitor(MonitorCommand::Subscribe {
                filter: "#".to_owned(),
                qos: 1,
            }),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    wait_for_snapshot(engine, "devices publish and the monitor receives", |s| {
        s.monitor.subscribed
            && s.monitor.received_total >= 3
            && s.fleet.groups.iter().any(|g| g.sent >= 6)
    });
    // A learner connects after the devices, so the course has seen everyone's packets by then.
    let (_hana, mut hana_conn) = v4_client(addr, "hana", |_| {});
    wait_done(engine, "hana", "connect");
    pump_v4(&mut hana_conn, Duration::from_millis(500));
    let snapshot = engine.course().snapshot();
    let names: Vec<&str> = snapshot
        .learners
        .iter()
        .map(|l| l.learner.as_str())
        .collect();
    assert_eq!(
        names,
        ["hana"],
        "only the learner is on the roster: {:?}",
        snapshot.learners
    );
}

#[test]
fn with_no_course_open_commands_are_refused_and_nothing_is_followed() {
    let broker = Broker::start();
    let engine = &broker.engine;
    let error = course(engine, CourseCommand::Reset { learner: None }).unwrap_err();
    assert!(error.contains("no course is open"), "{error}");
    let (_c, mut conn) = v4_client(broker.info.tcp, "ivy", |_| {});
    pump_v4(&mut conn, Duration::from_millis(200));
    assert!(engine.course().snapshot().course.is_none());
    assert!(engine.course().snapshot().learners.is_empty());
    // A missing course file is refused in words naming it.
    let error = course(
        engine,
        CourseCommand::Open("/nonexistent/course.toml".into()),
    )
    .unwrap_err();
    assert!(error.contains("/nonexistent/course.toml"), "{error}");
}

#[test]
fn a_class_of_three_hundred_learners_each_get_their_row_and_ticks() {
    use std::io::Write;
    const CLASS: usize = 300;
    let broker = Broker::start();
    let engine = &broker.engine;
    open_built_in(engine);
    let qos1 = step_index(engine, "qos1");
    let rss_before = common::process::rss_kib();
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(CLASS);
    for n in 0..CLASS {
        let user = format!("s{n:03}");
        let mut socket = std::net::TcpStream::connect(broker.info.tcp).expect("connects");
        let mut bytes = common::raw::connect(
            common::raw::Version::V4,
            &format!("{user}-laptop"),
            30,
            Some((&user, "pw")),
        );
        // A QoS 1 PUBLISH with packet id 1, right behind the CONNECT.
        let topic = format!("class/{user}/t");
        let mut body = common::raw::mqtt_string(topic.as_bytes());
        body.extend_from_slice(&[0, 1, b'x']);
        bytes.extend(common::raw::packet(0x32, &body));
        socket.write_all(&bytes).expect("sends");
        sockets.push(socket);
    }
    let snapshot = wait_course(engine, "every learner has QoS 1 done", |s| {
        s.learners.len() == CLASS
            && s.learners
                .iter()
                .all(|l| matches!(l.steps[qos1], StepState::Done { .. }) && l.connected)
    });
    eprintln!(
        "{CLASS} learners connected and ticked in {:?}; RSS grew by {} KiB; {} packets dropped",
        started.elapsed(),
        common::process::rss_kib().saturating_sub(rss_before),
        snapshot.dropped_packets
    );
    assert_eq!(snapshot.dropped_packets, 0);
    assert_eq!(snapshot.learners[7].learner, "s007");
    assert_eq!(snapshot.learners[7].client_ids, ["s007-laptop"]);
    drop(sockets);
    wait_course(engine, "everyone gone", |s| {
        s.learners.iter().all(|l| !l.connected)
    });
}

#[test]
fn a_completed_step_line_names_the_learner_the_step_and_a_client_with_an_id() {
    let event = |client_id: &str| Event::StepCompleted {
        learner: "student07".into(),
        client_id: client_id.into(),
        step: 5,
        title: "Publish at QoS 1 and see the PUBACK".into(),
    };
    assert_eq!(
        event("laptop").describe(),
        "student07 completed step 6: Publish at QoS 1 and see the PUBACK (client \"laptop\")"
    );
    // mosquitto_pub sends no client id by default: nothing to name.
    assert_eq!(
        event("").describe(),
        "student07 completed step 6: Publish at QoS 1 and see the PUBACK"
    );
}

#[test]
fn a_learner_connected_before_the_course_opened_is_followed_from_their_next_packet() {
    let broker = Broker::start();
    let engine = &broker.engine;
    let (early, mut early_conn) = v4_client(broker.info.tcp, "early-1", signed_in("early"));
    pump_v4(&mut early_conn, Duration::from_millis(100));
    open_built_in(engine);
    publish(
        &early,
        &mut early_conn,
        "class/early/t",
        QoS::AtLeastOnce,
        false,
    );
    assert_eq!(wait_done(engine, "early", "qos1"), "early-1");
    let snapshot = engine.course().snapshot();
    let row = learner(&snapshot, "early").expect("on the roster");
    assert!(row.connected);
    assert_eq!(row.client_ids, ["early-1"]);
    // Its CONNECT came before the course: connecting again ticks the connect step.
    assert_eq!(row.steps[0], StepState::Open);
}
