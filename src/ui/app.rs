//! The eframe app: drains engine events, lays out the panels, and sends the commands they ask for.

use eframe::egui::{self, RichText};

use crate::engine::{BrokerSettings, BrokerStatus, Command, Engine};

use super::activity::Activity;
use super::broker_panel::BrokerPanel;
use super::clients_panel;
use super::connect_card::ConnectCard;
use super::devices_panel::DevicesPanel;
use super::file_dialog::{FilePicker, FilePurpose, PresetFilePicker};

/// The views of the window's main area, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Clients,
    Devices,
}

impl Tab {
    pub const ALL: [Tab; 2] = [Tab::Clients, Tab::Devices];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Clients => "Clients",
            Tab::Devices => "Devices",
        }
    }
}

/// The whole window's state.
pub struct PlaygroundApp {
    engine: Engine,
    broker: BrokerPanel,
    connect: ConnectCard,
    activity: Activity,
    devices: DevicesPanel,
    tab: Tab,
    files: Box<dyn FilePicker>,
    first_frame_logged: bool,
}

impl PlaygroundApp {
    /// `settings` fill the broker form; the caller decides whether the broker already starts.
    /// File dialogs answer from nothing until [`Self::with_file_picker`] gives real ones.
    pub fn new(engine: Engine, settings: BrokerSettings) -> Self {
        Self {
            broker: BrokerPanel::new(&settings),
            engine,
            connect: ConnectCard::default(),
            activity: Activity::default(),
            devices: DevicesPanel::default(),
            tab: Tab::Clients,
            files: Box::new(PresetFilePicker::default()),
            first_frame_logged: false,
        }
    }

    /// Uses these file dialogs (native ones in the app, preset answers in tests).
    pub fn with_file_picker(mut self, files: Box<dyn FilePicker>) -> Self {
        self.files = files;
        self
    }

    /// Opens the window on this view.
    pub fn with_tab(mut self, tab: Tab) -> Self {
        self.tab = tab;
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Where the Devices panel keeps the scenario it last opened or saved.
    pub fn devices_mut(&mut self) -> &mut DevicesPanel {
        &mut self.devices
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
        let mut commands = Vec::new();
        let mut file_requests = Vec::new();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                for tab in Tab::ALL {
                    ui.selectable_value(&mut self.tab, tab, RichText::new(tab.label()).heading());
                }
            });
            ui.separator();
            match self.tab {
                Tab::Clients => clients_panel::ui(ui, &snapshot),
                Tab::Devices => {
                    let out = self.devices.ui(ui, &snapshot);
                    commands.extend(out.commands);
                    file_requests.extend(out.files);
                }
            }
        });
        while let Some((purpose, path)) = self.files.next_answer() {
            let Some(path) = path else { continue };
            match purpose {
                FilePurpose::OpenScenario | FilePurpose::SaveScenario => {
                    let outcome = self.devices.file_chosen(
                        purpose,
                        &path,
                        &snapshot,
                        self.broker.form.to_settings().ok(),
                    );
                    match outcome {
                        Ok((message, more)) => {
                            self.activity.note_good(message);
                            commands.extend(more);
                        }
                        Err(err) => self.activity.note(err),
                    }
                }
                FilePurpose::ExportLog | FilePurpose::OpenRecording => {}
            }
        }
        for purpose in file_requests {
            self.files.request(purpose);
        }

        if let Some(command) = command {
            self.send(command);
        }
        for command in commands {
            self.send(command);
        }
        if let Some(text) = copied {
            self.activity.note(text);
        }
    }
}
