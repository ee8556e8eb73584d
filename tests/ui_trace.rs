//! UI tests of the Trace tab (egui_kittest): pick a real client and see its CONNECT arrow; a pixel
//! snapshot of the sequence diagram drawn from fixed records.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::window::*;
use common::*;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError};
use mqtt_playground::engine::Snapshot;
use mqtt_playground::engine::trace::{
    CONNECTION_END, PacketRecord, TraceAccess, TraceDirection, TraceStore,
};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::trace::TracePanel;
use serde_json::json;

#[test]
fn pick_a_client_and_see_its_connect_arrow() {
    let (engine, info) = running_broker();
    let (_client, mut connection) = v4_client(info.tcp, "ui-traced", |_| {});
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Trace));
    wait_until(&mut harness, "the client is listed", |h| {
        h.state()
            .engine()
            .snapshot()
            .clients
            .iter()
            .any(|c| &*c.client_id == "ui-traced")
    });
    harness.run_steps(2);
    harness.get_by_label("Client").click();
    harness.run_steps(2);
    harness.get_by_label("ui-traced").click();
    wait_until(&mut harness, "the CONNECT arrow", |h| {
        h.query_by_label("client → broker: CONNECT ui-traced")
            .is_some()
    });
    assert!(
        harness
            .query_by_label("broker → client: CONNACK accepted")
            .is_some(),
        "the broker's answer is drawn too"
    );
    pump_v4(&mut connection, Duration::from_millis(10));
}

#[test]
fn a_logged_message_opens_its_journey() {
    use mqtt_playground::engine::Command;
    use mqtt_playground::engine::trace::TraceCommand;
    let (engine, info) = running_broker();
    engine
        .call(Command::Trace(TraceCommand::WatchAll(true)), PATIENCE)
        .expect("the engine answers")
        .expect("every client is traced");
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Messages));
    wait_until(&mut harness, "the app's subscriber listens", |h| {
        h.state().engine().snapshot().monitor.subscribed
    });
    // (A v5 PUBLISH with properties is not used here: rumqttd 0.20 panics writing one to a v4
    // subscriber such as the app's own, see the report.)
    let (publisher, mut connection) = v4_client(info.tcp, "ui-journey-pub", |_| {});
    publisher
        .publish(
            "journey/ui",
            rumqttc::QoS::AtLeastOnce,
            false,
            "hello-journey",
        )
        .unwrap();
    pump_v4(&mut connection, Duration::from_millis(300));
    wait_until(&mut harness, "the row", |h| {
        h.query_all_by_label("hello-journey").next().is_some()
    });
    harness
        .get_all_by_label("hello-journey")
        .next()
        .unwrap()
        .click();
    wait_until(&mut harness, "the detail", |h| {
        h.query_by_label("Show its journey").is_some()
    });
    assert!(
        harness
            .query_by_label("MQTT 5 properties: none (published by ui-journey-pub).")
            .is_some(),
        "the detail looked the message up in the trace"
    );
    harness.get_by_label("Show its journey").click();
    wait_until(&mut harness, "the journey", |h| {
        h.query_by_label("journey: PUBLISH journey/ui QoS 1 id 1")
            .is_some()
    });
    assert!(
        harness.query_by_label("journey: PUBACK id 1").is_some(),
        "the publisher's handshake"
    );
    // The app's own subscriber got a copy from the broker, with a packet id of its own.
    assert!(
        harness
            .query_by_label_contains("journey: mqtt-playground-watch-")
            .is_some(),
        "the subscriber's copy"
    );
}

