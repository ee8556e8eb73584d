//! UI test: a scenario that opens the broker to the network asks first, and "Keep this computer only"
//! runs it on 127.0.0.1 (real window headless, real engine and broker).

mod common;

use std::path::PathBuf;

use common::window::*;
use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::engine::BrokerStatus;
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::file_dialog::{FilePurpose, PresetFilePicker};

const OPEN_SCENARIO: &str = r#"
description = "opens the broker to the whole network"

[broker]
bind = "0.0.0.0"
port = 0
websocket_port = 0

[[group]]
name = "lab"
count = 2
topic = "lab/{n}"
payload = "x"
every = "1s"
"#;

#[test]
fn a_scenario_binding_0_0_0_0_asks_first_and_keep_this_computer_only_stays_on_loopback() {
    let (engine, info) = running_broker();
    let path: PathBuf = std::env::temp_dir().join(format!(
        "mqtt-playground-open-scenario-{}.toml",
        std::process::id()
    ));
    std::fs::write(&path, OPEN_SCENARIO).unwrap();
    let mut picker = PresetFilePicker::default();
    picker
        .answers
        .insert(FilePurpose::OpenScenario, path.clone());
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, settings)
                .with_tab(Tab::Devices)
                .with_file_picker(Box::new(picker))
        });
    harness.run_steps(2);
    harness.get_by_label("Open scenario…").click();
    wait_until(&mut harness, "the question is asked", |h| {
        h.query_by_label_contains("opens the broker to your network (0.0.0.0) without a password")
            .is_some()
    });
    // Nothing happened yet: the broker still runs as before.
    match &harness.state().engine().snapshot().broker {
        BrokerStatus::Running(running) => assert_eq!(running.settings, info.settings),
        other => panic!("the broker kept running while asking, got {other:?}"),
    }

    harness.get_by_label("Keep this computer only").click();
    wait_until(
        &mut harness,
        "the scenario runs on this computer only",
        |h| {
            let snapshot = h.state().engine().snapshot();
            let on_loopback = matches!(&snapshot.broker, BrokerStatus::Running(running)
            if running.settings.bind.is_loopback() && running.settings.ws_port.is_none());
            on_loopback && snapshot.fleet.groups.iter().any(|g| g.spec.name == "lab")
        },
    );
    // The engine can act on the answer before the harness draws again: the frame that took the click
    // still drew the question, so draw once more before looking for it.
    harness.step();
    assert!(
        harness
            .query_by_label_contains("opens the broker to your network")
            .is_none(),
        "the question is gone"
    );
    let _ = std::fs::remove_file(&path);
}
