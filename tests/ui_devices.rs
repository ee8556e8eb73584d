//! UI tests of the Devices panel, driven by its labels (egui_kittest) on a real engine, broker and devices.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::window::*;
use common::*;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::engine::fleet::{GroupSpec, RunState};
use mqtt_playground::engine::{Engine, RunningInfo};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::file_dialog::{FilePurpose, PresetFilePicker};

fn devices_window(engine: Engine, info: &RunningInfo) -> Harness<'static, PlaygroundApp> {
    let settings = info.settings.clone();
    Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Devices))
}

fn group(
    harness: &Harness<'_, PlaygroundApp>,
) -> Option<mqtt_playground::engine::fleet::GroupStatus> {
    harness
        .state()
        .engine()
        .snapshot()
        .fleet
        .groups
        .first()
        .cloned()
}

#[test]
fn add_a_group_edit_its_rate_start_see_devices_connect_and_stop() {
    let (engine, info) = running_broker();
    let mut harness = devices_window(engine, &info);
    harness.run_steps(2);
    harness.get_by_label("Add group").click();
    harness.run_steps(2);
    retype(&mut harness, Role::TextInput, "Devices", "3");
    harness.get_by_label("Add this group").click();
    wait_until(&mut harness, "the group is listed", |h| group(h).is_some());
    harness.run_steps(2);
    assert_eq!(group(&harness).map(|g| g.devices_total), Some(3));

    harness.get_by_label("Edit").click();
    harness.run_steps(2);
    harness.get_by_label("messages/s per device").click();
    harness.run_steps(2);
    retype(&mut harness, Role::TextInput, "messages/s per device", "4");
    harness.get_by_label("Apply").click();
    wait_until(&mut harness, "the new rate reaches the engine", |h| {
        group(h).is_some_and(|g| g.spec.rate == Some(4.0) && g.spec.every.is_none())
    });

    // Let the window settle after the editor closed, so the click finds the button where it now is.
    harness.run_steps(2);
    harness.get_by_label("Start group").click();
    wait_until(&mut harness, "3 of 3 connected shown", |h| {
        h.query_by_label("3 of 3 connected").is_some()
    });
    assert_eq!(group(&harness).map(|g| g.run), Some(RunState::Running));
    wait_for_snapshot(
        harness.state().engine(),
        "three clients at the broker",
        |s| s.clients.len() == 3,
    );

    harness.get_by_label("Stop group").click();
    wait_until(&mut harness, "Stopped shown and devices gone", |h| {
        h.query_by_label("Stopped").is_some() && h.state().engine().snapshot().clients.is_empty()
    });
}

#[test]
fn a_template_error_shows_where_and_the_group_cannot_be_added() {
    let (engine, info) = running_broker();
    let mut harness = devices_window(engine, &info);
    harness.run_steps(2);
    harness.get_by_label("Add group").click();
    harness.run_steps(2);
    retype(
        &mut harness,
        Role::MultilineTextInput,
        "Payload template",
        "{\"t\": {{sine(period=0s)}}}",
    );
    harness.run_steps(2);
    assert!(
        harness.query_by_label_contains("line 1, column").is_some(),
        "the error says where"
    );
    assert!(
        harness.query_by_label_contains("period").is_some(),
        "and what is wrong"
    );
    harness.get_by_label("Add this group").click();
    harness.run_steps(3);
    assert!(group(&harness).is_none(), "nothing was added");
}

