//! The Devices panel: device groups with live status, the group editor with payload preview, the
//! broker the fleet targets, and scenario files.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use eframe::egui::{self, Color32, RichText};

use crate::engine::fleet::{
    DeviceState, ExternalBroker, FleetCommand, FleetTarget, GroupError, GroupField, GroupId,
    GroupSpec, GroupStatus, MqttVersion, RunState,
};
use crate::engine::template::{PayloadFormat, RenderContext};
use crate::engine::{BrokerStatus, Command, Snapshot};
use crate::scenario::{BrokerSection, Scenario};

use super::file_dialog::FilePurpose;
use super::format;
use super::group_form::{FixedForm, GroupForm, PaceMode};

/// What the panel asks of the app this frame.
#[derive(Default)]
pub struct DevicesOutput {
    pub commands: Vec<Command>,
    pub files: Vec<FilePurpose>,
}

/// Which group the editor works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editing {
    New,
    Existing(GroupId),
}

struct Editor {
    editing: Editing,
    form: GroupForm,
    /// The form's last check: the spec, or the first problem.
    checked: Result<GroupSpec, GroupError>,
    /// Three sample payloads for the preview (empty while the template has an error).
    samples: Vec<String>,
}

impl Editor {
    fn new(editing: Editing, spec: &GroupSpec) -> Self {
        let mut editor = Self {
            editing,
            form: GroupForm::from_spec(spec),
            checked: Ok(spec.clone()),
            samples: Vec::new(),
        };
        editor.recheck();
        editor
    }

    /// Checks the form and renders the preview; called only when the text changed.
    fn recheck(&mut self) {
        self.checked = self.form.to_spec();
        self.samples = match &self.checked {
            Ok(spec) => match spec.compile() {
                Ok(compiled) => {
                    let client_id = compiled.client_id.expand(&compiled.spec.name, 1, "");
                    let now = SystemTime::now();
                    compiled
                        .payload
                        .preview(compiled.spec.seed, 3, |i| RenderContext {
                            device_index: 1,
                            group: &compiled.spec.name,
                            client_id: &client_id,
                            elapsed: compiled.pace.interval().mul_f64(i as f64),
                            // Samples a pace apart, as the device would send them.
                            now: now + compiled.pace.interval().mul_f64(i as f64),
                        })
                }
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
    }
}

/// The target form: what the user typed for an external broker.
#[derive(Default)]
struct TargetForm {
    external: bool,
    host: String,
    port: String,
    tls: bool,
    username: String,
    password: String,
    prefix: String,
    ca_file: String,
    error: Option<String>,
}

impl TargetForm {
    fn from_target(target: &FleetTarget) -> Self {
        match target {
            FleetTarget::Embedded => Self {
                port: "1883".into(),
                ..Self::default()
            },
            FleetTarget::External(ext) => Self {
                external: true,
                host: ext.host.clone(),
                port: ext.port.to_string(),
                tls: ext.tls,
                username: ext.username.clone().unwrap_or_default(),
                password: ext.password.clone().unwrap_or_default(),
                prefix: ext.client_id_prefix.clone(),
                ca_file: ext
                    .ca_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                error: None,
            },
        }
    }

    fn to_target(&self) -> Result<FleetTarget, String> {
        if !self.external {
            return Ok(FleetTarget::Embedded);
        }
        let port = self.port.trim().parse::<u16>().map_err(|_| {
            format!(
                "port \"{}\" is not a port: type 1 to 65535 (1883 for MQTT, 8883 for MQTT over TLS)",
                self.port.trim()
            )
        })?;
        let target = FleetTarget::External(ExternalBroker {
            host: self.host.trim().to_owned(),
            port,
            tls: self.tls,
            username: (!self.username.is_empty()).then(|| self.username.clone()),
            password: (!self.password.is_empty()).then(|| self.password.clone()),
            client_id_prefix: self.prefix.clone(),
            ca_file: (!self.ca_file.trim().is_empty()).then(|| self.ca_file.trim().into()),
        });
        target.validate().map_err(|e| e.to_string())?;
        Ok(target)
    }
}

/// The panel's state across frames.
#[derive(Default)]
pub struct DevicesPanel {
    editor: Option<Editor>,
    target: Option<TargetForm>,
    /// Groups whose device list is unfolded.
    shown_devices: std::collections::HashSet<GroupId>,
    /// The scenario file last opened or saved, shown so a teacher knows what is loaded.
    pub scenario_path: Option<PathBuf>,
    /// Scenario files being read or written on their own threads.
    file_work: Vec<std::sync::mpsc::Receiver<FileWork>>,
    file_errors: Vec<String>,
}

const RUNNING: Color32 = Color32::from_rgb(40, 170, 80);
const PAUSED: Color32 = Color32::from_rgb(220, 160, 40);

impl DevicesPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) -> DevicesOutput {
        let mut out = DevicesOutput::default();
        let fleet = &snapshot.fleet;
        ui.horizontal_wrapped(|ui| {
            if ui.button("Add group").clicked() {
                let spec = GroupSpec {
                    name: unused_name(&fleet.groups),
                    ..GroupSpec::default()
                };
                self.editor = Some(Editor::new(Editing::New, &spec));
            }
            let any_stopped = fleet.groups.iter().any(|g| g.run == RunState::Stopped);
            let any_running = fleet.groups.iter().any(|g| g.run != RunState::Stopped);
            if ui
                .add_enabled(any_stopped, egui::Button::new("Start all"))
                .clicked()
            {
                out.commands.push(Command::Fleet(FleetCommand::Start(None)));
            }
            if ui
                .add_enabled(any_running, egui::Button::new("Stop all"))
                .clicked()
            {
                out.commands.push(Command::Fleet(FleetCommand::Stop(None)));
            }
            ui.separator();
            if ui.button("Open scenario…").clicked() {
                out.files.push(FilePurpose::OpenScenario);
            }
            if ui.button("Save scenario…").clicked() {
                out.files.push(FilePurpose::SaveScenario);
            }
            if let Some(path) = &self.scenario_path {
                ui.weak(path.display().to_string());
            }
        });
        self.target_ui(ui, snapshot, &mut out);
        ui.separator();

