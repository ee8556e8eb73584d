//! The eframe app: drains engine events, lays out the panels, and sends the commands they ask for.

use eframe::egui::{self, RichText};

use crate::engine::{BrokerSettings, BrokerStatus, Command, Engine};

use super::activity::Activity;
use super::broker_panel::BrokerPanel;
use super::clients_panel;
use super::connect_card::ConnectCard;
use super::devices_panel::DevicesPanel;
use super::file_dialog::{FilePicker, FilePurpose, PresetFilePicker};
use super::messages_panel::MessagesPanel;
use super::plots_panel::PlotsPanel;
use super::publish_panel::PublishPanel;
use super::topics_panel::TopicsPanel;

/// The views of the window's main area, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tab {
    Clients,
    Devices,
    Messages,
    Topics,
    Plots,
    Publish,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Clients,
        Tab::Devices,
        Tab::Messages,
        Tab::Topics,
        Tab::Plots,
        Tab::Publish,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Clients => "Clients",
            Tab::Devices => "Devices",
            Tab::Messages => "Messages",
            Tab::Topics => "Topics",
            Tab::Plots => "Plots",
            Tab::Publish => "Publish",
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
    messages: MessagesPanel,
    topics: TopicsPanel,
    plots: PlotsPanel,
    publish: PublishPanel,
    tab: Tab,
    files: Box<dyn FilePicker>,
    first_frame_logged: bool,
    frame_timer: super::frame_timer::FrameTimer,
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
            messages: MessagesPanel::default(),
            topics: TopicsPanel::default(),
            plots: PlotsPanel::default(),
            publish: PublishPanel::default(),
            tab: Tab::Clients,
            files: Box::new(PresetFilePicker::default()),
            first_frame_logged: false,
            frame_timer: Default::default(),
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

    /// The Messages tab (its filters and what they let through), for tests.
    pub fn messages(&self) -> &MessagesPanel {
        &self.messages
    }

    /// What the Activity strip says, oldest first (for tests).
    pub fn activity_lines(&self) -> Vec<String> {
        self.activity.texts().map(str::to_owned).collect()
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
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        if let Some(report) = self.frame_timer.record(frame.info().cpu_usage) {
            let snapshot = self.engine.snapshot();
            let fleet_rate: u64 = snapshot.fleet.groups.iter().map(|g| g.rate_per_s).sum();
            tracing::info!(
                "frames/s: {:.1} ({} frames in the last {:.0} s), frame time p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} over 16.7 ms; subscriber: {} received, {}/s; devices: {}/s",
                report.frames_per_s(),
                report.frames,
                report.span.as_secs_f32(),
                report.p50_ms,
                report.p99_ms,
                report.max_ms,
                report.slow,
                snapshot.monitor.received_total,
                snapshot.monitor.received_per_s,
                fleet_rate
            );
        }
        if !self.first_frame_logged {
            self.first_frame_logged = true;
            if let Some(launched) = super::LAUNCHED.get() {
                tracing::info!(
                    "first frame {} ms after launch",
                    launched.elapsed().as_millis()
                );
            }
        }
        let events: Vec<_> = std::iter::from_fn(|| self.engine.events().try_next()).collect();
        // Read after the events, so it lists at least the devices they speak of.
        let snapshot = self.engine.snapshot();
        if let Some(again) = self.activity.record_all(events, &snapshot.fleet) {
            ui.ctx().request_repaint_after(again);
        }

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
                    ui.separator();
                    copied = copied.take().or(super::diagnostics::ui(ui, &snapshot));
                });
            });
        egui::Panel::bottom("activity")
            .default_size(170.0)
            .resizable(true)
            .show(ui, |ui| self.activity.ui(ui));
        let mut commands = Vec::new();
        let mut file_requests = Vec::new();
        let log = self.engine.log().clone();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                for tab in Tab::ALL {
                    ui.selectable_value(&mut self.tab, tab, RichText::new(tab.label()).heading());
                }
            });
            ui.separator();
            if !matches!(self.tab, Tab::Clients | Tab::Devices) {
                // The app's subscriber connects the first time a watching tab is looked at.
                commands.extend(self.messages.start_watching());
            }
            match self.tab {
                Tab::Clients => clients_panel::ui(ui, &snapshot),
                Tab::Devices => {
                    let out = self.devices.ui(ui, &snapshot);
                    commands.extend(out.commands);
                    file_requests.extend(out.files);
                }
                Tab::Messages => {
                    let out = self.messages.ui(ui, &snapshot, &log);
                    commands.extend(out.commands);
                    file_requests.extend(out.files);
                }
                Tab::Topics => {
                    let out = self.topics.ui(ui, &snapshot, &log);
                    commands.extend(out.commands);
                    if let Some(filter) = out.show_in_log {
                        self.messages.set_topic_filter(&filter);
                        self.tab = Tab::Messages;
                    }
                }
                Tab::Plots => commands.extend(self.plots.ui(ui, &snapshot, &log)),
                Tab::Publish => commands.extend(self.publish.ui(ui, &snapshot)),
            }
        });
        while let Some((purpose, path)) = self.files.next_answer() {
            let Some(path) = path else { continue };
            match purpose {
                FilePurpose::OpenScenario | FilePurpose::SaveScenario => {
                    self.devices.file_chosen(
                        purpose,
                        path,
                        &snapshot,
                        self.broker.form.to_settings().ok(),
                        ui.ctx(),
                    );
                }
                FilePurpose::ExportLog | FilePurpose::OpenRecording => {
                    commands.extend(self.messages.file_chosen(purpose, &path));
                }
            }
        }
        for purpose in file_requests {
            self.files.request(purpose);
        }
        while let Some(outcome) = self.devices.file_done(&snapshot) {
            match outcome {
                Ok((message, more)) => {
                    self.activity.note_good(message);
                    commands.extend(more);
                }
                Err(err) => self.activity.note(err),
            }
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
