//! The Publish tab: the manual publisher a teacher uses live (topic, text or JSON payload, QoS,
//! retain, Send), with the recent publishes a click away from being sent again.

use std::collections::VecDeque;

use eframe::egui::{self, RichText};
use serde::de::IgnoredAny;

use crate::engine::monitor::MonitorCommand;
use crate::engine::watch::validate_topic_name;
use crate::engine::{Command, Snapshot};

use super::widgets::{GOOD, WARN, labelled_field, qos_combo};

/// Recent publishes remembered for one-click re-sending.
const RECENT_LIMIT: usize = 20;
/// Characters of a recent payload shown in its row.
const RECENT_PREVIEW_CHARS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayloadMode {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    topic: String,
    payload: String,
    qos: u8,
    retain: bool,
}

impl Sent {
    fn command(&self) -> Command {
        Command::Monitor(MonitorCommand::Publish {
            topic: self.topic.clone(),
            payload: self.payload.clone().into_bytes(),
            qos: self.qos,
            retain: self.retain,
        })
    }
}

/// The Publish tab's state: the form, its checks (redone only when the text changes), recent sends.
pub struct PublishPanel {
    topic: String,
    payload: String,
    mode: PayloadMode,
    qos: u8,
    retain: bool,
    topic_error: Option<String>,
    json_error: Option<String>,
    recent: VecDeque<Sent>,
}

impl Default for PublishPanel {
    fn default() -> Self {
        let mut panel = Self {
            topic: "playground/hello".to_owned(),
            payload: "hello".to_owned(),
            mode: PayloadMode::Text,
            qos: 0,
            retain: false,
            topic_error: None,
            json_error: None,
            recent: VecDeque::new(),
        };
        panel.check();
        panel
    }
}

