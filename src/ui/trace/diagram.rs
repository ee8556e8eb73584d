//! The sequence diagram: two lifelines (client, broker), time going down, one labelled arrow per packet;
//! long silences drawn as a break with their length. Only the rows in view are laid out and painted.

use std::sync::Arc;

use eframe::egui::{self, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, pos2, vec2};

use super::detail::fields_ui;
use super::style::{elide, gap_text, packet_color, relative_time};
use crate::engine::trace::{CONNECTION_END, PacketRecord, TraceDirection};

/// The height of one packet's row.
pub const ROW_HEIGHT: f32 = 30.0;
/// Room for the time column left of the client's lifeline.
const TIME_COLUMN: f32 = 90.0;

/// Draws the diagram; returns the record clicked, if any.
pub fn diagram_ui(
    ui: &mut egui::Ui,
    client: &str,
    records: &[Arc<PacketRecord>],
    selected: Option<u64>,
) -> Option<u64> {
    let width = ui.available_width().max(320.0);
    let (client_x, broker_x) = lifelines(width);
    // The two lifelines' heads.
    let (head, painter) = ui.allocate_painter(vec2(width, 26.0), Sense::hover());
    let left = head.rect.left();
    for (x, name) in [(client_x, client), (broker_x, "broker")] {
        let center = pos2(left + x, head.rect.center().y);
        let text = elide(name, 40);
        let galley = painter.layout_no_wrap(
            text,
            FontId::proportional(13.0),
            ui.visuals().strong_text_color(),
        );
        let rect = Rect::from_center_size(center, galley.size() + vec2(16.0, 8.0));
        painter.rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
        painter.rect_stroke(
            rect,
            4.0,
            ui.visuals().widgets.noninteractive.bg_stroke,
            egui::StrokeKind::Inside,
        );
        painter.galley(rect.min + vec2(8.0, 4.0), galley, Color32::PLACEHOLDER);
    }
    let first_time = records.first().map(|r| r.time);
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("trace-diagram")
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show_rows(ui, ROW_HEIGHT, records.len(), |ui, rows| {
            for index in rows {
                let Some(record) = records.get(index) else {
                    continue;
                };
                let previous = index.checked_sub(1).and_then(|i| records.get(i));
                let (rect, response) =
                    ui.allocate_exact_size(vec2(width, ROW_HEIGHT), Sense::click());
                let gap = previous.and_then(|p| gap_text(p, record));
                let is_selected = selected == Some(record.seq);
                paint_row(ui, rect, record, first_time, gap.as_deref(), is_selected);
                // Screen readers (and UI tests) read each arrow by its label.
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, arrow_text(record))
                });
                let response = response.on_hover_ui(|ui| fields_ui(ui, record));
                if response.clicked() {
                    clicked = Some(record.seq);
                }
            }
        });
    clicked
}

/// What an arrow says, with its direction, e.g. `client → broker: CONNECT dev-1`.
pub fn arrow_text(record: &PacketRecord) -> String {
    match record.direction {
        _ if record.packet == CONNECTION_END => record.label.clone(),
        TraceDirection::In => format!("client → broker: {}", record.label),
        TraceDirection::Out => format!("broker → client: {}", record.label),
    }
}

/// Where the two lifelines stand, from the left edge.
fn lifelines(width: f32) -> (f32, f32) {
    let client_x = TIME_COLUMN + 70.0;
    let broker_x = (width - 90.0).max(client_x + 200.0);
    (client_x, broker_x)
}

fn paint_row(
    ui: &egui::Ui,
    rect: Rect,
    record: &PacketRecord,
    first: Option<std::time::SystemTime>,
    gap: Option<&str>,
    selected: bool,
) {
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    if selected {
        painter.rect_filled(rect, 0.0, visuals.selection.bg_fill.gamma_multiply(0.35));
    }
    let (client_x, broker_x) = lifelines(rect.width());
    let (cx, bx) = (rect.left() + client_x, rect.left() + broker_x);
    let line = Stroke::new(1.0, visuals.weak_text_color());
    if let Some(gap) = gap {
        // A break in both lifelines: time is not to scale across it.
        for x in [cx, bx] {
            zigzag(&painter, x, rect.top(), rect.top() + 8.0, line);
            painter.line_segment([pos2(x, rect.top() + 8.0), pos2(x, rect.bottom())], line);
        }
        painter.text(
            pos2(rect.left() + 4.0, rect.top() + 1.0),
            Align2::LEFT_TOP,
            format!("… {gap}"),
            FontId::proportional(10.0),
            visuals.weak_text_color(),
        );
    } else {
        for x in [cx, bx] {
            painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], line);
        }
    }
    if let Some(first) = first {
        painter.text(
            pos2(rect.left() + 4.0, rect.bottom() - 4.0),
            Align2::LEFT_BOTTOM,
            relative_time(record, first),
            FontId::monospace(11.0),
            visuals.text_color(),
        );
    }
    let color = packet_color(record.packet);
    let y = rect.bottom() - 8.0;
    if record.packet == CONNECTION_END {
        // The connection's end: a cross on the client's lifeline.
        let d = 5.0;
        let stroke = Stroke::new(2.0, color);
        painter.line_segment([pos2(cx - d, y - d), pos2(cx + d, y + d)], stroke);
        painter.line_segment([pos2(cx - d, y + d), pos2(cx + d, y - d)], stroke);
        painter.text(
            pos2(cx + 12.0, y),
            Align2::LEFT_CENTER,
            &record.label,
            FontId::proportional(12.0),
            color,
        );
        return;
    }
    let (from, to) = match record.direction {
        TraceDirection::In => (cx, bx),
        TraceDirection::Out => (bx, cx),
    };
    arrow(
        &painter,
        pos2(from, y),
        pos2(to, y),
        Stroke::new(2.0, color),
    );
    let label = elide(&record.label, 90);
    painter.text(
        pos2((cx + bx) / 2.0, y - 3.0),
        Align2::CENTER_BOTTOM,
        label,
        FontId::proportional(12.0),
        color,
    );
}

pub(super) fn arrow(painter: &egui::Painter, from: Pos2, to: Pos2, stroke: Stroke) {
    painter.line_segment([from, to], stroke);
    let dir = if to.x >= from.x { 1.0 } else { -1.0 };
    let tip = to;
    let back = pos2(tip.x - dir * 9.0, tip.y);
    painter.add(egui::Shape::convex_polygon(
        vec![tip, pos2(back.x, back.y - 4.5), pos2(back.x, back.y + 4.5)],
        stroke.color,
        Stroke::NONE,
    ));
}

fn zigzag(painter: &egui::Painter, x: f32, top: f32, bottom: f32, stroke: Stroke) {
    let mid = (top + bottom) / 2.0;
    painter.line_segment([pos2(x, top), pos2(x - 4.0, mid)], stroke);
    painter.line_segment([pos2(x - 4.0, mid), pos2(x + 4.0, mid)], stroke);
    painter.line_segment([pos2(x + 4.0, mid), pos2(x, bottom)], stroke);
}
