//! UI test: text a client chooses (its id) is shown escaped on one line in Activity and the Clients
//! table, so a newline in a client id cannot forge an Activity line.

mod common;

use common::window::*;
use common::*;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use mqtt_playground::ui::PlaygroundApp;
use mqtt_playground::ui::app::Tab;

/// A label's text (AccessKit keeps a label's text as its value) or another widget's label.
fn shown_text(node: &egui_kittest::Node<'_>) -> String {
    let node = node.accesskit_node();
    node.value().or_else(|| node.label()).unwrap_or_default()
}

#[test]
fn a_client_id_with_a_newline_is_one_escaped_activity_row() {
    let (engine, info) = running_broker();
    let settings = info.settings.clone();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_cc| PlaygroundApp::new(engine, settings).with_tab(Tab::Clients));
    harness.run_steps(2);

    let forged = "evil\nclient \"x\" connected from 10.0.0.1";
    let (_client, _connection) = v4_client(info.tcp, forged, |_| {});
    let escaped_line =
        r#"client "evil\nclient "x" connected from 10.0.0.1" connected from 127.0.0.1"#;
    wait_until(&mut harness, "the Activity line", |h| {
        h.query_by_label_contains(escaped_line).is_some()
    });
    let activity_rows: Vec<String> = harness
        .query_all_by_label_contains("connected from 10.0.0.1\" connected from")
        .map(|node| shown_text(&node))
        .collect();
    assert_eq!(
        activity_rows.len(),
        1,
        "one Activity row: {activity_rows:?}"
    );
    assert!(
        harness
            .query_all_by_label_contains("evil")
            .all(|node| !shown_text(&node).contains('\n')),
        "no label shows the raw newline"
    );
    assert!(
        harness
            .query_by_label_contains("client \"x\" connected from 10.0.0.1\" connected")
            .is_none()
            || activity_rows
                .iter()
                .all(|row| row.contains("evil\\nclient")),
        "the forged text never starts a line of its own"
    );
    // The Clients table shows the same escaped id (the table follows the engine's snapshot).
    wait_until(
        &mut harness,
        "the Clients table shows the id escaped",
        |h| {
            h.query_by_label(r#"evil\nclient "x" connected from 10.0.0.1"#)
                .is_some()
        },
    );
}