impl PublishPanel {
    fn check(&mut self) {
        self.topic_error = validate_topic_name(&self.topic)
            .err()
            .map(|e| e.to_string());
        self.json_error = match self.mode {
            PayloadMode::Text => None,
            PayloadMode::Json => serde_json::from_str::<IgnoredAny>(&self.payload)
                .err()
                .map(|e| format!("not valid JSON: {e}")),
        };
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) -> Vec<Command> {
        let mut commands = Vec::new();
        ui.heading("Publish a message");
        ui.label("Sent by the app's own client to the broker, as any MQTT client would.");
        if !snapshot.monitor.connected && snapshot.monitor.last_error.is_some() {
            ui.label(
                RichText::new(match &snapshot.monitor.last_error {
                    Some(err) => format!("The app's client is not connected: {err}"),
                    None => {
                        "The app's client is not connected yet (is the broker running?)".to_owned()
                    }
                })
                .color(WARN),
            );
        }
        ui.add_space(6.0);
        let mut changed = false;
        egui::Grid::new("publish_form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                changed |= labelled_field(
                    ui,
                    "Topic",
                    &mut self.topic,
                    "e.g. home/kitchen/light",
                    360.0,
                )
                .changed();
                ui.end_row();
                if let Some(err) = &self.topic_error {
                    ui.label("");
                    ui.label(RichText::new(err).color(WARN));
                    ui.end_row();
                }

                ui.label("Payload is");
                ui.horizontal(|ui| {
                    changed |= ui
                        .radio_value(&mut self.mode, PayloadMode::Text, "Text")
                        .changed();
                    changed |= ui
                        .radio_value(&mut self.mode, PayloadMode::Json, "JSON")
                        .changed();
                });
                ui.end_row();

                let label = ui.label("Payload");
                changed |= ui
                    .add(
                        egui::TextEdit::multiline(&mut self.payload)
                            .code_editor()
                            .desired_rows(5)
                            .desired_width(360.0)
                            .hint_text("{\"temperature\": 21.5}"),
                    )
                    .labelled_by(label.id)
                    .changed();
                ui.end_row();
                ui.label("");
                match (&self.json_error, self.mode) {
                    (Some(err), _) => {
                        ui.label(RichText::new(err).color(WARN));
                    }
                    (None, PayloadMode::Json) => {
                        ui.label(RichText::new("valid JSON").color(GOOD));
                    }
                    (None, PayloadMode::Text) => {
                        ui.weak(format!("{} bytes", self.payload.len()));
                    }
                }
                ui.end_row();

                ui.label("Options");
                ui.horizontal(|ui| {
                    qos_combo(ui, "publish_qos", &mut self.qos);
                    ui.checkbox(&mut self.retain, "Retain")
                        .on_hover_text("The broker keeps the last retained message of a topic and gives it to new subscribers");
                });
                ui.end_row();
            });
        if changed {
            self.check();
        }
        ui.add_space(6.0);
        let can_send = self.topic_error.is_none() && self.json_error.is_none();
        let send = ui
            .add_enabled(
                can_send,
                egui::Button::new(RichText::new("Send").strong()).min_size(egui::vec2(96.0, 28.0)),
            )
            .on_disabled_hover_text("Fix the topic or the payload first");
        if send.clicked() {
            let sent = Sent {
                topic: self.topic.clone(),
                payload: self.payload.clone(),
                qos: self.qos,
                retain: self.retain,
            };
            commands.push(sent.command());
            self.remember(sent);
        }
        if self.retain && self.payload.is_empty() {
            ui.label(
                RichText::new("An empty retained payload deletes the topic's retained message.")
                    .color(WARN),
            );
        }

        ui.add_space(12.0);
        ui.separator();
        ui.strong("Recent");
        if self.recent.is_empty() {
            ui.weak("What you send appears here, ready to send again with one click.");
        }
        let mut resend = None;
        egui::ScrollArea::vertical()
            .id_salt("recent_publishes")
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for (index, sent) in self.recent.iter().enumerate() {
                    ui.horizontal(|ui| {
                        if ui
                            .button("Send again")
                            .on_hover_text(format!("Publish this to {} once more", sent.topic))
                            .clicked()
                        {
                            resend = Some(index);
                        }
                        if ui.small_button("Edit").clicked() {
                            self.topic = sent.topic.clone();
                            self.payload = sent.payload.clone();
                            self.qos = sent.qos;
                            self.retain = sent.retain;
                            changed = true;
                        }
                        ui.monospace(&sent.topic);
                        let mut flags = format!("QoS {}", sent.qos);
                        if sent.retain {
                            flags.push_str(" · retained");
                        }
                        ui.weak(flags);
                        ui.add(
                            egui::Label::new(
                                RichText::new(one_line(&sent.payload, RECENT_PREVIEW_CHARS))
                                    .monospace(),
                            )
                            .truncate(),
                        );
                    });
                }
            });
        if changed {
            self.check();
        }
        if let Some(sent) = resend.and_then(|i| self.recent.get(i).cloned()) {
            commands.push(sent.command());
            self.remember(sent);
        }
        commands
    }

    /// Newest first, without repeats.
    fn remember(&mut self, sent: Sent) {
        self.recent.retain(|s| *s != sent);
        self.recent.push_front(sent);
        self.recent.truncate(RECENT_LIMIT);
    }
}

fn one_line(text: &str, max_chars: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max_chars)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_publishes_are_bounded_and_deduplicated() {
        let mut panel = PublishPanel::default();
        for i in 0..30 {
            panel.remember(Sent {
                topic: format!("t/{i}"),
                payload: String::new(),
                qos: 0,
                retain: false,
            });
        }
        assert_eq!(panel.recent.len(), RECENT_LIMIT);
        let again = panel.recent.get(5).cloned().unwrap();
        panel.remember(again.clone());
        assert_eq!(panel.recent.len(), RECENT_LIMIT);
        assert_eq!(panel.recent.front(), Some(&again));
    }

    #[test]
    fn wildcards_and_bad_json_are_reported() {
        let mut panel = PublishPanel::default();
        assert!(panel.topic_error.is_none());
        panel.topic = "a/+/b".into();
        panel.mode = PayloadMode::Json;
        panel.payload = "{not json".into();
        panel.check();
        assert!(panel.topic_error.is_some());
        assert!(panel.json_error.is_some());
        panel.payload = "{\"a\": 1}".into();
        panel.check();
        assert!(panel.json_error.is_none());
    }
}
