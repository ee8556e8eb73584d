//! The eframe app: drains engine events, lays out the panels, and sends the commands they ask for.

use eframe::egui::{self, RichText};

use crate::engine::{BrokerSettings, BrokerStatus, Command, Engine};

use super::activity::Activity;
use super::broker_panel::BrokerPanel;
use super::clients_panel;
use super::connect_card::ConnectCard;
use super::course::CoursePanel;
use super::devices::DevicesPanel;
use super::file_dialog::{FilePicker, FilePurpose, PresetFilePicker};
use super::flow_map::FlowMapPanel;
use super::messages::MessagesPanel;
use super::network_confirm::{self, NetworkConfirm};
use super::plots_panel::PlotsPanel;
use super::publish_panel::PublishPanel;
use super::topics_panel::TopicsPanel;
use super::trace::TracePanel;

mod presenting;
mod remember;
mod shell;

/// The views of the window's main area, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tab {
    Clients,
    Devices,
    Messages,
    Topics,
    Plots,
    Publish,
    Trace,
    Map,
    Course,
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Clients,
        Tab::Devices,
        Tab::Messages,
        Tab::Topics,
        Tab::Plots,
        Tab::Publish,
        Tab::Trace,
        Tab::Map,
        Tab::Course,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Clients => "Clients",
            Tab::Devices => "Devices",
            Tab::Messages => "Messages",
            Tab::Topics => "Topics",
            Tab::Plots => "Plots",
            Tab::Publish => "Publish",
            Tab::Trace => "Trace",
            Tab::Map => "Flow map",
            Tab::Course => "Course",
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
    trace: TracePanel,
    flow_map: FlowMapPanel,
    course: CoursePanel,
    tab: Tab,
    /// Which side parts are unfolded (kept across runs with the rest of the window's state).
    panels: super::layout::PanelsShown,
    files: Box<dyn FilePicker>,
    first_frame_logged: bool,
    frame_timer: super::frame_timer::FrameTimer,
    /// A scenario's commands waiting for "Open to my network" or "Keep this computer only".
    network_question: NetworkConfirm,
    welcome: super::welcome::WelcomeCard,
    help: super::help::HelpPanel,
    theme: super::persisted::Theme,
    remember_password: bool,
    /// Restored subscriptions, held until the subscriber first starts (`None` once sent).
    saved_subscriptions: Option<Vec<(String, u8)>>,
    /// The welcome card asked to bring the Connect-here card into view.
    show_connect: bool,
    /// For `save`, which eframe calls without one.
    last_ctx: Option<egui::Context>,
    /// Presenter view (F5): projector zoom and theme, the big Connect-here card.
    presenter: super::presenter::Presenter,
}

impl PlaygroundApp {
    /// `settings` fill the broker form; the caller decides whether the broker already starts.
    /// File dialogs answer from nothing until [`Self::with_file_picker`] gives real ones.
    pub fn new(engine: Engine, settings: BrokerSettings) -> Self {
        let mut messages = MessagesPanel::default();
        messages.more_detail = Some(super::trace::message_properties(engine.trace().clone()));
        Self {
            broker: BrokerPanel::new(&settings),
            engine,
            connect: ConnectCard::default(),
            activity: Activity::default(),
            devices: DevicesPanel::default(),
            messages,
            topics: TopicsPanel::default(),
            plots: PlotsPanel::default(),
            publish: PublishPanel::default(),
            trace: TracePanel::default(),
            flow_map: FlowMapPanel::default(),
            course: CoursePanel::default(),
            tab: Tab::Clients,
            panels: Default::default(),
            files: Box::new(PresetFilePicker::default()),
            first_frame_logged: false,
            frame_timer: Default::default(),
            network_question: NetworkConfirm::default(),
            welcome: Default::default(),
            help: Default::default(),
            theme: Default::default(),
            remember_password: false,
            saved_subscriptions: None,
            show_connect: false,
            last_ctx: None,
            presenter: Default::default(),
        }
    }

    /// Starts with this question on screen (a `--scenario` that opens the broker to the network).
    pub fn with_network_question(mut self, question: NetworkConfirm) -> Self {
        self.network_question = question;
        self
    }

    /// Uses these file dialogs (native ones in the app, preset answers in tests).
    pub fn with_file_picker(mut self, files: Box<dyn FilePicker>) -> Self {
        self.files = files;
        self
    }

