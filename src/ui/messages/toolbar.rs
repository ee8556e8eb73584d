//! The log's toolbar (topic filter, search, payload view, pause, follow, subscriber, clear, export,
//! capacity) and the status line under it.

use eframe::egui::{self, RichText};

use crate::engine::Snapshot;
use crate::engine::monitor::{DEFAULT_FILTER, MonitorCommand, MonitorSnapshot};
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
        // A line of its own: inside the row above, a long label's first line ran past the edge.
        if let Some(note) = falling_behind(monitor, snapshot.messages_in_per_s) {
            ui.label(RichText::new(note).color(WARN)).on_hover_text(
                "The app's own subscriber runs below normal CPU priority, so a flood never slows \
                 the broker down for its clients. Like any QoS 0 subscriber that cannot keep up, \
                 it misses what it has no time for; other clients lose nothing.",
            );
        }
        if monitor.connected
            && let Some(err) = &monitor.last_error
        {
            ui.label(RichText::new(err).color(WARN));
        }
    }
}

/// Rates below this are too small for the two meters' seconds to compare.
const BEHIND_FROM_PER_S: u64 = 1_000;

/// Says so when the log, watching everything on the app's own broker, gets clearly fewer messages
/// than the broker takes in: on a busy machine the broker's clients come first.
fn falling_behind(monitor: &MonitorSnapshot, broker_in_per_s: u64) -> Option<String> {
    let watches_everything = monitor
        .subscriptions
        .iter()
        .any(|(filter, _)| filter == DEFAULT_FILTER);
    let behind = monitor.received_per_s.saturating_mul(10) < broker_in_per_s.saturating_mul(9);
    (monitor.embedded
        && monitor.connected
        && watches_everything
        && broker_in_per_s >= BEHIND_FROM_PER_S
        && behind)
        .then(|| {
            format!(
                "The log keeps up with {} of the {} messages/s the broker takes in: while this computer is busy, the broker's clients come first",
                format::count(monitor.received_per_s),
                format::count(broker_in_per_s)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watching(filter: &str, received_per_s: u64) -> MonitorSnapshot {
        MonitorSnapshot {
            connected: true,
            embedded: true,
            subscriptions: vec![(filter.to_owned(), 0)],
            received_per_s,
            ..MonitorSnapshot::default()
        }
    }

    #[test]
    fn a_log_far_behind_the_broker_says_why() {
        let note = falling_behind(&watching("#", 240_000), 400_000).expect("a note");
        assert!(note.contains("240,000 of the 400,000 messages/s"), "{note}");
    }

    #[test]
    fn no_note_when_keeping_up_or_when_the_rates_cannot_be_compared() {
        assert_eq!(
            falling_behind(&watching("#", 395_000), 400_000),
            None,
            "keeping up"
        );
        assert_eq!(
            falling_behind(&watching("#", 100), 900),
            None,
            "too few to compare"
        );
        assert_eq!(
            falling_behind(&watching("sensors/#", 10_000), 400_000),
            None,
            "a narrower filter gets fewer by design"
        );
        let external = MonitorSnapshot {
            embedded: false,
            ..watching("#", 10_000)
        };
        assert_eq!(
            falling_behind(&external, 400_000),
            None,
            "another broker's rate is not known"
        );
    }
}
