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
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
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
