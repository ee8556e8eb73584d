//! Scenario files: opened and saved on a thread of their own (never in a frame), then turned into commands.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::engine::fleet::FleetCommand;
use crate::engine::{BrokerStatus, Command, Snapshot};
use crate::scenario::{BrokerSection, Scenario};
use crate::ui::file_dialog::FilePurpose;

use super::DevicesPanel;

impl DevicesPanel {
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
            FilePurpose::ExportLog
            | FilePurpose::OpenRecording
            | FilePurpose::ExportTrace
            | FilePurpose::OpenCourse
            | FilePurpose::ExportAccountsSheet
            | FilePurpose::ExportAccountsCsv
            | FilePurpose::OpenAccountsCsv => {
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
