//! One message's journey drawn in three lanes: publisher → broker → the subscribers that got it, with
//! both legs' handshakes and packet ids; below it, the traced subscribers that did not get it and why.

use std::sync::Arc;

use eframe::egui::{self, Align2, FontId, Sense, Stroke, pos2, vec2};

use super::detail::fields_ui;
use super::diagram::arrow;
use super::style::{elide, packet_color};
use crate::engine::trace::{Journey, PacketRecord, TraceDirection};

const ROW_HEIGHT: f32 = 30.0;

/// Which lane a record's arrow joins the broker's to.
enum Lane {
    Publisher,
    Subscriber,
}

/// Draws the journey; returns true when the user closes it.
pub fn journey_ui(ui: &mut egui::Ui, journey: &Journey) -> bool {
    let mut close = false;
    let Some(publish) = journey.publish() else {
        return true;
    };
    ui.horizontal(|ui| {
        ui.heading("Journey of one message");
        if ui.button("Close journey").clicked() {
            close = true;
        }
    });
    let topic = publish
        .field("topic")
        .and_then(|t| t.as_str())
        .unwrap_or("");
    ui.label(format!(
        "{} published on {topic}; {} subscriber(s) got a copy, each with the packet id the broker chose for it.",
        publish.client,
        journey.deliveries.len()
    ));
    let mut rows: Vec<(Lane, Arc<PacketRecord>)> = journey
        .publisher_leg
        .iter()
        .map(|r| (Lane::Publisher, r.clone()))
        .collect();
    for delivery in &journey.deliveries {
        rows.extend(delivery.leg.iter().map(|r| (Lane::Subscriber, r.clone())));
    }
    rows.sort_by_key(|(_, r)| r.seq);

    let width = ui.available_width().max(420.0);
    let lanes = [80.0, width / 2.0, width - 90.0];
    let (head, painter) = ui.allocate_painter(vec2(width, 22.0), Sense::hover());
    for (x, name) in lanes
        .iter()
        .zip([&*elide(&publish.client, 24), "broker", "subscribers"])
    {
        painter.text(
            pos2(head.rect.left() + x, head.rect.center().y),
            Align2::CENTER_CENTER,
            name,
            FontId::proportional(13.0),
            ui.visuals().strong_text_color(),
        );
    }
    let missed_height = 24.0 + 18.0 * journey.missed.len().min(12) as f32;
    egui::ScrollArea::vertical()
        .id_salt("trace-journey")
        .max_height((ui.available_height() - missed_height).max(120.0))
        .auto_shrink([false, true])
        .show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
            for (lane, record) in rows.get(range).unwrap_or_default() {
                let (rect, response) =
                    ui.allocate_exact_size(vec2(width, ROW_HEIGHT), Sense::hover());
                let painter = ui.painter_at(rect);
                let line = Stroke::new(1.0, ui.visuals().weak_text_color());
                let xs = lanes.map(|x| rect.left() + x);
                for x in xs {
                    painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], line);
                }
                let (outer, label) = match lane {
                    Lane::Publisher => (xs[0], record.label.clone()),
                    Lane::Subscriber => (xs[2], format!("{}: {}", record.client, record.label)),
                };
                let (from, to) = match record.direction {
                    TraceDirection::In => (outer, xs[1]),
                    TraceDirection::Out => (xs[1], outer),
                };
                let y = rect.bottom() - 8.0;
                let color = packet_color(record.packet);
                arrow(
                    &painter,
                    pos2(from, y),
                    pos2(to, y),
                    Stroke::new(2.0, color),
                );
                let label = elide(&label, 60);
                painter.text(
                    pos2((from + to) / 2.0, y - 3.0),
                    Align2::CENTER_BOTTOM,
                    &label,
                    FontId::proportional(12.0),
                    color,
                );
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Label, true, format!("journey: {label}"))
                });
                response.on_hover_ui(|ui| fields_ui(ui, record));
            }
        });
    if journey.missed.is_empty() {
        ui.label("Every traced client with a subscription got it.");
    } else {
        ui.label(egui::RichText::new("Did not get it").strong());
        for missed in journey.missed.iter().take(12) {
            ui.label(format!("{}: {}", elide(&missed.client, 40), missed.why));
        }
        if journey.missed.len() > 12 {
            ui.label(format!("… and {} more", journey.missed.len() - 12));
        }
    }
    close
}
