//! Helpers for driving the real window headless (egui_kittest): waiting on the engine, retyping inputs.

use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use eframe::egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mqtt_playground::ui::PlaygroundApp;

use super::PATIENCE;

/// Steps frames until `check` holds (bounded); the engine works on its own threads meanwhile.
pub fn wait_until(
    harness: &mut Harness<'_, PlaygroundApp>,
    what: &str,
    check: impl Fn(&Harness<'_, PlaygroundApp>) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        harness.step();
        if check(harness) {
            return;
        }
        if Instant::now() >= deadline {
            // What the window said and what the engine holds, so a failure far away (CI) says why.
            for line in harness.state().activity_lines() {
                eprintln!("activity: {line}");
            }
            let snapshot = harness.state().engine().snapshot();
            eprintln!("broker: {:?}", snapshot.broker);
            for group in &snapshot.fleet.groups {
                eprintln!(
                    "device group {:?}: {} devices",
                    group.spec.name, group.devices_total
                );
            }
            panic!("timed out waiting for: {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Replaces the text of the input with this role and label.
pub fn retype(harness: &mut Harness<'_, PlaygroundApp>, role: Role, label: &str, text: &str) {
    harness.get_by_role_and_label(role, label).focus();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.key_press(Key::Backspace);
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.run_steps(2);
}
