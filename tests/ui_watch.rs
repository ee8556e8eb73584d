//! UI tests of watching traffic (Messages, Topics, Publish, Plots), driven by their labels with egui_kittest
//! on a real engine and broker with real MQTT clients over TCP; plus a pixel snapshot of the Plots tab
//! drawn from fixed data.

mod common;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use common::window::*;
use common::*;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError};
use mqtt_playground::engine::monitor::{LogAccess, LogStore, Series, SeriesId, SeriesLine};
use mqtt_playground::engine::watch::{JsonPath, TopicTree};
use mqtt_playground::engine::{Engine, RunningInfo, Snapshot};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::file_dialog::{FilePurpose, PresetFilePicker};
use mqtt_playground::ui::plots_panel::PlotsPanel;
use rumqttc::QoS;

fn window(engine: Engine, info: &RunningInfo, tab: Tab) -> Harness<'static, PlaygroundApp> {
    let settings = info.settings.clone();
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(tab))
}

fn shown(harness: &Harness<'_, PlaygroundApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

fn subscriber_ready(harness: &Harness<'_, PlaygroundApp>, filter: &str) -> bool {
    let monitor = harness.state().engine().snapshot().monitor.clone();
    monitor.connected && monitor.subscriptions.iter().any(|(f, _)| f == filter)
}

#[test]
fn subscribe_see_a_message_filter_it_and_open_it() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info, Tab::Messages);
    harness.run_steps(2);

    retype(&mut harness, Role::TextInput, "Subscribe to", "lab/#");
    harness.get_by_label("Subscribe").click();
    wait_until(&mut harness, "the subscription is active", |h| {
        subscriber_ready(h, "lab/#")
    });

    let (client, mut connection) = v4_client(info.tcp, "ui-watch-publisher", |_| {});
    client
        .publish(
            "lab/room1/temp",
            QoS::AtLeastOnce,
            false,
            br#"{"t":21.5,"unit":"C"}"#.to_vec(),
        )
        .unwrap();
    client
        .publish("lab/room2/hum", QoS::AtMostOnce, false, b"40".to_vec())
        .unwrap();
    pump_v4(&mut connection, Duration::from_millis(300));
    wait_until(&mut harness, "both rows shown", |h| {
        shown(h, "lab/room1/temp") && shown(h, "lab/room2/hum")
    });
    assert!(
        shown(&harness, r#"{"t":21.5,"unit":"C"}"#),
        "the JSON payload is previewed compactly"
    );

    // Filter by payload/topic text: only room1 stays.
    retype(&mut harness, Role::TextInput, "Search", "room1");
    wait_until(&mut harness, "room2 filtered out", |h| {
        !shown(h, "lab/room2/hum") && shown(h, "lab/room1/temp")
    });
    // A wildcard topic filter that matches only the humidity topic.
    retype(&mut harness, Role::TextInput, "Search", "");
    retype(&mut harness, Role::TextInput, "Topic", "lab/+/hum");
    wait_until(&mut harness, "only the humidity row", |h| {
        shown(h, "lab/room2/hum") && !shown(h, "lab/room1/temp")
    });
    retype(&mut harness, Role::TextInput, "Topic", "");
    wait_until(&mut harness, "both rows again", |h| {
        shown(h, "lab/room1/temp") && shown(h, "lab/room2/hum")
    });

    // Open the JSON message: the detail shows it pretty-printed, with its flags.
    harness
        .get_all_by_label(r#"{"t":21.5,"unit":"C"}"#)
        .next()
        .unwrap()
        .click();
    wait_until(&mut harness, "the detail view", |h| {
        h.query_by_label("Copy payload").is_some()
    });
    let payload = harness
        .get_by_label_contains("Payload of message")
        .value()
        .unwrap_or_default();
    assert!(
        payload.contains("\"t\": 21.5") && payload.contains('\n'),
        "pretty JSON in the detail view, got {payload:?}"
    );
    assert!(
        harness.query_by_label_contains("21 B (21 bytes)").is_some(),
        "the size is shown"
    );

    // The Topics tab lists the tree; picking a node narrows the log to its subtree.
    harness.get_by_label("Topics").click();
    wait_until(&mut harness, "the topic tree", |h| shown(h, "lab"));
    harness.get_by_label("lab").click();
    harness.run_steps(3);
    assert_eq!(harness.state().messages().topic_filter_text(), "lab/#");

    // Pause holds the list still while messages keep being received and counted.
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    client
        .publish("lab/room3/co2", QoS::AtLeastOnce, false, b"415".to_vec())
        .unwrap();
    pump_v4(&mut connection, Duration::from_millis(300));
    wait_until(&mut harness, "the paused count goes up", |h| {
        h.query_by_label_contains("Paused:").is_some()
            && h.query_by_label_contains("Paused: 0 more").is_none()
    });
    assert!(!shown(&harness, "lab/room3/co2"), "no new row while paused");
    harness.get_by_label("Resume").click();
    wait_until(&mut harness, "the new row after Resume", |h| {
        shown(h, "lab/room3/co2")
    });
    assert!(
        harness.query_by_label("Copy payload").is_some() || shown(&harness, "lab/room1/temp"),
        "the Messages tab is shown again"
    );
}

#[test]
fn publishing_from_the_panel_reaches_an_external_subscriber() {
    let (engine, info) = running_broker();
    let (subscriber, mut connection) = v4_client(info.tcp, "ui-watch-listener", |_| {});
    subscriber.subscribe("class/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut connection);

    let mut harness = window(engine, &info, Tab::Publish);
    wait_until(&mut harness, "the app's client is connected", |h| {
        h.state().engine().snapshot().monitor.connected
    });
    retype(&mut harness, Role::TextInput, "Topic", "class/demo");
    retype(
        &mut harness,
        Role::MultilineTextInput,
        "Payload",
        "hi from the panel",
    );
    harness.get_by_label("Send").click();
    harness.run_steps(2);
    let got = receive_v4(&mut connection, 1);
    assert_eq!(
        got.first()
            .map(|m| (m.topic.as_str(), m.payload.as_slice())),
        Some(("class/demo", b"hi from the panel".as_slice())),
        "the publish arrives at the external subscriber"
    );

    // A bad topic is explained next to the field, and Send stays disabled.
    retype(&mut harness, Role::TextInput, "Topic", "class/+/demo");
    assert!(
        harness
            .query_by_label_contains("only subscription filters may use")
            .is_some(),
        "the wildcard error is shown"
    );
    retype(&mut harness, Role::TextInput, "Topic", "class/other");

    // The recent list re-sends with one click.
    harness.run_steps(3);
    harness.get_by_label("Send again").click();
    harness.run_steps(2);
    let again = receive_v4(&mut connection, 1);
    assert_eq!(
        again.first().map(|m| m.topic.as_str()),
        Some("class/demo"),
        "Send again publishes the remembered message"
    );
}

#[test]
fn export_the_filtered_log_and_open_it_again_through_the_file_seam() {
    let dir = std::env::temp_dir().join(format!("ui-watch-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exported = dir.join("kitchen.jsonl");
    let _ = std::fs::remove_file(&exported);
    let mut files = PresetFilePicker::default();
    files
        .answers
        .insert(FilePurpose::ExportLog, exported.clone());
    files
        .answers
        .insert(FilePurpose::OpenRecording, exported.clone());

    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, settings)
                .with_tab(Tab::Messages)
                .with_file_picker(Box::new(files))
        });
    // Looking at the Messages tab starts the subscriber on "#".
    wait_until(&mut harness, "the default subscription is active", |h| {
        h.state().engine().snapshot().monitor.subscribed
    });
    let (client, mut connection) = v4_client(info.tcp, "ui-watch-exporter", |_| {});
    for (topic, payload) in [("home/kitchen/temp", "21.5"), ("home/garage/door", "open")] {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .unwrap();
    }
    pump_v4(&mut connection, Duration::from_millis(300));
    wait_until(&mut harness, "both rows shown", |h| {
        shown(h, "home/kitchen/temp") && shown(h, "home/garage/door")
    });

    // Export saves what the filters let through.
    retype(&mut harness, Role::TextInput, "Topic", "home/kitchen/#");
    wait_until(&mut harness, "the garage row filtered out", |h| {
        !shown(h, "home/garage/door")
    });
    harness.get_by_label("Export…").click();
    let deadline = Instant::now() + PATIENCE;
    let text = loop {
        harness.step();
        let text = std::fs::read_to_string(&exported).unwrap_or_default();
        if text.lines().count() >= 1 {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no export written to {exported:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(text.lines().count(), 1, "only the filtered message: {text}");
    assert!(text.contains("home/kitchen/temp"), "{text}");

    // Clear the log, then open the recording: the exported message comes back.
    retype(&mut harness, Role::TextInput, "Topic", "");
    harness.get_by_label("Clear log").click();
    wait_until(&mut harness, "the log is empty", |h| {
        !shown(h, "home/kitchen/temp") && !shown(h, "home/garage/door")
    });
    harness.get_by_label("Open recording…").click();
    wait_until(&mut harness, "the recorded message is back", |h| {
        shown(h, "home/kitchen/temp")
    });
    assert!(!shown(&harness, "home/garage/door"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Fixed data for the Plots tab: ten minutes of broker traffic, a busy topic tree, two value series.
fn plots_data() -> (Snapshot, LogAccess) {
    let history_in: Vec<u64> = (0..600u64).map(|s| 40 + (s * 7) % 30).collect();
    let history_out: Vec<u64> = (0..600u64).map(|s| 80 + (s * 11) % 50).collect();
    let snapshot = Snapshot {
        messages_in_per_s: history_in.last().copied().unwrap_or(0),
        messages_out_per_s: history_out.last().copied().unwrap_or(0),
        history_in: history_in.into(),
        history_out: history_out.into(),
        ..Snapshot::default()
    };

    let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut tree = TopicTree::default();
    for (topic, count) in [
        ("building/floor1/room1/temperature", 24),
        ("building/floor1/room2/temperature", 17),
        ("building/floor2/room1/co2", 9),
        ("building/lobby/door", 4),
        ("alerts/fire", 1),
    ] {
        for _ in 0..count {
            tree.record(topic, "21.5", 4, false, at);
        }
    }
    tree.close_second();

    let start = 1_700_000_000.0;
    // One line per topic, each topic's values a little apart from the one before.
    let series =
        |id: u64, filter: &str, field: Option<&str>, topics: &[&str], f: &dyn Fn(f64) -> f64| {
            Series {
                id: SeriesId(id),
                filter: filter.to_owned(),
                field: field.and_then(|f| JsonPath::parse(f).ok()),
                lines: topics
                    .iter()
                    .enumerate()
                    .map(|(n, topic)| SeriesLine {
                        topic: Arc::from(*topic),
                        points: (0..120)
                            .map(|i| {
                                let t = start + f64::from(i);
                                (t, f(f64::from(i)) + 1.5 * n as f64)
                            })
                            .collect::<VecDeque<_>>(),
                    })
                    .collect(),
                not_numeric: 0,
                last_problem: None,
            }
        };
    let mut humidity = series(
        2,
        "building/+/room1/humidity",
        None,
        &["building/floor1/room1/humidity"],
        &|i| 40.0 + (i / 10.0).floor(),
    );
    humidity.not_numeric = 3;
    humidity.last_problem = Some("the payload \"n/a\" is not a number".to_owned());
    let store = LogStore {
        tree,
        series: vec![
            series(
                1,
                "building/+/+/temperature",
                Some("value"),
                &[
                    "building/floor1/room1/temperature",
                    "building/floor1/room2/temperature",
                    "building/floor2/room1/temperature",
                ],
                &|i| 20.0 + (i % 20.0) / 4.0,
            ),
            humidity,
        ],
        ..LogStore::default()
    };
    (snapshot, LogAccess::from_store(store))
}

#[test]
fn the_plots_tab_draws_fixed_data_the_same_way() {
    let (snapshot, log) = plots_data();
    let mut panel = PlotsPanel::default();
    let mut harness = Harness::builder()
        .with_size([1000.0, 760.0])
        .build_ui(move |ui| {
            panel.ui(ui, &snapshot, &log);
        });
    harness.run_steps(3);
    assert!(
        harness
            .query_all_by_label_contains("building/+/+/temperature")
            .next()
            .is_some(),
        "the series is listed"
    );
    assert!(
        harness.query_by_label_contains("3 skipped").is_some(),
        "a series' non-numeric values are explained"
    );
    assert!(
        harness.query_by_label_contains("3 topics").is_some(),
        "a wildcard series counts its topics"
    );
    match harness.try_snapshot("plots") {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err }) if !tools::under_ci() => {
            eprintln!(
                "SKIPPED: the plots snapshot needs a GPU or Mesa's software renderer ({err})"
            );
        }
        Err(err) => panic!("{err}"),
    }
}

/// Pixels of the rendered window within a small distance of `color`.
fn pixels_near(rgba: &[u8], color: [u8; 3]) -> usize {
    rgba.chunks_exact(4)
        .filter(|pixel| {
            pixel
                .iter()
                .zip(color)
                .all(|(have, want)| have.abs_diff(want) <= 24)
        })
        .count()
}

#[test]
fn equal_broker_traffic_in_and_out_are_both_visible() {
    // Every message delivered to exactly one subscriber: the two lines have the same values.
    let history: Vec<u64> = (0..60u64).map(|s| 40 + (s * 7) % 30).collect();
    let snapshot = Snapshot {
        history_in: history.clone().into(),
        history_out: history.into(),
        ..Snapshot::default()
    };
    let log = LogAccess::default();
    let mut panel = PlotsPanel::default();
    let mut harness = Harness::builder()
        .with_size([1000.0, 400.0])
        .build_ui(move |ui| {
            panel.ui(ui, &snapshot, &log);
        });
    harness.run_steps(3);
    let image = match harness.render() {
        Ok(image) => image,
        Err(err) if !tools::under_ci() => {
            eprintln!("SKIPPED: rendering needs a GPU or Mesa's software renderer ({err})");
            return;
        }
        Err(err) => panic!("{err}"),
    };
    // The legend's two dots are a few dozen pixels each; a line across the plot is hundreds.
    let incoming = pixels_near(image.as_raw(), [0x2a, 0x7a, 0xd8]);
    let outgoing = pixels_near(image.as_raw(), [0xe0, 0x7b, 0x1a]);
    assert!(incoming > 300, "the \"in\" line shows ({incoming} pixels)");
    assert!(outgoing > 300, "the \"out\" line shows ({outgoing} pixels)");
}
