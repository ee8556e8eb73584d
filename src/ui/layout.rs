//! Which of the window's side parts are open: the broker column (settings and Connect here) and the
//! Activity strip fold away so the tabs get the room; the title bar holds a toggle for each.

use eframe::egui;
use serde::{Deserialize, Serialize};

/// What is unfolded; every field has a default, so a saved layout from any version loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelsShown {
    /// The left column: broker settings and the Connect-here card.
    pub broker_column: bool,
    /// The Activity strip along the bottom.
    pub activity: bool,
}

impl Default for PanelsShown {
    fn default() -> Self {
        Self {
            broker_column: true,
            activity: true,
        }
    }
}

impl PanelsShown {
    /// The two toggles, for the right end of the title bar.
    pub fn toggles_ui(&mut self, ui: &mut egui::Ui) {
        ui.checkbox(&mut self.activity, "Activity strip")
            .on_hover_text("Show or hide the Activity strip along the bottom");
        ui.checkbox(&mut self.broker_column, "Broker & Connect here")
            .on_hover_text("Show or hide the broker settings and the Connect-here column");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_layout_missing_a_field_keeps_the_default() {
        let shown: PanelsShown = serde_json::from_str(r#"{"activity": false}"#).unwrap();
        assert_eq!(
            shown,
            PanelsShown {
                broker_column: true,
                activity: false
            }
        );
    }
}
