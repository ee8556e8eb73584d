//! UI tests: the real window's panels driven headless by their labels (egui_kittest), on a real engine and broker.

mod common;

use std::net::TcpListener;

use common::window::*;
use common::*;
use eframe::egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::engine::{BrokerSettings, Engine};
use mqtt_playground::ui::PlaygroundApp;

fn window(engine: Engine, settings: BrokerSettings) -> Harness<'static, PlaygroundApp> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn stopped_window_with_free_ports() -> Harness<'static, PlaygroundApp> {
    let settings = BrokerSettings {
        tcp_port: free_port(),
        ws_port: Some(free_port()),
        ..BrokerSettings::default()
    };
    window(Engine::start().unwrap(), settings)
}

#[test]
fn clicking_stop_shows_stopped_and_frees_the_port() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, info.settings.clone());
    wait_until(&mut harness, "Running shown", |h| {
        h.query_by_label("Running").is_some()
    });
    harness.get_by_label("Stop").click();
    wait_until(&mut harness, "Stopped shown", |h| {
        h.query_by_label("Stopped").is_some()
    });
    TcpListener::bind(info.tcp).expect("the port is free once the window says Stopped");
}

#[test]
fn clicking_start_shows_running() {
    let mut harness = stopped_window_with_free_ports();
    harness.run_steps(2);
    assert!(harness.query_by_label("Stopped").is_some());
    harness.get_by_label("Start").click();
    wait_until(&mut harness, "Running shown", |h| {
        h.query_by_label("Running").is_some()
    });
    let snapshot = harness.state().engine().snapshot();
    let mqtt_port = match &snapshot.broker {
        mqtt_playground::engine::BrokerStatus::Running(info) => info.tcp,
        other => panic!("expected running, got {other:?}"),
    };
    // It really listens: a client connects.
    let (_c, _conn) = v4_client(mqtt_port, "after-start-click", |_| {});
}

#[test]
fn a_bad_port_shows_its_error_and_starts_nothing() {
    let mut harness = stopped_window_with_free_ports();
    harness.run_steps(2);
    let field = harness.get_by_label("TCP port");
    field.focus();
    harness.step();
    harness.key_press(Key::End);
    for _ in 0..6 {
        harness.key_press(Key::Backspace);
    }
    harness.get_by_label("TCP port").type_text("99999");
    harness.step();
    harness.get_by_label("Start").click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label_contains("99999 is out of range; type a port from 1 to 65535")
            .is_some(),
        "the port error is shown"
    );
    assert!(
        harness.query_by_label("Stopped").is_some(),
        "nothing started"
    );
}

#[test]
fn the_clients_table_lists_a_client_connected_over_tcp() {
    let (engine, info) = running_broker();
    let mut harness = window(engine, info.settings.clone());
    let (_client, _conn) = v4_client(info.tcp, "projector-demo-client", |_| {});
    wait_until(&mut harness, "client row shown", |h| {
        h.query_by_label("projector-demo-client").is_some()
    });
    assert!(
        harness.query_by_label("3.1.1").is_some(),
        "its protocol version is shown"
    );
}

#[test]
fn the_broker_column_and_activity_strip_fold_away_and_back() {
    let mut harness = stopped_window_with_free_ports();
    harness.run_steps(2);
    assert!(harness.query_by_label("Connect here").is_some());
    assert!(harness.query_by_label("Activity").is_some());

    harness.get_by_label("Broker & Connect here").click();
    // The fold is animated: let it finish.
    harness.run_steps(30);
    assert!(
        harness.query_by_label("Connect here").is_none(),
        "the Connect-here card is folded away"
    );
    assert!(
        harness.query_by_label("Start").is_none(),
        "so is the broker form"
    );

    harness.get_by_label("Activity strip").click();
    harness.run_steps(30);
    assert!(
        harness.query_by_label("Clear").is_none(),
        "the Activity strip is folded away"
    );

    harness.get_by_label("Broker & Connect here").click();
    harness.run_steps(30);
    assert!(harness.query_by_label("Connect here").is_some(), "and back");
}
