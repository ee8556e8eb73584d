//! UI test: the Diagnostics section shows the open-files limit and the connection cap, and copies the report.

mod common;

use std::num::NonZeroU32;

use common::window::*;
use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::engine::limits::{open_files_limit, thousands};
use mqtt_playground::engine::{BrokerSettings, Engine};
use mqtt_playground::ui::PlaygroundApp;

fn window(engine: Engine, settings: BrokerSettings) -> Harness<'static, PlaygroundApp> {
    Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings))
}

#[test]
fn the_diagnostics_section_shows_the_open_files_limit_and_the_cap() {
    let (engine, info) = running_broker_with(BrokerSettings {
        max_connections: NonZeroU32::new(77),
        ..BrokerSettings::loopback_any_port()
    });
    let mut harness = window(engine, info.settings.clone());
    wait_until(&mut harness, "Running shown", |h| {
        h.query_by_label("Running").is_some()
    });
    harness.get_by_label("Diagnostics").click();
    harness.run_steps(2);
    let limit = open_files_limit().expect("this test runs on a system with an open-files limit");
    let shown = format!(
        "{} (hard limit {})",
        thousands(limit.soft),
        thousands(limit.hard)
    );
    wait_until(&mut harness, "the open-files limit shown", |h| {
        h.query_by_label("Open-files limit").is_some() && h.query_by_label(&shown).is_some()
    });
    assert!(
        harness.query_by_label("77").is_some(),
        "the connection cap is shown"
    );
    harness.get_by_label("Copy diagnostics").click();
    wait_until(&mut harness, "the copy noted in Activity", |h| {
        h.query_by_label_contains("copied: diagnostics").is_some()
    });
}
