//! The Learner accounts dialog in the real window (egui_kittest): generate accounts, export CSV and the
//! sheet through the file seam, passwords hidden until asked, applying restarts the broker so the
//! accounts sign in and are kept for the next start, and Clear all takes them away again.

mod common;

use std::path::PathBuf;

use common::window::*;
use common::*;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::engine::accounts::csv_file;
use mqtt_playground::engine::{BrokerSettings, BrokerStatus, Credentials, Engine};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::file_dialog::{FilePurpose, PresetFilePicker};

fn learners_running(engine: &Engine) -> Option<(usize, std::net::SocketAddr)> {
    match &engine.snapshot().broker {
        BrokerStatus::Running(info) => Some((info.settings.learner_accounts.len(), info.tcp)),
        _ => None,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn the_dialog_generates_exports_and_applies_learner_accounts() {
    let folder = tempfile::tempdir().expect("a folder");
    let csv: PathBuf = folder.path().join("class.csv");
    let sheet: PathBuf = folder.path().join("class.html");
    let store: PathBuf = folder.path().join("kept").join("learner-accounts.csv");
    let (engine, info) = running_broker_with(BrokerSettings {
        credentials: Some(Credentials {
            username: "teacher".into(),
            password: "Heron-Violet-3391".into(),
        }),
        // Real port numbers: the broker form refuses port 0, which only tests use.
        tcp_port: free_port(),
        ws_port: Some(free_port()),
        ..BrokerSettings::default()
    });
    let mut picker = PresetFilePicker::default();
    picker
        .answers
        .insert(FilePurpose::ExportAccountsCsv, csv.clone());
    picker
        .answers
        .insert(FilePurpose::ExportAccountsSheet, sheet.clone());
    let settings = info.settings.clone();
    let kept = store.clone();
    let mut harness = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |_cc| {
            PlaygroundApp::new(engine, settings)
                .with_file_picker(Box::new(picker))
                .with_accounts_store(Some(kept))
        });
    harness.run_steps(2);
    harness.get_by_label("Learner accounts…").click();
    harness.run_steps(2);
    retype(&mut harness, Role::TextInput, "How many", "5");
    harness.get_by_label("Generate").click();
    wait_until(&mut harness, "five accounts listed", |h| {
        h.query_by_label("student05").is_some()
    });
    assert!(
        harness
            .query_by_label_contains("5 learner accounts generated")
            .is_some()
    );

    harness.get_by_label("Export CSV…").click();
    wait_until(&mut harness, "the CSV written", |h| {
        h.query_by_label_contains("written to").is_some()
    });
    let accounts = csv_file::load(&csv).expect("the exported CSV reads back");
    assert_eq!(accounts.len(), 5);
    let first = accounts.as_slice()[0].clone();
    assert!(
        harness.query_by_label(&first.password).is_none(),
        "passwords stay hidden until asked"
    );
    harness.get_by_label("Show passwords").click();
    harness.run_steps(2);
    assert!(
        harness.query_by_label(&first.password).is_some(),
        "shown on request"
    );

    harness.get_by_label("Export sheet (HTML)…").click();
    wait_until(&mut harness, "the sheet written", |h| {
        h.query_by_label_contains("Sheet of 5 learner accounts written")
            .is_some()
    });
    let html = std::fs::read_to_string(&sheet).expect("the sheet");
    assert_eq!(html.matches("class=\"card\"").count(), 5);
    assert!(html.contains(&first.password));

    harness.get_by_label("Use these accounts").click();
    wait_until(
        &mut harness,
        "the broker restarted with the accounts",
        |h| learners_running(h.state().engine()).is_some_and(|(n, _)| n == 5),
    );
    wait_until(
        &mut harness,
        "the panel counts them and they are kept",
        |h| h.query_by_label("5 learner accounts").is_some() && store.exists(),
    );
    assert_eq!(csv_file::load(&store).expect("kept"), accounts);
    let (_, tcp) = learners_running(harness.state().engine()).expect("running");
    let (_client, _connection) = v4_client(tcp, "learner-from-window", |o| {
        o.set_credentials(first.username.clone(), first.password.clone());
    });

    harness.get_by_label("Clear all").click();
    wait_until(
        &mut harness,
        "the broker restarted without learner accounts",
        |h| learners_running(h.state().engine()).is_some_and(|(n, _)| n == 0),
    );
    wait_until(&mut harness, "the kept file removed", |_| !store.exists());
}
