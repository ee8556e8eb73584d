//! Asks before a scenario file opens the broker to the network: its commands wait for the user's answer.

use eframe::egui;

use crate::engine::{BrokerSettings, Command};

/// A scenario's commands held until the user says whether the broker may be reached from the network.
#[derive(Default)]
pub struct NetworkConfirm {
    held: Option<Held>,
}

struct Held {
    commands: Vec<Command>,
    /// The address the scenario asked for, for the question's words.
    bind: std::net::IpAddr,
    without_password: bool,
}

/// What the user answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    OpenToNetwork,
    ThisComputerOnly,
}

fn opens_to_network(command: &Command) -> Option<&BrokerSettings> {
    match command {
        Command::StartBroker(settings) | Command::RestartBroker(settings)
            if settings.is_open_to_network() =>
        {
            Some(settings)
        }
        _ => None,
    }
}

impl NetworkConfirm {
    /// Passes a scenario's commands through, or holds them all (in order) when one would open the
    /// broker to the network, to be sent once the user has answered.
    pub fn hold_if_opening(&mut self, commands: Vec<Command>) -> Vec<Command> {
        let Some(settings) = commands.iter().find_map(opens_to_network) else {
            return commands;
        };
        self.held = Some(Held {
            bind: settings.bind,
            without_password: settings.credentials.is_none(),
            commands,
        });
        Vec::new()
    }

    /// True while the question is on screen.
    pub fn is_asking(&self) -> bool {
        self.held.is_some()
    }

    /// The held commands, as the answer makes them: "this computer only" keeps the scenario but binds
    /// the broker to 127.0.0.1.
    pub fn answer(&mut self, answer: Answer) -> Vec<Command> {
        let Some(held) = self.held.take() else {
            return Vec::new();
        };
        match answer {
            Answer::OpenToNetwork => held.commands,
            Answer::ThisComputerOnly => held
                .commands
                .into_iter()
                .map(|command| match command {
                    Command::StartBroker(settings) => Command::StartBroker(loopback(settings)),
                    Command::RestartBroker(settings) => Command::RestartBroker(loopback(settings)),
                    other => other,
                })
                .collect(),
        }
    }

    /// The question, while there is one; returns the commands to send once it is answered.
    pub fn ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let Some(held) = &self.held else {
            return Vec::new();
        };
        let password = if held.without_password {
            " without a password"
        } else {
            ""
        };
        let question = format!(
            "This scenario opens the broker to your network ({}){password}. Anyone on the network can connect{}.",
            held.bind,
            if held.without_password {
                ", read every message and publish to any topic"
            } else {
                " and try passwords"
            }
        );
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("scenario-network-confirm")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading("Open the broker to your network?");
            ui.label(question);
            ui.label("Keeping it on this computer still runs the scenario's devices.");
            ui.horizontal(|ui| {
                if ui.button("Open to my network").clicked() {
                    answer = Some(Answer::OpenToNetwork);
                }
                if ui.button("Keep this computer only").clicked() {
                    answer = Some(Answer::ThisComputerOnly);
                }
            });
        });
        answer.map(|a| self.answer(a)).unwrap_or_default()
    }
}

/// The broker settings a batch of commands starts the broker with, if any (to show them in the form).
pub fn broker_settings_in(commands: &[Command]) -> Option<&BrokerSettings> {
    commands.iter().find_map(|command| match command {
        Command::StartBroker(settings) | Command::RestartBroker(settings) => Some(settings),
        _ => None,
    })
}

fn loopback(settings: BrokerSettings) -> BrokerSettings {
    let bind = if settings.bind.is_ipv6() {
        std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
    } else {
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    };
    BrokerSettings { bind, ..settings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fleet::FleetCommand;

    fn open_settings() -> BrokerSettings {
        BrokerSettings {
            bind: "0.0.0.0".parse().unwrap(),
            ..BrokerSettings::loopback_any_port()
        }
    }

    fn fleet() -> Command {
        Command::Fleet(FleetCommand::Replace {
            target: Default::default(),
            groups: Vec::new(),
            start: false,
        })
    }

    #[test]
    fn loopback_scenarios_pass_straight_through() {
        let mut confirm = NetworkConfirm::default();
        let commands = vec![
            Command::StartBroker(BrokerSettings::loopback_any_port()),
            fleet(),
        ];
        assert_eq!(confirm.hold_if_opening(commands.clone()), commands);
        assert!(!confirm.is_asking());
    }

    #[test]
    fn keeping_it_local_sends_the_same_commands_bound_to_loopback() {
        let mut confirm = NetworkConfirm::default();
        let held = confirm.hold_if_opening(vec![Command::RestartBroker(open_settings()), fleet()]);
        assert!(held.is_empty());
        assert!(confirm.is_asking());
        let sent = confirm.answer(Answer::ThisComputerOnly);
        assert_eq!(
            sent,
            vec![
                Command::RestartBroker(BrokerSettings {
                    bind: "127.0.0.1".parse().unwrap(),
                    ..open_settings()
                }),
                fleet()
            ]
        );
        assert!(!confirm.is_asking());
    }

    #[test]
    fn opening_sends_what_the_scenario_asked() {
        let mut confirm = NetworkConfirm::default();
        confirm.hold_if_opening(vec![Command::StartBroker(open_settings())]);
        assert_eq!(
            confirm.answer(Answer::OpenToNetwork),
            vec![Command::StartBroker(open_settings())]
        );
    }
}
