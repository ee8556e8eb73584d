//! The eframe app: drains engine events, lays out the panels, and sends the commands they ask for.

use eframe::egui;

use crate::engine::{BrokerSettings, BrokerStatus, Command, Engine};

use super::activity::Activity;
use super::broker_panel::BrokerPanel;
use super::clients_panel;
use super::connect_card::ConnectCard;

/// The whole window's state.
pub struct PlaygroundApp {
    engine: Engine,
    broker: BrokerPanel,
    connect: ConnectCard,
    activity: Activity,
    first_frame_logged: bool,
}

impl PlaygroundApp {
    /// `settings` fill the broker form; the caller decides whether the broker already starts.
    pub fn new(engine: Engine, settings: BrokerSettings) -> Self {
        Self {
            broker: BrokerPanel::new(&settings),
            engine,
            connect: ConnectCard::default(),
            activity: Activity::default(),
            first_frame_logged: false,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn send(&mut self, command: Command) {
        if let Err(err) = self.engine.send(command) {
            self.activity.note(err.to_string());
        }
    }
}

impl eframe::App for PlaygroundApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if !self.first_frame_logged {
            self.first_frame_logged = true;
            if let Some(launched) = super::LAUNCHED.get() {
                tracing::info!(
                    "first frame {} ms after launch",
                    launched.elapsed().as_millis()
                );
            }
        }
        while let Some(event) = self.engine.events().try_next() {
            self.activity.record(&event);
        }
        let snapshot = self.engine.snapshot();

        egui::Panel::top("title").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("MQTT Playground");
                ui.separator();
                let summary = match &snapshot.broker {
                    BrokerStatus::Running(info) => format!(
                        "broker on {} · {} clients · {} msg/s in · {} msg/s out",
                        info.tcp,
                        snapshot.clients.len(),
                        snapshot.messages_in_per_s,
                        snapshot.messages_out_per_s
                    ),
                    BrokerStatus::Starting => "broker starting…".to_owned(),
                    BrokerStatus::Stopping => "broker stopping…".to_owned(),
                    BrokerStatus::Stopped => "broker stopped".to_owned(),
                    BrokerStatus::Failed(_) => {
                        "broker could not start (see the Broker panel)".to_owned()
                    }
                };
                ui.label(summary);
            });
        });

        let mut command = None;
        let mut copied = None;
        egui::Panel::left("broker")
            .default_size(380.0)
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    command = self.broker.ui(ui, &snapshot);
                    ui.separator();
                    copied = self.connect.ui(ui, &snapshot);
                });
            });
        egui::Panel::bottom("activity")
            .default_size(170.0)
            .resizable(true)
            .show(ui, |ui| self.activity.ui(ui));
        egui::CentralPanel::default().show(ui, |ui| clients_panel::ui(ui, &snapshot));

        if let Some(command) = command {
            self.send(command);
        }
        if let Some(text) = copied {
            self.activity.note(text);
        }
    }
}
