//! The Diagnostics section: the open-files limit, the connection cap, the log folder, and
//! **Copy diagnostics**, the text a teacher pastes into a bug report (built by the engine).

use eframe::egui;

use crate::engine::diagnostics::{DiagnosticsInput, report};
use crate::engine::limits::thousands;
use crate::engine::{BrokerStatus, Snapshot};

/// Draws the section; returns a line for Activity when the user copied the diagnostics.
pub fn ui(ui: &mut egui::Ui, snapshot: &Snapshot) -> Option<String> {
    let mut copied = None;
    egui::CollapsingHeader::new("Diagnostics")
        .default_open(false)
        .show(ui, |ui| {
            if ui
                .button("Copy diagnostics")
                .on_hover_text(
                    "Copies version, system, ports, limits, counts and recent problems (never the password), for a bug report",
                )
                .clicked()
            {
                let problems = crate::logging::recent_problems();
                let text = report(&DiagnosticsInput {
                    snapshot,
                    capacity: &snapshot.limits,
                    log_folder: crate::logging::log_folder(),
                    recent_problems: &problems,
                });
                ui.ctx().copy_text(text);
                copied = Some("copied: diagnostics".to_owned());
            }
            egui::Grid::new("diagnostics-figures")
                .num_columns(2)
                .show(ui, |ui| {
                    let capacity = &snapshot.limits;
                    ui.label("Open-files limit");
                    match capacity.open_files {
                        Some(limit) => ui.monospace(format!(
                            "{} (hard limit {})",
                            thousands(limit.soft),
                            thousands(limit.hard)
                        )),
                        None => ui.monospace("none on this system"),
                    }
                    .on_hover_text(format!(
                        "Open files: {}; the app keeps some for itself",
                        crate::engine::limits::costs_in_words()
                    ));
                    ui.end_row();
                    if capacity.open_files.is_some() {
                        ui.label("Room for");
                        ui.monospace(format!(
                            "{} clients or {} devices",
                            thousands(capacity.external_clients),
                            thousands(capacity.embedded_devices)
                        ));
                        ui.end_row();
                    }
                    if let BrokerStatus::Running(info) = &snapshot.broker {
                        ui.label("Connection cap");
                        ui.monospace(thousands(info.connection_cap as u64))
                            .on_hover_text(
                                "More clients than this at once are refused (--max-connections)",
                            );
                        ui.end_row();
                    }
                    ui.label("Connections refused");
                    ui.monospace(thousands(snapshot.totals.connections_refused));
                    ui.end_row();
                    ui.label("Log files");
                    match crate::logging::log_folder() {
                        Ok(folder) => ui.add(
                            egui::Label::new(
                                egui::RichText::new(folder.display().to_string()).monospace(),
                            )
                            .wrap(),
                        ),
                        Err(why) => ui.label(format!("none ({why})")),
                    };
                    ui.end_row();
                });
        });
    copied
}
