//! The first-run welcome card: where the broker is, and one button that starts the classic tutorial.

use eframe::egui::{self, RichText};

use crate::engine::fleet::FleetCommand;
use crate::engine::{BrokerStatus, Command, Snapshot};
use crate::scenario::{ParseProblem, Scenario};

/// A scenario that ships inside the binary, so it works wherever the app is installed.
pub struct ShippedScenario {
    pub label: &'static str,
    pub what: &'static str,
    pub toml: &'static str,
}

pub const TUTORIAL: ShippedScenario = ShippedScenario {
    label: "the classic tutorial",
    what: "two devices publish \"Device N : Data i\" to /data every 1 to 5 s",
    toml: include_str!("../../assets/scenarios/tutorial.toml"),
};

pub const OTHER_SCENARIOS: [ShippedScenario; 2] = [
    ShippedScenario {
        label: "Smart building",
        what: "50 room sensors with JSON telemetry, retained status and last wills",
        toml: include_str!("../../assets/scenarios/smart-building.toml"),
    },
    ShippedScenario {
        label: "Stress",
        what: "1,000 devices, 10,000 messages a second",
        toml: include_str!("../../assets/scenarios/stress.toml"),
    },
];

impl ShippedScenario {
    /// The commands that replace the devices with this scenario's and start them.
    pub fn start_commands(&self) -> Result<Command, String> {
        let scenario = Scenario::parse(self.toml).map_err(|problem| match problem {
            ParseProblem::Syntax(m) | ParseProblem::Invalid(m) => {
                format!(
                    "the built-in scenario \"{}\" does not load: {m}",
                    self.label
                )
            }
        })?;
        Ok(Command::Fleet(FleetCommand::Replace {
            target: scenario.target,
            groups: scenario.groups,
            start: true,
        }))
    }
}

/// What the card asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomeAction {
    /// Start this shipped scenario (the tutorial is `None`, the others their index) and show the messages.
    Start(Option<usize>),
    /// Bring the Connect-here card into view.
    ShowConnect,
    Dismiss,
}

#[derive(Debug, Default)]
pub struct WelcomeCard {
    /// On screen now.
    pub visible: bool,
    /// The user is done with it (remembered): dismissed, or used to start something.
    pub dismissed: bool,
}

impl WelcomeCard {
    /// Off screen for good: the next start does not show it either.
    pub fn dismiss(&mut self) {
        self.visible = false;
        self.dismissed = true;
    }
}

impl WelcomeCard {
    pub fn ui(&mut self, ctx: &egui::Context, snapshot: &Snapshot) -> Option<WelcomeAction> {
        if !self.visible {
            return None;
        }
        let mut action = None;
        egui::Window::new("Welcome to MQTT Playground")
            .collapsible(false)
            .resizable(false)
            .default_width(440.0)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                let where_ = match &snapshot.broker {
                    BrokerStatus::Running(info) => {
                        format!("Your broker is running on {}", info.tcp)
                    }
                    BrokerStatus::Starting => "Your broker is starting…".to_owned(),
                    BrokerStatus::Stopping => "Your broker is stopping.".to_owned(),
                    BrokerStatus::Stopped => {
                        "Your broker is stopped: press Start in the Broker panel.".to_owned()
                    }
                    BrokerStatus::Failed(_) => {
                        "Your broker could not start: the Broker panel says why.".to_owned()
                    }
                };
                ui.label(RichText::new(where_).heading());
                ui.add_space(6.0);
                ui.label(format!(
                    "One click runs the \"MQTT in 3 minutes\" tutorial without Docker or a script: {}.",
                    TUTORIAL.what
                ));
                ui.add_space(4.0);
                if ui
                    .button(RichText::new("Try the classic tutorial").heading())
                    .clicked()
                {
                    action = Some(WelcomeAction::Start(None));
                }
                ui.add_space(8.0);
                ui.label("Or start another scenario:");
                for (index, scenario) in OTHER_SCENARIOS.iter().enumerate() {
                    ui.horizontal(|ui| {
                        if ui.link(scenario.label).clicked() {
                            action = Some(WelcomeAction::Start(Some(index)));
                        }
                        ui.label(RichText::new(scenario.what).weak());
                    });
                }
                ui.add_space(4.0);
                if ui
                    .link("Connect your own client (mosquitto, paho, MQTTX, a browser)")
                    .clicked()
                {
                    action = Some(WelcomeAction::ShowConnect);
                }
                ui.add_space(8.0);
                if ui.button("Got it, don't show this again").clicked() {
                    action = Some(WelcomeAction::Dismiss);
                }
                ui.label(RichText::new("Settings brings this card back.").weak());
            });
        action
    }
}

/// The shipped scenario an action names.
pub fn scenario_for(index: Option<usize>) -> Option<&'static ShippedScenario> {
    match index {
        None => Some(&TUTORIAL),
        Some(i) => OTHER_SCENARIOS.get(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_loads() {
        for scenario in std::iter::once(&TUTORIAL).chain(OTHER_SCENARIOS.iter()) {
            scenario.start_commands().expect("a shipped scenario loads");
        }
    }
}
