//! The Devices panel: device groups with live status, the group editor with payload preview, the
//! broker the fleet targets, and scenario files.

mod device_list;
mod group_card;
mod group_editor;
mod scenario_files;
mod target_dialog;

use std::path::PathBuf;

use eframe::egui::{self, Color32};

use crate::engine::fleet::{FleetCommand, GroupId, GroupSpec, GroupStatus, RunState};
use crate::engine::{Command, Snapshot};

use super::file_dialog::FilePurpose;

use group_editor::{Editing, Editor, editor_ui};
pub use scenario_files::FileWork;
use target_dialog::TargetForm;

/// What the panel asks of the app this frame.
#[derive(Default)]
pub struct DevicesOutput {
    pub commands: Vec<Command>,
    pub files: Vec<FilePurpose>,
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

pub(super) const RUNNING: Color32 = Color32::from_rgb(40, 170, 80);
pub(super) const PAUSED: Color32 = Color32::from_rgb(220, 160, 40);

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
}

/// A label and a one-line text field that screen readers and tests find by the label.
pub(super) fn labelled_text(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(320.0),
    )
    .labelled_by(label.id);
    ui.end_row();
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
