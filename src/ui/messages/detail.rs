//! The detail view of one message: its fields, the whole payload in the chosen view, Copy buttons.

use std::sync::Arc;
use std::time::SystemTime;

use eframe::egui::{self, RichText};

use crate::engine::monitor::LogAccess;
use crate::engine::watch::{LoggedMessage, ViewAs, full_text};
use crate::ui::format;
use crate::ui::widgets::{WARN, view_as_combo};

use super::MessagesPanel;
use super::row_text::displayable;

/// The detail view shows at most this much text (Copy still copies all of it).
const DETAIL_SHOWN_BYTES: usize = 64 * 1024;

/// The message shown in the detail view, copied out of the log so eviction cannot take it away.
pub(super) struct Detail {
    seq: u64,
    view: ViewAs,
    topic: Arc<str>,
    time: SystemTime,
    qos: u8,
    retain: bool,
    size: usize,
    kept: usize,
    truncated: bool,
    note: Option<String>,
    /// The whole formatted payload (for Copy).
    full: String,
    /// What is drawn: the start of `full` when it is very long.
    shown: String,
    payload: bytes::Bytes,
}

impl Detail {
    pub(super) fn of(message: &LoggedMessage, view: ViewAs) -> Self {
        let mut detail = Self {
            seq: message.seq,
            view,
            topic: message.topic.clone(),
            time: message.received_at,
            qos: message.qos,
            retain: message.retain,
            size: message.original_payload_len(),
            kept: message.payload.len(),
            truncated: message.is_truncated(),
            note: None,
            full: String::new(),
            shown: String::new(),
            payload: message.payload.clone(),
        };
        detail.format(view);
        detail
    }

    fn format(&mut self, view: ViewAs) {
        let resolved = view.resolve(&self.payload);
        self.view = view;
        self.note = resolved.note;
        self.full = full_text(&self.payload, resolved.kind);
        self.shown = displayable(if self.full.len() > DETAIL_SHOWN_BYTES {
            let mut cut = DETAIL_SHOWN_BYTES;
            while !self.full.is_char_boundary(cut) {
                cut -= 1;
            }
            self.full.get(..cut).unwrap_or_default().to_owned()
        } else {
            self.full.clone()
        });
    }
}

impl MessagesPanel {
    pub(super) fn select(&mut self, seq: u64, log: &LogAccess) {
        self.selected = Some(seq);
        let view = self.detail.as_ref().map_or(self.view_as, |d| d.view);
        self.detail = log.read(|store| {
            store
                .log
                .get_by_seq(seq)
                .map(|message| Detail::of(message, view))
        });
    }

    pub(super) fn detail_ui(&mut self, ui: &mut egui::Ui, _log: &LogAccess) {
        let mut close = false;
        ui.horizontal(|ui| {
            ui.heading("Message");
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        let Some(detail) = &mut self.detail else {
            ui.label("This message is no longer in the log.");
            if close {
                self.selected = None;
            }
            return;
        };
        egui::Grid::new("message_detail_grid")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                ui.label("Topic");
                ui.add(
                    egui::Label::new(
                        RichText::new(crate::engine::display_text::escaped(&detail.topic))
                            .monospace()
                            .strong(),
                    )
                    .wrap(),
                );
                ui.end_row();
                ui.label("Received");
                ui.label(format!(
                    "{} UTC",
                    crate::engine::watch::rfc3339::format_utc_millis(detail.time)
                ));
                ui.end_row();
                ui.label("QoS");
                ui.label(detail.qos.to_string());
                ui.end_row();
                ui.label("Retain");
                ui.label(if detail.retain {
                    "yes (a retained message)"
                } else {
                    "no"
                });
                ui.end_row();
                ui.label("Size");
                ui.label(format!(
                    "{} ({} bytes)",
                    format::bytes(detail.size as u64),
                    format::count(detail.size as u64)
                ));
                ui.end_row();
            });
        if let Some(more) = &mut self.more_detail {
            more(ui, &detail.topic, detail.size, detail.time);
        }
        if detail.truncated {
            ui.label(
                RichText::new(format!(
                    "Only the first {} of {} were kept: the log cuts very large payloads.",
                    format::bytes(detail.kept as u64),
                    format::bytes(detail.size as u64)
                ))
                .color(WARN),
            );
        }
        ui.horizontal(|ui| {
            let mut view = detail.view;
            if view_as_combo(ui, "detail_view_as", "Show as", &mut view) {
                detail.format(view);
            }
            if ui.button("Copy payload").clicked() {
                ui.ctx().copy_text(detail.full.clone());
            }
            if ui
                .button("Show its journey")
                .on_hover_text(
                    "Follow it in the protocol trace: its publisher, the broker, every subscriber",
                )
                .clicked()
            {
                self.journey_request = Some((detail.topic.to_string(), detail.size, detail.time));
            }
            if ui.button("Copy topic").clicked() {
                ui.ctx().copy_text(detail.topic.to_string());
            }
        });
        if let Some(note) = &detail.note {
            ui.label(RichText::new(note).color(WARN));
        }
        if detail.shown.len() < detail.full.len() {
            ui.weak(format!(
                "Showing the first {} of the formatted payload; Copy payload copies all of it.",
                format::bytes(detail.shown.len() as u64)
            ));
        }
        ui.separator();
        egui::ScrollArea::both()
            .id_salt("detail_payload")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let label = ui.label(format!("Payload of message {}", detail.seq));
                let mut shown = detail.shown.as_str();
                ui.add(
                    egui::TextEdit::multiline(&mut shown)
                        .code_editor()
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            });
        if close {
            self.selected = None;
            self.detail = None;
        }
    }
}