    /// Keeps learner accounts in this file across restarts (the app passes the data folder's).
    pub fn with_accounts_store(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.broker.accounts.keep_in(path);
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

    /// The Trace tab (which client it shows), for tests and other views.
    pub fn trace_mut(&mut self) -> &mut TracePanel {
        &mut self.trace
    }

    /// The Course tab (whose progress and which step it shows), for the `--course` flag and tests.
    pub fn course_mut(&mut self) -> &mut CoursePanel {
        &mut self.course
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
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        super::panel_frame::clear_color(visuals)
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // No frame context here: the zoom is read from the context the last frame drew with.
        if let Some(ctx) = &self.last_ctx {
            self.remembered(ctx).store(storage);
        }
    }

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
        for event in &events {
            if let crate::engine::events::Event::CommandRejected(why) = event {
                self.course.command_rejected(why);
            }
        }
        if let Some(again) = self.activity.record_all(events, &snapshot.fleet) {
            ui.ctx().request_repaint_after(again);
        }
        self.last_ctx = Some(ui.ctx().clone());
        self.handle_shortcuts(ui.ctx());
        self.presenter_frame(ui.ctx());

        // The window is cleared to the panels' colour; painting it again per panel doubled a frame's cost.
        let side_frame = super::panel_frame::side(ui.style());
        egui::Panel::top("title").frame(side_frame).show(ui, |ui| {
            ui.horizontal(|ui| {
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
                // The buttons on the right first; the title and the summary take the room they
                // leave, the summary cut short with "…" (in full on hover) when it does not fit, as
                // in presenter view in a window narrower than the projector's screen.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.title_bar_menu(ui);
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        ui.heading("MQTT Playground");
                        ui.separator();
                        ui.add(egui::Label::new(summary).truncate());
                    });
                });
            });
        });

        let mut command = None;
        let mut copied = None;
        egui::Panel::left("broker")
            .frame(side_frame)
            .default_size(380.0)
            .resizable(true)
            .show_collapsible(ui, &mut self.panels.broker_column, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    command = self.broker.ui(ui, &snapshot);
                    ui.separator();
                    if std::mem::take(&mut self.show_connect) {
                        ui.scroll_to_cursor(Some(egui::Align::TOP));
                    }
                    copied = self.connect.ui(ui, &snapshot);
                    ui.separator();
                    copied = copied.take().or(super::diagnostics::ui(ui, &snapshot));
                });
            });
        egui::Panel::bottom("activity")
            .frame(side_frame)
            .default_size(170.0)
            .resizable(true)
            .show_collapsible(ui, &mut self.panels.activity, |ui| self.activity.ui(ui));
        self.presenter_panel(ui, &snapshot);
        let mut commands = Vec::new();
        let mut file_requests = self.broker.take_file_requests();
        let log = self.engine.log().clone();
        let central = egui::CentralPanel::default().frame(super::panel_frame::central(ui.style()));
        central.show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                for tab in Tab::ALL {
                    ui.selectable_value(&mut self.tab, tab, RichText::new(tab.label()).heading());
                }
            });
            ui.separator();
            if !matches!(self.tab, Tab::Clients | Tab::Devices | Tab::Course) {
                // The app's subscriber connects the first time a watching tab is looked at,
                // with the subscriptions remembered from last time.
                if let Some(start) = self.messages.start_watching() {
                    commands.extend(self.take_saved_subscriptions());
                    commands.push(start);
                }
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
                    if let Some((topic, size, time)) = self.messages.journey_request.take() {
                        self.trace.show_journey_of(&topic, size, time);
                        self.tab = Tab::Trace;
                    }
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
                Tab::Trace => {
                    let out = self.trace.ui(ui, &snapshot, self.engine.trace());
                    commands.extend(out.commands);
                    file_requests.extend(out.files);
                }
                Tab::Map => {
                    let out = self.flow_map.ui(ui, &snapshot, self.engine.trace());
                    commands.extend(out.commands);
                    if let Some(client) = out.open_trace {
                        self.trace.show_client(&client);
                    }
                }
                Tab::Course => {
                    let out = self.course.ui(ui, &snapshot, self.engine.course());
                    commands.extend(out.commands);
                    file_requests.extend(out.files);
                    copied = copied.take().or(out.copied);
                }
            }
        });
        self.shell_windows(ui.ctx(), &snapshot, &mut commands);
        while let Some((purpose, path)) = self.files.next_answer() {
            let Some(path) = path else {
                if purpose == FilePurpose::OpenCourse {
                    self.course.file_cancelled();
                }
                continue;
            };
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
                FilePurpose::ExportTrace => commands.extend(self.trace.file_chosen(&path)),
                FilePurpose::OpenCourse => commands.extend(self.course.file_chosen(&path)),
                FilePurpose::ExportAccountsSheet
                | FilePurpose::ExportAccountsCsv
                | FilePurpose::OpenAccountsCsv => {
                    self.broker
                        .accounts_file_chosen(ui.ctx(), purpose, &path, &snapshot)
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
                    commands.extend(self.network_question.hold_if_opening(more));
                }
                Err(err) => self.activity.note(err),
            }
        }

        let answered = self.network_question.ui(ui.ctx());
        if let Some(settings) = network_confirm::broker_settings_in(&answered) {
            self.broker = BrokerPanel::new(settings);
        }
        commands.extend(answered);
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
