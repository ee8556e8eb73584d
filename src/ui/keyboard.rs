//! Window-wide keyboard shortcuts: read once a frame, before the panels draw, and handed to the
//! panel that acts on them through egui's per-frame memory.

use eframe::egui::{self, Id, Key, Modifiers};

/// What a key press asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// Ctrl+1 … Ctrl+9: the tab at this index (0-based).
    Tab(usize),
    /// Ctrl+F: the Messages tab's topic filter.
    FocusLogFilter,
    /// Space: pause or resume the message log.
    TogglePause,
    /// F1: the Help and About panel.
    Help,
    /// F5: presenter view on or off.
    Presenter,
}

/// The shortcuts listed in the Help panel: (keys, what they do).
pub const LISTED: [(&str, &str); 9] = [
    ("Ctrl+1 … Ctrl+9", "switch to the first, second, … tab"),
    ("Ctrl+F", "find: the Messages tab's topic filter"),
    (
        "Space",
        "pause or resume the message log (not while typing in a field)",
    ),
    ("Ctrl+=  or  Ctrl++", "zoom in"),
    ("Ctrl+-", "zoom out"),
    ("Ctrl+0", "zoom back to 100 %"),
    ("F1", "this Help and About panel"),
    (
        "F5",
        "presenter view: projector-sized text, high contrast, Connect-here card with a QR code",
    ),
    ("Ctrl+Q", "quit (the broker stops)"),
];

const DIGITS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

/// Takes this frame's shortcuts out of the input (so a text field does not also see them).
/// `tabs` is how many tabs there are; `log_shown` whether Space has a log to pause.
pub fn read(ctx: &egui::Context, tabs: usize, log_shown: bool) -> Vec<Shortcut> {
    // Space belongs to whatever has the keyboard: a text field (typing), a focused button (pressing it).
    let space_is_free = !ctx.egui_wants_keyboard_input() && ctx.memory(|m| m.focused().is_none());
    ctx.input_mut(|input| {
        let mut found = Vec::new();
        for (index, key) in DIGITS.iter().enumerate().take(tabs) {
            if input.consume_key(Modifiers::COMMAND, *key) {
                found.push(Shortcut::Tab(index));
            }
        }
        if input.consume_key(Modifiers::COMMAND, Key::F) {
            found.push(Shortcut::FocusLogFilter);
        }
        if log_shown && space_is_free && input.consume_key(Modifiers::NONE, Key::Space) {
            found.push(Shortcut::TogglePause);
        }
        if input.consume_key(Modifiers::NONE, Key::F1) {
            found.push(Shortcut::Help);
        }
        if input.consume_key(Modifiers::NONE, Key::F5) {
            found.push(Shortcut::Presenter);
        }
        found
    })
}

fn focus_request_id() -> Id {
    Id::unique("mqtt-playground/shortcut/focus-log-filter")
}

fn pause_request_id() -> Id {
    Id::unique("mqtt-playground/shortcut/toggle-pause")
}

/// Asks the Messages tab to focus its topic filter when it next draws.
pub fn request_log_filter_focus(ctx: &egui::Context) {
    ctx.data_mut(|d| d.insert_temp(focus_request_id(), true));
}

/// The Messages tab's side: true once per request.
pub fn take_log_filter_focus(ctx: &egui::Context) -> bool {
    ctx.data_mut(|d| d.remove_temp::<bool>(focus_request_id()))
        .unwrap_or(false)
}

/// Asks the Messages tab to press its Pause/Resume button when it next draws.
pub fn request_pause_toggle(ctx: &egui::Context) {
    ctx.data_mut(|d| d.insert_temp(pause_request_id(), true));
}

/// The Messages tab's side: true once per request.
pub fn take_pause_toggle(ctx: &egui::Context) -> bool {
    ctx.data_mut(|d| d.remove_temp::<bool>(pause_request_id()))
        .unwrap_or(false)
}
