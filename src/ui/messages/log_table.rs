//! The message log as a table: only the visible rows are laid out, their text cached, a click selects one.

use std::collections::hash_map::Entry;

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use crate::engine::monitor::{LogAccess, LogStore};

use super::MessagesPanel;
use super::row_text::RowText;

/// Rows remembered with their text already formatted; beyond this the cache starts over.
const ROW_CACHE_LIMIT: usize = 2_000;

impl MessagesPanel {
    pub(super) fn table_ui(&mut self, ui: &mut egui::Ui, log: &LogAccess) {
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let count = self.view.len();
        // While the pointer is over the rows they hold still, so the row under it can be clicked;
        // following resumes when it leaves.
        let pointer_over_rows = ui.rect_contains_pointer(ui.available_rect_before_wrap());
        let mut table = TableBuilder::new(ui)
            .id_salt("message_log")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .auto_shrink([false, false])
            .animate_scrolling(false)
            .column(Column::initial(100.0).at_least(90.0))
            .column(Column::initial(260.0).at_least(80.0).clip(true))
            .column(Column::initial(44.0).at_least(40.0))
            .column(Column::initial(56.0).at_least(50.0))
            .column(Column::initial(80.0).at_least(60.0))
            .column(Column::remainder().at_least(120.0).clip(true));
        if self.scroll_to_newest && !pointer_over_rows && count > 0 {
            self.scroll_to_newest = false;
            table = table.scroll_to_row(count - 1, Some(egui::Align::BOTTOM));
        }
        let view = &self.view;
        // Bounded every frame, paused or not: scrolling through a full log must not cache all of it.
        if self.rows.len() > ROW_CACHE_LIMIT {
            self.rows.clear();
        }
        let rows = &mut self.rows;
        let view_as = self.view_as;
        let selected = self.selected;
        let mut clicked = None;
        table
            .header(row_height, |mut header| {
                for title in ["Time (UTC)", "Topic", "QoS", "Retain", "Size", "Payload"] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, count, |mut row| {
                    let Some(seq) = view.seq_at(row.index()) else {
                        return;
                    };
                    let text = match rows.entry(seq) {
                        Entry::Occupied(entry) => entry.into_mut(),
                        Entry::Vacant(entry) => {
                            let text = log.read(|store: &LogStore| {
                                store
                                    .log
                                    .get_by_seq(seq)
                                    .map(|message| RowText::of(message, view_as))
                            });
                            let Some(text) = text else {
                                row.col(|ui| {
                                    ui.weak("(no longer in the log)");
                                });
                                return;
                            };
                            entry.insert(text)
                        }
                    };
                    row.set_selected(selected == Some(seq));
                    let plain = |ui: &mut egui::Ui, text: &str| {
                        ui.add(egui::Label::new(text).selectable(false).truncate());
                    };
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(RichText::new(&text.time).monospace())
                                .selectable(false),
                        );
                    });
                    row.col(|ui| plain(ui, &crate::engine::display_text::escaped(&text.topic)));
                    row.col(|ui| plain(ui, &text.qos.to_string()));
                    row.col(|ui| plain(ui, if text.retain { "retained" } else { "" }));
                    row.col(|ui| plain(ui, &text.size));
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(RichText::new(&text.preview).monospace())
                                .selectable(false)
                                .truncate(),
                        );
                    });
                    if row.response().clicked() {
                        clicked = Some(seq);
                    }
                });
            });
        if let Some(seq) = clicked {
            self.select(seq, log);
        }
    }
}
