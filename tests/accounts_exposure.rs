//! Generated learner passwords are never logged: with accounts signing in rightly and wrongly, none of
//! the passwords shows up in any TRACE-level log line, event, snapshot or the diagnostics report.

mod common;

use std::time::Duration;

use common::logs::captured_logs;
use common::*;
use mqtt_playground::engine::accounts::generate;
use mqtt_playground::engine::{BrokerSettings, Credentials};

const INSTRUCTOR_PASSWORD: &str = "Pelican-Quartz-5820";

#[test]
fn generated_passwords_appear_in_no_log_event_snapshot_or_diagnostics() {
    let logs = captured_logs();
    let learners = generate::generate(12, "student").expect("generated");
    let settings = BrokerSettings {
        credentials: Some(Credentials {
            username: "teacher".into(),
            password: INSTRUCTOR_PASSWORD.into(),
        }),
        learner_accounts: learners.clone(),
        ..BrokerSettings::loopback_any_port()
    };
    let settings_text = format!("{settings:?}");
    let (engine, info) = running_broker_with(settings);
    let accounts = learners.as_slice();
    // Right ones (they stay connected while the snapshot is read), then wrong ones: another
    // learner's password, and a near miss.
    let mut kept = Vec::new();
    for (i, account) in accounts.iter().take(4).enumerate() {
        kept.push(v4_client(info.tcp, &format!("learner-{i}"), |o| {
            o.set_credentials(account.username.clone(), account.password.clone());
        }));
    }
    for (i, (user, password)) in [
        (&accounts[0].username, accounts[1].password.clone()),
        (&accounts[2].username, format!("{}x", accounts[2].password)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut options =
            rumqttc::MqttOptions::new(format!("wrong-{i}"), "127.0.0.1", info.tcp.port());
        options.set_credentials(user.clone(), password);
        let (_client, mut connection) = rumqttc::Client::new(options, 10);
        assert!(wait_v4_connack(&mut connection).is_err(), "refused");
    }
    wait_for_snapshot(
        &engine,
        "the learners listed and the refusals counted",
        |s| s.clients.len() >= 4 && s.totals.connections_refused >= 2,
    );
    std::thread::sleep(Duration::from_millis(200));
    let snapshot_text = format!("{:?}", engine.snapshot());
    let diagnostics = mqtt_playground::cli::diagnostics_text(&engine);
    let events: Vec<String> = std::iter::from_fn(|| engine.events().try_next())
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(
        events.iter().any(|e| e.contains("ClientRefused")),
        "the events were really read: {events:?}"
    );
    assert!(
        snapshot_text.contains("learner-0"),
        "the snapshot was really read"
    );
    drop(kept);
    drop(engine);
    let log = String::from_utf8_lossy(&logs.lock().expect("not poisoned")).into_owned();
    assert!(log.lines().count() > 10, "tracing output was captured");
    let secrets: Vec<String> = accounts
        .iter()
        .map(|a| a.password.clone())
        .chain([
            INSTRUCTOR_PASSWORD.to_owned(),
            format!("{}x", accounts[2].password),
        ])
        .collect();
    for secret in &secrets {
        for (what, text) in [
            ("log", &log),
            ("snapshot", &snapshot_text),
            ("diagnostics", &diagnostics),
            ("settings", &settings_text),
        ] {
            assert!(
                !text.contains(secret.as_str()),
                "a password is in the {what}"
            );
        }
        assert!(
            !events.iter().any(|e| e.contains(secret.as_str())),
            "a password is in an event"
        );
    }
    eprintln!(
        "{} passwords checked absent from {} log lines, {} events, the snapshot and the diagnostics",
        secrets.len(),
        log.lines().count(),
        events.len()
    );
}
