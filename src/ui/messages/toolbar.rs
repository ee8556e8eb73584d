//! The log's toolbar (topic filter, search, payload view, pause, follow, subscriber, clear, export,
//! capacity) and the status line under it.

use eframe::egui::{self, RichText};

use crate::engine::Snapshot;
use crate::engine::monitor::MonitorCommand;
use crate::ui::file_dialog::FilePurpose;
use crate::ui::format;
use crate::ui::widgets::{WARN, labelled_field, view_as_combo};

use super::{MessagesPanel, WatchOutput};

impl MessagesPanel {
    pub(super) fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        out: &mut WatchOutput,
    ) {
        // Labels move to the next row whole instead of being squeezed letter by letter.
        let wrap_before = ui.style().wrap_mode;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        ui.horizontal_wrapped(|ui| {
            let topic = labelled_field(
                ui,
                "Topic",
                &mut self.topic_filter_text,
                "filter, e.g. home/#",
                170.0,
            );
            let search = labelled_field(
                ui,
                "Search",
                &mut self.search_text,
                "text in topic or payload",
                150.0,
            );
            if crate::ui::keyboard::take_log_filter_focus(ui.ctx()) {
                topic.request_focus();
            }
            if topic.changed() || search.changed() {
                self.apply_filters();
            }
            if view_as_combo(ui, "log_view_as", "Show payload as", &mut self.view_as) {
                self.rows.clear();
            }
        });
        ui.horizontal_wrapped(|ui| {
            let pause_label = if self.paused { "Resume" } else { "Pause" };
            if ui
                .button(pause_label)
                .on_hover_text("Pause freezes the list; messages are still received and counted (Space)")
                .clicked()
                || crate::ui::keyboard::take_pause_toggle(ui.ctx())
            {
                self.paused = !self.paused;
                self.received_at_pause = snapshot.monitor.received_total;
                if !self.paused && self.follow {
                    self.scroll_to_newest = true;
                }
            }
            if ui
                .checkbox(&mut self.follow, "Follow newest")
                .changed()
                && self.follow
            {
                self.scroll_to_newest = true;
            }
            let (label, hint, command) = if self.watching {
                (
                    "Stop subscriber",
                    "Disconnect the app's subscriber; the log and its subscriptions are kept",
                    MonitorCommand::Stop,
                )
            } else {
                (
                    "Start subscriber",
                    "Connect the app's subscriber and receive messages again",
                    MonitorCommand::Start,
                )
            };
            if ui.button(label).on_hover_text(hint).clicked() {
                self.watching = !self.watching;
                self.started_once = true;
                out.monitor(command);
            }
            if ui
                .button("Clear log")
                .on_hover_text("Empty the log (the totals keep counting)")
                .clicked()
            {
                out.monitor(MonitorCommand::ClearLog);
                self.selected = None;
                self.detail = None;
            }
            ui.separator();
            if ui
                .button("Export…")
                .on_hover_text(
                    "Save the messages the filters let through, as JSON Lines (.jsonl) or CSV (.csv)",
                )
                .clicked()
            {
                out.files.push(FilePurpose::ExportLog);
            }
            if ui
                .button("Open recording…")
                .on_hover_text("Load a recorded JSON Lines file into the log")
                .clicked()
            {
                out.files.push(FilePurpose::OpenRecording);
            }
            ui.separator();
            let label = ui.label("Keep");
            ui.add(
                egui::DragValue::new(&mut self.capacity)
                    .range(100..=1_000_000)
                    .speed(100.0)
                    .suffix(" messages"),
            )
            .labelled_by(label.id);
            if ui
                .button("Apply")
                .on_hover_text("How many messages the log keeps; older ones make room")
                .clicked()
            {
                out.monitor(MonitorCommand::SetLogCapacity(self.capacity));
            }
        });
        ui.style_mut().wrap_mode = wrap_before;
        if let Some(err) = &self.topic_filter_error {
            ui.label(RichText::new(format!("Topic filter: {err}")).color(WARN));
        }
    }

    /// `received` and `log_len` come from one look at the log, so they always agree.
    pub(super) fn status_ui(
        &self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        log_len: usize,
        received: u64,
    ) {
        let monitor = &snapshot.monitor;
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} received · {}/s · showing {} of {} kept",
                format::count(received),
                format::count(monitor.received_per_s),
                format::count(self.view.len() as u64),
                format::count(log_len as u64),
            ));
            if self.paused {
                ui.label(
                    RichText::new(format!(
                        "Paused: {} more arrived since (still counted)",
                        format::count(
                            monitor
                                .received_total
                                .saturating_sub(self.received_at_pause)
                        )
                    ))
                    .color(WARN),
                );
            }
            if monitor.connected {
                ui.weak(format!("subscriber connected to {}", monitor.target));
            } else if let Some(err) = &monitor.last_error {
                ui.label(RichText::new(format!("subscriber: {err}")).color(WARN));
            }
            if let Some(path) = &monitor.recording {
                ui.label(RichText::new(format!("recording to {}", path.display())).color(WARN));
            }
        });
        if monitor.connected
            && let Some(err) = &monitor.last_error
        {
            ui.label(RichText::new(err).color(WARN));
        }
    }
}