#[test]
fn kill_a_device_from_its_row_then_reconnect_it() {
    let (engine, info) = running_broker();
    engine
        .call(
            mqtt_playground::engine::Command::Fleet(
                mqtt_playground::engine::fleet::FleetCommand::AddGroup(GroupSpec {
                    count: 2,
                    every: Some(Duration::from_secs(2)),
                    ..GroupSpec::default()
                }),
            ),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    let mut harness = devices_window(engine, &info);
    harness.run_steps(2);
    harness.get_by_label("Start group").click();
    wait_until(&mut harness, "both connected", |h| {
        h.query_by_label("2 of 2 connected").is_some()
    });
    harness
        .get_by_label("Show devices (kill, reconnect)")
        .click();
    wait_until(&mut harness, "device rows", |h| {
        h.query_by_label("Kill sensors-2").is_some()
    });
    harness.get_by_label("Kill sensors-2").click();
    wait_until(&mut harness, "killed shown", |h| {
        h.query_by_label("Reconnect sensors-2").is_some()
    });
    assert_eq!(group(&harness).map(|g| g.killed), Some(1));
    harness.get_by_label("Reconnect sensors-2").click();
    wait_until(&mut harness, "back to 2 of 2", |h| {
        h.query_by_label("2 of 2 connected").is_some()
    });
}

#[test]
fn save_and_open_a_scenario_through_the_file_seam() {
    let (engine, info) = running_broker();
    engine
        .call(
            mqtt_playground::engine::Command::Fleet(
                mqtt_playground::engine::fleet::FleetCommand::AddGroup(GroupSpec {
                    name: "saved".into(),
                    count: 7,
                    ..GroupSpec::default()
                }),
            ),
            PATIENCE,
        )
        .unwrap()
        .unwrap();
    let path: PathBuf = std::env::temp_dir().join(format!(
        "mqtt-playground-ui-scenario-{}.toml",
        std::process::id()
    ));
    let mut picker = PresetFilePicker::default();
    picker
        .answers
        .insert(FilePurpose::SaveScenario, path.clone());
    picker.answers.insert(
        FilePurpose::OpenScenario,
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/smart-building.toml"),
    );
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, settings)
                .with_tab(Tab::Devices)
                .with_file_picker(Box::new(picker))
        });
    harness.run_steps(2);
    harness.get_by_label("Save scenario…").click();
    // The file is written on a thread of its own; the window says when it is done.
    wait_until(&mut harness, "the save reported", |h| {
        h.query_by_label_contains("saved the scenario to").is_some()
    });
    let saved = mqtt_playground::scenario::Scenario::open(&path).expect("the saved file opens");
    assert_eq!(saved.groups.len(), 1);
    assert_eq!(saved.groups[0].name, "saved");
    assert_eq!(saved.groups[0].count, 7);
    let _ = std::fs::remove_file(&path);

    harness.get_by_label("Open scenario…").click();
    wait_until(&mut harness, "the smart building's sensors listed", |h| {
        group(h).is_some_and(|g| g.spec.name == "sensors" && g.devices_total == 50)
    });
}

#[test]
fn a_group_of_fifty_connecting_is_one_activity_line_and_an_outsider_keeps_its_own() {
    let (engine, info) = running_broker();
    let mut harness = devices_window(engine, &info);
    harness.run_steps(2);
    let spec = GroupSpec {
        name: "sensors".to_owned(),
        count: 50,
        every: Some(Duration::from_secs(5)),
        rate: None,
        ..GroupSpec::default()
    };
    let engine = harness.state().engine();
    engine
        .send(mqtt_playground::engine::Command::Fleet(
            mqtt_playground::engine::fleet::FleetCommand::Replace {
                target: Default::default(),
                groups: vec![spec],
                start: true,
            },
        ))
        .expect("the engine takes the command");
    let device_lines = |h: &Harness<'_, PlaygroundApp>| {
        h.state()
            .activity_lines()
            .iter()
            .filter(|line| line.contains("client \"sensors-"))
            .count()
    };
    // One line as a rule ("50 devices of "sensors" connected"); a machine so busy that the ramp
    // stalls for a second may write it in two parts, which still add up to fifty.
    let summarised = |h: &Harness<'_, PlaygroundApp>| -> u32 {
        h.state()
            .activity_lines()
            .iter()
            .filter_map(|line| line.strip_suffix(" devices of \"sensors\" connected"))
            .filter_map(|count| count.parse::<u32>().ok())
            .sum()
    };
    wait_until(&mut harness, "the fifty devices summarised", |h| {
        summarised(h) == 50
    });
    assert_eq!(
        device_lines(&harness),
        0,
        "{:?}",
        harness.state().activity_lines()
    );

    // An external client still gets a line of its own.
    let (_outsider, mut connection) = v4_client(info.tcp, "outsider", |_| {});
    pump_v4(&mut connection, Duration::from_millis(100));
    wait_until(&mut harness, "the outsider's own line", |h| {
        h.state()
            .activity_lines()
            .iter()
            .any(|line| line.starts_with("client \"outsider\" connected"))
    });
    assert_eq!(device_lines(&harness), 0);
}
