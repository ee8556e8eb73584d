//! The Trace tab: pick a client and watch its packets both ways as a sequence diagram or a table;
//! pause, clear, export as JSON Lines. It draws what the engine's trace recorded and sends commands.

mod detail;
mod diagram;
mod journey;
mod properties;
mod style;
mod table;

use std::path::Path;
use std::sync::Arc;

use eframe::egui::{self, RichText};

pub use diagram::arrow_text;
pub use properties::message_properties;
pub use style::elide as elide_label;

use super::file_dialog::FilePurpose;
use crate::engine::trace::{
    Journey, PacketRecord, TraceAccess, TraceCommand, find_publish, follow,
};
use crate::engine::{Command, Snapshot};

/// How the records are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceView {
    #[default]
    Diagram,
    Table,
}

/// What the panel asks of the app this frame.
#[derive(Default)]
pub struct TraceOutput {
    pub commands: Vec<Command>,
    pub files: Vec<FilePurpose>,
}

/// The Trace tab's state.
#[derive(Default)]
pub struct TracePanel {
    client: Option<String>,
    view: TraceView,
    paused: bool,
    /// The chosen client's records as last read (kept while paused).
    records: Vec<Arc<PacketRecord>>,
    read_version: Option<u64>,
    selected: Option<u64>,
    /// What the engine was last asked to watch, so a command goes only on a change.
    asked: Option<Option<String>>,
    /// The message being followed, when a journey is open.
    journey: Option<Journey>,
    /// A message of the Messages log to follow once the trace is next read: topic, payload size, time.
    journey_request: Option<(String, usize, std::time::SystemTime)>,
    /// Why the last journey asked for could not be shown.
    journey_problem: Option<String>,
}

impl TracePanel {
    /// Shows this client's trace (from the flow map, the journey, or a test).
    pub fn show_client(&mut self, client: &str) {
        if self.client.as_deref() != Some(client) {
            self.client = Some(client.to_owned());
            self.read_version = None;
            self.selected = None;
        }
    }

    /// Follows a message of the Messages log (its topic, payload size and arrival time).
    pub fn show_journey_of(
        &mut self,
        topic: &str,
        payload_size: usize,
        received: std::time::SystemTime,
    ) {
        self.journey_request = Some((topic.to_owned(), payload_size, received));
    }

    /// The journey shown, if any (for tests).
    pub fn journey(&self) -> Option<&Journey> {
        self.journey.as_ref()
    }

