//! Small widgets and colours every tab shares: labelled fields, the QoS and payload-view choosers.

use eframe::egui::{self, Color32};

use crate::engine::watch::ViewAs;

/// A warning colour readable on light and dark themes alike.
pub(crate) const WARN: Color32 = Color32::from_rgb(0xd0, 0x40, 0x30);
/// A "yes, this matches" colour readable on light and dark themes alike.
pub(crate) const GOOD: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x4a);

/// A labelled single-line text field; returns the field's response.
pub(crate) fn labelled_field(
    ui: &mut egui::Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label.id)
}

/// A labelled QoS chooser (0, 1, 2).
pub(crate) fn qos_combo(ui: &mut egui::Ui, salt: &str, qos: &mut u8) {
    let label = ui.label("QoS");
    egui::ComboBox::from_id_salt(salt)
        .selected_text(qos.to_string())
        .width(44.0)
        .show_ui(ui, |ui| {
            for level in 0..=2u8 {
                ui.selectable_value(qos, level, level.to_string());
            }
        })
        .response
        .labelled_by(label.id);
}

pub(crate) fn view_as_label(view: ViewAs) -> &'static str {
    match view {
        ViewAs::Auto => "Auto",
        ViewAs::Text => "Text",
        ViewAs::Json => "JSON",
        ViewAs::Hex => "Hex",
    }
}

pub(crate) fn view_as_combo(ui: &mut egui::Ui, salt: &str, label: &str, view: &mut ViewAs) -> bool {
    let before = *view;
    let label = ui.label(label);
    egui::ComboBox::from_id_salt(salt)
        .selected_text(view_as_label(*view))
        .width(64.0)
        .show_ui(ui, |ui| {
            for choice in [ViewAs::Auto, ViewAs::Text, ViewAs::Json, ViewAs::Hex] {
                ui.selectable_value(view, choice, view_as_label(choice));
            }
        })
        .response
        .labelled_by(label.id);
    before != *view
}