#[test]
fn the_message_detail_shows_mqtt5_properties_from_the_trace() {
    let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
    let mut store = TraceStore::default();
    let mut publish = record(
        0,
        TraceDirection::In,
        "PUBLISH",
        "PUBLISH room/1 QoS 0",
        vec![
            ("topic", json!("room/1")),
            ("qos", json!(0)),
            ("payload_size", json!(4)),
            ("message_expiry_s", json!(120)),
            ("user_properties", json!([["unit", "celsius"]])),
        ],
    );
    publish.client = "v5-sensor".into();
    store.push(publish);
    let mut more = mqtt_playground::ui::trace::message_properties(TraceAccess::from_store(store));
    let mut harness = Harness::builder()
        .with_size([600.0, 300.0])
        .build_ui(move |ui| more(ui, "room/1", 4, at + Duration::from_millis(3)));
    harness.run_steps(2);
    assert!(harness.query_by_label("MQTT 5 properties").is_some());
    assert!(harness.query_by_label(r#"[["unit","celsius"]]"#).is_some());
    assert!(
        harness.query_by_label("120").is_some(),
        "the message expiry"
    );
}

fn record(
    at_ms: u64,
    direction: TraceDirection,
    packet: &'static str,
    label: &str,
    fields: Vec<(&'static str, serde_json::Value)>,
) -> PacketRecord {
    PacketRecord {
        seq: 0,
        time: UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + at_ms),
        client: "sensor-1".into(),
        connection: 1,
        direction,
        packet,
        label: label.to_owned(),
        fields,
    }
}

/// A QoS 2 publish, a subscription, a quiet spell, a ping, and the connection lost with its will.
fn diagram_data() -> TraceAccess {
    use TraceDirection::{In, Out};
    let mut store = TraceStore::default();
    for r in [
        record(
            0,
            In,
            "CONNECT",
            "CONNECT sensor-1",
            vec![
                ("client_id", json!("sensor-1")),
                ("keep_alive_s", json!(30)),
            ],
        ),
        record(
            3,
            Out,
            "CONNACK",
            "CONNACK accepted",
            vec![("session_present", json!(false))],
        ),
        record(
            10,
            In,
            "SUBSCRIBE",
            "SUBSCRIBE cmd/# id 1",
            vec![("packet_id", json!(1))],
        ),
        record(
            12,
            Out,
            "SUBACK",
            "SUBACK id 1 granted QoS 1",
            vec![("packet_id", json!(1))],
        ),
        record(
            500,
            In,
            "PUBLISH",
            "PUBLISH room/1/temp QoS 2 id 2",
            vec![("packet_id", json!(2))],
        ),
        record(
            502,
            Out,
            "PUBREC",
            "PUBREC id 2",
            vec![("packet_id", json!(2))],
        ),
        record(
            503,
            In,
            "PUBREL",
            "PUBREL id 2",
            vec![("packet_id", json!(2))],
        ),
        record(
            505,
            Out,
            "PUBCOMP",
            "PUBCOMP id 2",
            vec![("packet_id", json!(2))],
        ),
        record(30_505, In, "PINGREQ", "PINGREQ", vec![]),
        record(30_506, Out, "PINGRESP", "PINGRESP", vec![]),
        record(
            41_000,
            In,
            CONNECTION_END,
            "connection ended: connection lost; will published on room/1/status",
            vec![("how", json!("connection lost"))],
        ),
    ] {
        store.push(r);
    }
    TraceAccess::from_store(store)
}

#[test]
fn the_sequence_diagram_draws_fixed_records_the_same_way() {
    let access = diagram_data();
    let snapshot = Snapshot::default();
    let mut panel = TracePanel::default();
    panel.show_client("sensor-1");
    let mut harness = Harness::builder()
        .with_size([900.0, 520.0])
        .build_ui(move |ui| {
            panel.ui(ui, &snapshot, &access);
        });
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label("broker → client: PUBREC id 2")
            .is_some(),
        "the QoS 2 handshake is drawn"
    );
    assert!(
        harness.query_by_label_contains("connection lost").is_some(),
        "the connection's end is drawn"
    );
    match harness.try_snapshot("trace_diagram") {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) if !tools::under_ci() => {
            eprintln!(
                "SKIPPED: the trace snapshot needs a GPU or Mesa's software renderer ({err})"
            );
        }
        Err(err) => panic!("{err}"),
    }
}

/// Two sensors and an alarm publishing; a dashboard and a pager subscribing.
fn flow_data() -> TraceAccess {
    let mut store = TraceStore::default();
    let publish =
        |client: &str, direction: TraceDirection, topic: &str, retain: bool, at_ms: u64| {
            let mut r = record(
                at_ms,
                direction,
                "PUBLISH",
                &format!("PUBLISH {topic}"),
                vec![("topic", json!(topic)), ("retain", json!(retain))],
            );
            r.client = client.into();
            r
        };
    for i in 0..5u64 {
        store.push(publish(
            "sensor-1",
            TraceDirection::In,
            "building/rooms/room-1/t",
            false,
            i * 100,
        ));
        store.push(publish(
            "sensor-2",
            TraceDirection::In,
            "building/rooms/room-2/t",
            i == 0,
            i * 100 + 10,
        ));
        store.push(publish(
            "dashboard",
            TraceDirection::Out,
            "building/rooms/room-1/t",
            false,
            i * 100 + 20,
        ));
        store.push(publish(
            "dashboard",
            TraceDirection::Out,
            "building/rooms/room-2/t",
            false,
            i * 100 + 30,
        ));
    }
    store.push(publish(
        "alarm",
        TraceDirection::In,
        "alerts/fire",
        false,
        600,
    ));
    store.push(publish(
        "pager",
        TraceDirection::Out,
        "alerts/fire",
        false,
        610,
    ));
    TraceAccess::from_store(store)
}

#[test]
fn focus_the_flow_map_on_a_topic() {
    use mqtt_playground::ui::flow_map::FlowMapPanel;
    let access = flow_data();
    let snapshot = Snapshot::default();
    let now = UNIX_EPOCH + Duration::from_millis(1_700_000_001_000);
    let mut panel = FlowMapPanel::at(now);
    let mut harness = Harness::builder()
        .with_size([1000.0, 520.0])
        .build_ui_state(
            move |ui, focus: &mut Option<String>| {
                panel.ui(ui, &snapshot, &access);
                *focus = panel.focus().map(str::to_owned);
            },
            None,
        );
    harness.run_steps(2);
    for shown in [
        "client: sensor-1",
        "client: alarm",
        "client: dashboard",
        "topic: building/rooms/#",
        "topic: alerts/fire",
    ] {
        assert!(
            harness.query_by_label(shown).is_some(),
            "{shown} is on the map"
        );
    }
    match harness.try_snapshot("flow_map") {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) if !tools::under_ci() => {
            eprintln!(
                "SKIPPED: the flow map snapshot needs a GPU or Mesa's software renderer ({err})"
            );
        }
        Err(err) => panic!("{err}"),
    }
    harness.get_by_label("topic: building/rooms/#").click();
    harness.run_steps(2);
    assert_eq!(harness.state().as_deref(), Some("building/rooms/#"));
    assert!(
        harness
            .query_by_label("Focused on building/rooms/#")
            .is_some()
    );
    assert!(
        harness.query_by_label("client: sensor-2").is_some(),
        "its publishers stay"
    );
    assert!(
        harness.query_by_label("client: dashboard").is_some(),
        "its subscribers stay"
    );
    assert!(
        harness.query_by_label("client: alarm").is_none(),
        "others step aside"
    );
    assert!(harness.query_by_label("topic: alerts/fire").is_none());
}
