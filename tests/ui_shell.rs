//! UI tests of the window's frame: the welcome card's tutorial button, keyboard shortcuts, and
//! remembering through eframe's storage — on a real engine and broker, driven with egui_kittest.

mod common;

use common::window::*;
use common::*;
use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::engine::monitor::MonitorCommand;
use mqtt_playground::engine::{Command, Engine, RunningInfo};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;
use mqtt_playground::ui::persisted::{MemoryStorage, Persisted};

fn window(engine: Engine, info: &RunningInfo) -> Harness<'static, PlaygroundApp> {
    let settings = info.settings.clone();
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings))
}

#[test]
fn the_welcome_button_starts_the_tutorial_devices_and_shows_their_messages() {
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_welcome(true));
    harness.run_steps(2);
    let address = format!("Your broker is running on {}", info.tcp);
    assert!(
        harness.query_by_label(&address).is_some(),
        "the card names the real address"
    );
    harness.get_by_label("Try the classic tutorial").click();
    wait_until(&mut harness, "the tutorial's devices run", |h| {
        h.state()
            .engine()
            .snapshot()
            .fleet
            .groups
            .iter()
            .any(|g| g.spec.name == "tutorial")
    });
    assert_eq!(harness.state().tab(), Tab::Messages);
    wait_until(&mut harness, "tutorial messages in the log", |h| {
        h.state().messages().shown_count() > 0
    });
    assert!(
        harness
            .query_all_by_label_contains("Device ")
            .next()
            .is_some(),
        "a \"Device N : Data i\" row is on screen"
    );
    assert!(
        harness.query_by_label("Try the classic tutorial").is_none(),
        "the card is gone"
    );
}

#[test]
fn ctrl_2_switches_to_the_second_tab_and_ctrl_f_to_the_log_filter() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info);
    harness.run_steps(2);
    assert_eq!(harness.state().tab(), Tab::Clients);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    harness.run_steps(2);
    assert_eq!(harness.state().tab(), Tab::ALL[1]);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    harness.run_steps(2);
    assert_eq!(harness.state().tab(), Tab::Messages);
    // The topic filter has the keyboard: what is typed lands there.
    harness.event(eframe::egui::Event::Text("lab/#".into()));
    harness.run_steps(2);
    assert_eq!(harness.state().messages().topic_filter_text(), "lab/#");
}

#[test]
fn space_pauses_the_log_but_not_while_typing() {
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Messages));
    harness.run_steps(2);
    harness.key_press(Key::Space);
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Resume").is_some(),
        "Space paused the log"
    );
    harness.key_press(Key::Space);
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Pause").is_some(),
        "Space resumed it"
    );
    // In a text field, Space is a space.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    harness.run_steps(2);
    harness.key_press(Key::Space);
    harness.event(eframe::egui::Event::Text(" ".into()));
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Pause").is_some(),
        "typing a space does not pause"
    );
}

#[test]
fn subscriptions_series_tab_and_settings_come_back_through_eframe_storage() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, &info);
    harness.run_steps(2);
    // The user's doing: the Plots tab (which starts the subscriber), a subscription and a series.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num5);
    harness.run_steps(2);
    assert_eq!(harness.state().tab(), Tab::Plots);
    let engine = harness.state().engine();
    for command in [
        MonitorCommand::Subscribe {
            filter: "building/#".into(),
            qos: 1,
        },
        MonitorCommand::AddSeries {
            filter: "building/rooms/+/telemetry".into(),
            field: Some("temperature".into()),
        },
    ] {
        engine
            .call(Command::Monitor(command), PATIENCE)
            .expect("the engine answers")
            .expect("the command is accepted");
    }
    wait_until(&mut harness, "the subscription is listed", |h| {
        h.state()
            .engine()
            .snapshot()
            .monitor
            .subscriptions
            .iter()
            .any(|(f, q)| f == "building/#" && *q == 1)
    });
    let mut storage = MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);

    // A new window on a new engine, as after a restart.
    let saved = Persisted::load(&storage);
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut restored = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| PlaygroundApp::new(engine, settings).restore(&saved, &cc.egui_ctx));
    restored.run_steps(2);
    assert_eq!(restored.state().tab(), Tab::Plots);
    wait_until(
        &mut restored,
        "the subscriber is back with the saved subscription",
        |h| {
            h.state()
                .engine()
                .snapshot()
                .monitor
                .subscriptions
                .iter()
                .any(|(f, q)| f == "building/#" && *q == 1)
        },
    );
    wait_until(&mut restored, "the series is back", |h| {
        h.state().engine().log().read(|store| {
            store.series.iter().any(|s| {
                s.filter == "building/rooms/+/telemetry"
                    && s.field.as_ref().map(|f| f.to_string()).as_deref() == Some("temperature")
            })
        })
    });
    assert!(
        restored
            .query_by_label("Try the classic tutorial")
            .is_some(),
        "a welcome card never dismissed comes back"
    );
}