        egui::ScrollArea::vertical()
            .id_salt("devices-scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(editor) = &mut self.editor {
                    let done = editor_ui(ui, editor, &mut out);
                    if done {
                        self.editor = None;
                    }
                    ui.separator();
                }
                if fleet.groups.is_empty() {
                    ui.label(
                        "No device groups yet. \"Add group\" makes simulated devices that publish telemetry, or open one of the scenarios in assets/scenarios.",
                    );
                }
                for group in &fleet.groups {
                    self.group_ui(ui, group, &mut out);
                }
            });
        out
    }

    fn target_ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, out: &mut DevicesOutput) {
        let fleet = &snapshot.fleet;
        ui.horizontal_wrapped(|ui| {
            ui.label("Devices connect to:");
            ui.strong(match (&fleet.target, &snapshot.broker) {
                (FleetTarget::Embedded, BrokerStatus::Running(info)) => {
                    format!("the embedded broker ({})", info.tcp)
                }
                (target, _) => target.label(),
            });
            if self.target.is_none() && ui.button("Change…").clicked() {
                self.target = Some(TargetForm::from_target(&fleet.target));
            }
        });
        if let Some(note) = &fleet.target_note {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
        let Some(form) = &mut self.target else {
            return;
        };
        let mut close = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.external, false, "The embedded broker");
                ui.radio_value(&mut form.external, true, "An external broker");
            });
            if form.external {
                egui::Grid::new("external-target")
                    .num_columns(2)
                    .show(ui, |ui| {
                        labelled_text(ui, "Host", &mut form.host, "broker.example.com");
                        labelled_text(ui, "Port", &mut form.port, "1883");
                        ui.label("TLS");
                        ui.checkbox(&mut form.tls, "encrypt (usually port 8883)");
                        ui.end_row();
                        labelled_text(ui, "User name", &mut form.username, "optional");
                        let label = ui.label("Password");
                        ui.add(
                            egui::TextEdit::singleline(&mut form.password)
                                .password(true)
                                .hint_text("optional"),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                        labelled_text(ui, "Client id prefix", &mut form.prefix, "e.g. class-a-");
                        if form.tls {
                            labelled_text(
                                ui,
                                "CA certificate file",
                                &mut form.ca_file,
                                "optional: the broker's own CA (PEM)",
                            );
                        }
                    });
            }
            if let Some(error) = &form.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.horizontal(|ui| {
                if ui.button("Use this broker").clicked() {
                    match form.to_target() {
                        Ok(target) => {
                            out.commands
                                .push(Command::Fleet(FleetCommand::SetTarget(target)));
                            close = true;
                        }
                        Err(error) => form.error = Some(error),
                    }
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.target = None;
        }
    }

    fn group_ui(&mut self, ui: &mut egui::Ui, group: &GroupStatus, out: &mut DevicesOutput) {
        let id = group.id;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.heading(&group.spec.name);
                let (word, color) = match group.run {
                    RunState::Running => ("Running", RUNNING),
                    RunState::Paused => ("Paused", PAUSED),
                    RunState::Stopped => ("Stopped", ui.visuals().weak_text_color()),
                };
                ui.colored_label(color, RichText::new(word).strong());
                match group.run {
                    RunState::Stopped => {
                        if ui.button("Start group").clicked() {
                            out.commands
                                .push(Command::Fleet(FleetCommand::Start(Some(id))));
                        }
                    }
                    RunState::Running | RunState::Paused => {
                        if ui.button("Stop group").clicked() {
                            out.commands
                                .push(Command::Fleet(FleetCommand::Stop(Some(id))));
                        }
                        let paused = group.run == RunState::Paused;
                        if ui.button(if paused { "Resume" } else { "Pause" }).clicked() {
                            out.commands
                                .push(Command::Fleet(FleetCommand::Pause(id, !paused)));
                        }
                    }
                }
                if ui.button("Edit").clicked() {
                    self.editor = Some(Editor::new(Editing::Existing(id), &group.spec));
                }
                if ui.button("Remove").clicked() {
                    out.commands
                        .push(Command::Fleet(FleetCommand::RemoveGroup(id)));
                    if matches!(&self.editor, Some(e) if e.editing == Editing::Existing(id)) {
                        self.editor = None;
                    }
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "{} of {} connected",
                    group.connected, group.devices_total
                ));
                if group.connecting > 0 {
                    ui.weak(format!("· {} connecting", group.connecting));
                }
                if group.reconnecting > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("· {} reconnecting", group.reconnecting),
                    );
                }
                if group.killed > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("· {} killed", group.killed),
                    );
                }
                ui.separator();
                ui.label(format!(
                    "{} msg/s of {} target",
                    format::count(group.rate_per_s),
                    format_rate(group.target_rate)
                ));
                ui.separator();
                ui.label(format!("{} sent", format::count(group.sent)));
                if group.spec.qos > 0 {
                    ui.weak(format!(
                        "({} acknowledged)",
                        format::count(group.acknowledged)
                    ));
                }
                if group.skipped > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "{} skipped (broker slower than the pace)",
                            format::count(group.skipped)
                        ),
                    );
                }
                if group.errors > 0 {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("{} connection errors", format::count(group.errors)),
                    );
                }
            });
            ui.weak(format!(
                "{} publishes to {} · {} · QoS {}{} · MQTT {}",
                group.spec.client_id,
                group.spec.topic,
                pace_text(&group.spec),
                group.spec.qos,
                if group.spec.retain {
                    " · retained"
                } else {
                    ""
                },
                group.spec.protocol.label()
            ));
            if let Some(error) = &group.last_error {
                ui.colored_label(ui.visuals().warn_fg_color, format!("Last error: {error}"));
            }
            if group.run != RunState::Stopped {
                let shown = self.shown_devices.contains(&id);
                let label = if shown {
                    "Hide devices"
                } else {
                    "Show devices (kill, reconnect)"
                };
                if ui.small_button(label).clicked() {
                    if shown {
                        self.shown_devices.remove(&id);
                    } else {
                        self.shown_devices.insert(id);
                    }
                }
                if shown {
                    device_list_ui(ui, group, out);
                }
            }
        });
    }

    /// Starts reading or writing a chosen scenario file on a thread of its own (never in a frame);
    /// [`DevicesPanel::file_done`] hands over the outcome once it is there.
    pub fn file_chosen(
        &mut self,
        purpose: FilePurpose,
        path: PathBuf,
        snapshot: &Snapshot,
        broker_form: Option<crate::engine::BrokerSettings>,
        ctx: &egui::Context,
    ) {
        let work: Box<dyn FnOnce() -> FileWork + Send> = match purpose {
            FilePurpose::OpenScenario => Box::new(move || {
                FileWork::Opened(
                    Scenario::open(&path)
                        .map(Box::new)
                        .map_err(|e| e.to_string()),
                    path,
                )
            }),
            FilePurpose::SaveScenario => {
                let broker = match &snapshot.broker {
                    BrokerStatus::Running(info) => Some(info.settings.clone()),
                    _ => broker_form,
                };
                let scenario = Scenario {
                    description: None,
                    broker: broker.as_ref().map(BrokerSection::from_settings),
                    target: snapshot.fleet.target.clone(),
                    groups: snapshot
                        .fleet
                        .groups
                        .iter()
                        .map(|g| g.spec.clone())
                        .collect(),
                };
                Box::new(move || {
                    FileWork::Saved(scenario.save(&path).map_err(|e| e.to_string()), path)
                })
            }
            FilePurpose::ExportLog | FilePurpose::OpenRecording | FilePurpose::ExportTrace => {
                return;
            }
        };
        let (done_tx, done) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("scenario-file".into())
            .spawn(move || {
                let _ = done_tx.send(work());
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.file_work.push(done),
            Err(err) => self.file_errors.push(format!(
                "could not start reading or writing the file: {err}"
            )),
        }
    }

    /// A finished file read or write: what to tell the user, and the commands to send.
    pub fn file_done(
        &mut self,
        snapshot: &Snapshot,
    ) -> Option<Result<(String, Vec<Command>), String>> {
        if let Some(error) = self.file_errors.pop() {
            return Some(Err(error));
        }
        let mut finished = None;
        self.file_work.retain(|done| {
            if finished.is_some() {
                return true;
            }
            match done.try_recv() {
                Ok(work) => {
                    finished = Some(work);
                    false
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => true,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => false,
            }
        });
        match finished? {
            FileWork::Opened(Ok(scenario), path) => Some(self.opened(*scenario, &path, snapshot)),
            FileWork::Opened(Err(error), _) | FileWork::Saved(Err(error), _) => Some(Err(error)),
            FileWork::Saved(Ok(()), path) => {
                self.scenario_path = Some(path.clone());
                Some(Ok((
                    format!("saved the scenario to {}", path.display()),
                    Vec::new(),
                )))
            }
        }
    }

    fn opened(
        &mut self,
        scenario: Scenario,
        path: &Path,
        snapshot: &Snapshot,
    ) -> Result<(String, Vec<Command>), String> {
        let mut commands = Vec::new();
        if let Some(section) = &scenario.broker {
            let settings = section.to_settings().map_err(|e| e.to_string())?;
            let same = matches!(&snapshot.broker, BrokerStatus::Running(info) if info.settings == settings);
            if !same {
                commands.push(match snapshot.broker {
                    BrokerStatus::Running(_) => Command::RestartBroker(settings),
                    _ => Command::StartBroker(settings),
                });
            }
        }
        let groups = scenario.groups.len();
        commands.push(Command::Fleet(FleetCommand::Replace {
            target: scenario.target,
            groups: scenario.groups,
            start: false,
        }));
        self.editor = None;
        self.scenario_path = Some(path.to_owned());
        Ok((
            format!(
                "opened {} ({groups} device groups): press Start all to run them",
                path.display()
            ),
            commands,
        ))
    }
}

/// What a scenario file thread did.
pub enum FileWork {
    Opened(Result<Box<Scenario>, String>, PathBuf),
    Saved(Result<(), String>, PathBuf),
}

fn device_list_ui(ui: &mut egui::Ui, group: &GroupStatus, out: &mut DevicesOutput) {
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    egui::ScrollArea::vertical()
        .id_salt(("devices", group.id.0))
        .max_height(240.0)
        .show_rows(ui, row_height, group.devices.len(), |ui, rows| {
            for device in &group.devices[rows] {
                ui.horizontal(|ui| {
                    ui.monospace(format!("{:>5}", device.index));
                    ui.label(&device.client_id);
                    let color = match device.state {
                        DeviceState::Connected => RUNNING,
                        DeviceState::Killed | DeviceState::Reconnecting => ui.visuals().warn_fg_color,
                        _ => ui.visuals().weak_text_color(),
                    };
                    ui.colored_label(color, device.state.label());
                    let action = match device.state {
                        DeviceState::Connected | DeviceState::Connecting => Some((
                            format!("Kill {}", device.client_id),
                            "Cut its connection without DISCONNECT: the broker publishes its last will",
                            FleetCommand::Kill(group.id, device.index),
                        )),
                        DeviceState::Killed | DeviceState::Reconnecting => Some((
                            format!("Reconnect {}", device.client_id),
                            "Connect again now",
                            FleetCommand::Reconnect(group.id, device.index),
                        )),
                        _ => None,
                    };
                    if let Some((label, hint, command)) = action
                        && ui.small_button(label).on_hover_text(hint).clicked()
                    {
                        out.commands.push(Command::Fleet(command));
                    }
                    if let Some(error) = &device.last_error {
                        ui.weak(error);
                    }
                });
            }
        });
}

/// Draws the editor; true when it should close.
fn editor_ui(ui: &mut egui::Ui, editor: &mut Editor, out: &mut DevicesOutput) -> bool {
    let mut close = false;
    let before = editor.form.clone();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.heading(match editor.editing {
            Editing::New => "New device group",
            Editing::Existing(_) => "Edit device group",
        });
        let form = &mut editor.form;
        egui::Grid::new("group-editor")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                labelled_text(ui, "Group name", &mut form.name, "sensors");
                labelled_text(ui, "Devices", &mut form.count, "1 to 10000");
                labelled_text(ui, "Client id pattern", &mut form.client_id, "{group}-{n}");
                labelled_text(
                    ui,
                    "Topic pattern",
                    &mut form.topic,
                    "site/{group}/device-{n}/temperature",
                );
                ui.label("Pace");
                ui.horizontal(|ui| {
                    let every = ui.radio_value(&mut form.pace_mode, PaceMode::Every, "every");
                    if form.pace_mode == PaceMode::Every {
                        ui.add(egui::TextEdit::singleline(&mut form.every).desired_width(70.0))
                            .labelled_by(every.id);
                    }
                    let rate = ui.radio_value(
                        &mut form.pace_mode,
                        PaceMode::Rate,
                        "messages/s per device",
                    );
                    if form.pace_mode == PaceMode::Rate {
                        ui.add(egui::TextEdit::singleline(&mut form.rate).desired_width(70.0))
                            .labelled_by(rate.id);
                    }
                });
                ui.end_row();
                labelled_text(ui, "Jitter (%)", &mut form.jitter, "0 to 100");
                ui.label("QoS");
                ui.horizontal(|ui| {
                    for q in 0..=2u8 {
                        ui.radio_value(&mut form.qos, q, q.to_string());
                    }
                    ui.checkbox(&mut form.retain, "retain");
                });
                ui.end_row();
                ui.label("Protocol");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut form.protocol, MqttVersion::V311, "MQTT 3.1.1");
                    ui.radio_value(&mut form.protocol, MqttVersion::V5, "MQTT 5");
                    ui.checkbox(&mut form.clean_session, "clean session");
                });
                ui.end_row();
                labelled_text(ui, "Keep-alive (s)", &mut form.keep_alive, "30");
                labelled_text(ui, "Random seed", &mut form.seed, "1");
            });
        ui.horizontal(|ui| {
            ui.label("Payload");
            ui.radio_value(&mut form.format, PayloadFormat::Json, "JSON");
            ui.radio_value(&mut form.format, PayloadFormat::Text, "Text");
            ui.weak(
                "generators: counter, int, float, sine, walk, choice, bool, timestamp, index, uuid",
            );
        });
        let payload_label = ui.label("Payload template");
        ui.add(
            egui::TextEdit::multiline(&mut form.payload)
                .code_editor()
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(payload_label.id);
        // The preview sits right under the template, so typing shows its effect at once.
        ui.label(RichText::new("Preview (device 1, three messages)").strong());
        match &editor.checked {
            Ok(_) => {
                for sample in &editor.samples {
                    ui.monospace(sample);
                }
            }
            Err(error) => {
                ui.colored_label(ui.visuals().error_fg_color, error.to_string());
                if error.field == GroupField::Payload {
                    ui.weak("The group cannot be added or started until the template is fixed.");
                }
            }
        }
        let form = &mut editor.form;
        fixed_message_ui(
            ui,
            "Last will (published by the broker when a device is lost)",
            "will",
            &mut form.will,
        );
        fixed_message_ui(
            ui,
            "Birth message (published on every connect)",
            "birth",
            &mut form.birth,
        );
        ui.horizontal(|ui| {
            let valid = editor.checked.is_ok();
            let label = match editor.editing {
                Editing::New => "Add this group",
                Editing::Existing(_) => "Apply",
            };
            if ui.add_enabled(valid, egui::Button::new(label)).clicked()
                && let Ok(spec) = &editor.checked
            {
                out.commands.push(Command::Fleet(match editor.editing {
                    Editing::New => FleetCommand::AddGroup(spec.clone()),
                    Editing::Existing(id) => FleetCommand::UpdateGroup(id, spec.clone()),
                }));
                close = true;
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if editor.form != before {
        editor.recheck();
    }
    close
}

fn fixed_message_ui(ui: &mut egui::Ui, title: &str, salt: &str, form: &mut FixedForm) {
    ui.checkbox(&mut form.enabled, title);
    if form.enabled {
        egui::Grid::new(("fixed", salt))
            .num_columns(2)
            .show(ui, |ui| {
                labelled_text(ui, &format!("{salt} topic"), &mut form.topic, "…/status");
                labelled_text(ui, &format!("{salt} payload"), &mut form.payload, "offline");
                ui.label(format!("{salt} QoS"));
                ui.horizontal(|ui| {
                    for q in 0..=2u8 {
                        ui.radio_value(&mut form.qos, q, q.to_string());
                    }
                    ui.checkbox(&mut form.retain, "retain");
                });
                ui.end_row();
            });
    }
}

/// A label and a one-line text field that screen readers and tests find by the label.
fn labelled_text(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(320.0),
    )
    .labelled_by(label.id);
    ui.end_row();
}

fn pace_text(spec: &GroupSpec) -> String {
    let pace = spec
        .pace()
        .map(|p| p.describe())
        .unwrap_or_else(|e| e.to_string());
    if spec.jitter_percent > 0.0 {
        format!("{pace} ± {}%", spec.jitter_percent)
    } else {
        pace
    }
}

fn format_rate(rate: f64) -> String {
    if rate >= 10.0 {
        format::count(rate.round() as u64)
    } else {
        format!("{rate:.2}")
    }
}

fn unused_name(groups: &[GroupStatus]) -> String {
    (1..)
        .map(|i| {
            if i == 1 {
                "sensors".to_owned()
            } else {
                format!("sensors-{i}")
            }
        })
        .find(|name| groups.iter().all(|g| &g.spec.name != name))
        .unwrap_or_else(|| "sensors".to_owned())
}