    fn open_journey(&mut self, trace: &TraceAccess, publish: Option<Arc<PacketRecord>>) {
        let request = self.journey_request.take();
        let all = trace.all_records();
        let found = {
            let publish = match publish {
                // A broker's copy: find the client's PUBLISH it came from.
                Some(p) if p.direction.as_str() == "out" => {
                    let topic = p.field("topic").and_then(|t| t.as_str()).unwrap_or("");
                    let size = p
                        .field("payload_size")
                        .and_then(|s| s.as_u64())
                        .unwrap_or(0);
                    find_publish(&all, topic, size as usize, p.time)
                }
                Some(p) => Some(p),
                None => request
                    .as_ref()
                    .and_then(|(topic, size, time)| find_publish(&all, topic, *size, *time)),
            };
            publish.map(|p| follow(&all, &p))
        };
        self.journey_problem = found.is_none().then(|| {
            "The trace has no PUBLISH for this message: its publisher was not traced then. Tick \"Record every client\" and publish again.".to_owned()
        });
        self.journey = found;
    }

    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        trace: &TraceAccess,
    ) -> TraceOutput {
        let mut out = TraceOutput::default();
        self.toolbar(ui, snapshot, trace, &mut out);
        if self.journey_request.is_some() {
            self.open_journey(trace, None);
        }
        if let Some(problem) = &self.journey_problem {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        if let Some(journey) = &self.journey {
            if journey::journey_ui(ui, journey) {
                self.journey = None;
            }
            return out;
        }
        if self.asked.as_ref() != Some(&self.client) {
            self.asked = Some(self.client.clone());
            out.commands.push(Command::Trace(TraceCommand::Watch(
                self.client.iter().cloned().collect(),
            )));
        }
        let Some(client) = self.client.clone() else {
            ui.add_space(12.0);
            ui.label("Pick a client to see its packets, both ways, as they happen: its CONNECT, the broker's CONNACK, every PUBLISH and its acknowledgements.");
            return out;
        };
        self.refresh(&client, trace);
        if self.records.is_empty() {
            ui.label(format!("No packets of {client} yet. Every connection's CONNECT, CONNACK and end are kept; the rest from the moment a client is picked."));
            return out;
        }
        if let Some(seq) = self.selected
            && let Some(record) = self.records.iter().find(|r| r.seq == seq).cloned()
        {
            egui::Panel::bottom("trace-selected")
                .frame(crate::ui::panel_frame::side(ui.style()))
                .resizable(true)
                .default_size(180.0)
                .show(ui, |ui| {
                    if record.packet == "PUBLISH" && ui.button("Show its journey").clicked() {
                        self.open_journey(trace, Some(record.clone()));
                    }
                    egui::ScrollArea::vertical()
                        .id_salt("trace-detail")
                        .show(ui, |ui| {
                            detail::fields_ui(ui, &record);
                        });
                });
        }
        let clicked = match self.view {
            TraceView::Diagram => diagram::diagram_ui(ui, &client, &self.records, self.selected),
            TraceView::Table => table::table_ui(ui, &self.records, self.selected),
        };
        if let Some(seq) = clicked {
            self.selected = if self.selected == Some(seq) {
                None
            } else {
                Some(seq)
            };
        }
        out
    }

    fn refresh(&mut self, client: &str, trace: &TraceAccess) {
        if self.paused {
            return;
        }
        let version = trace.read(|s| s.version());
        if self.read_version == Some(version) {
            return;
        }
        self.read_version = Some(version);
        self.records = trace.read(|store| {
            store
                .client(client)
                .map(|t| t.records.iter().cloned().collect())
                .unwrap_or_default()
        });
    }

    fn toolbar(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        trace: &TraceAccess,
        out: &mut TraceOutput,
    ) {
        ui.horizontal_wrapped(|ui| {
            let shown = self
                .client
                .clone()
                .unwrap_or_else(|| "pick one…".to_owned());
            let mut picked = None;
            egui::ComboBox::new("trace-client", "Client")
                .selected_text(style::elide(&shown, 40))
                .height(400.0)
                .show_ui(ui, |ui| {
                    // Listed only while the list is open: connected clients and those with records.
                    let mut choices: Vec<String> = snapshot
                        .clients
                        .iter()
                        .map(|c| c.client_id.to_string())
                        .collect();
                    choices.extend(trace.read(|s| s.client_ids()).iter().map(|c| c.to_string()));
                    choices.sort();
                    choices.dedup();
                    for id in &choices {
                        let on = self.client.as_deref() == Some(id.as_str());
                        if ui.selectable_label(on, style::elide(id, 60)).clicked() {
                            picked = Some(id.clone());
                        }
                    }
                    if choices.is_empty() {
                        ui.label("no clients yet");
                    }
                });
            if let Some(id) = picked {
                self.show_client(&id);
            }
            ui.separator();
            ui.selectable_value(&mut self.view, TraceView::Diagram, "Diagram");
            ui.selectable_value(&mut self.view, TraceView::Table, "Table");
            ui.separator();
            let pause = if self.paused { "Resume" } else { "Pause" };
            if ui
                .button(pause)
                .on_hover_text("Freeze what is shown; recording goes on")
                .clicked()
            {
                self.paused = !self.paused;
                self.read_version = None;
            }
            if ui
                .button("Clear")
                .on_hover_text("Forget every recorded packet")
                .clicked()
            {
                out.commands.push(Command::Trace(TraceCommand::Clear));
                self.records.clear();
                self.selected = None;
                self.read_version = None;
            }
            if ui
                .add_enabled(self.client.is_some(), egui::Button::new("Export…"))
                .on_hover_text(
                    "Save this client's packets as JSON Lines (the format of serve --trace)",
                )
                .clicked()
            {
                out.files.push(FilePurpose::ExportTrace);
            }
            ui.separator();
            let mut all = snapshot.trace.watching_all;
            if ui
                .checkbox(&mut all, "Record every client")
                .on_hover_text("Decode every packet of every client, not only the one picked")
                .changed()
            {
                out.commands
                    .push(Command::Trace(TraceCommand::WatchAll(all)));
            }
            ui.label(
                RichText::new(format!(
                    "{} packets kept ({})",
                    super::format::count(snapshot.trace.records as u64),
                    super::format::bytes(snapshot.trace.bytes as u64)
                ))
                .weak(),
            );
        });
        ui.separator();
    }

    /// The export's file was chosen.
    pub fn file_chosen(&self, path: &Path) -> Vec<Command> {
        vec![Command::Trace(TraceCommand::Export {
            path: path.to_owned(),
            client: self.client.clone(),
        })]
    }
}
