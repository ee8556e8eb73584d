//! The flow map: who talks to whom. Publishers left, topics (collapsed by level) in the middle,
//! subscribers right; edge width by rate, moving dots for messages (a few per edge, however busy),
//! retained messages and wills in their own colours; clicking a box focuses the map on it.

use std::time::{Duration, SystemTime};

use eframe::egui::{self, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, pos2, vec2};

use crate::engine::trace::flow::{Column, EdgeKind, FlowMap, summarize};
use crate::engine::trace::{TraceAccess, TraceCommand};
use crate::engine::{Command, Snapshot};

/// The span of traffic the map shows.
const WINDOW: Duration = Duration::from_secs(10);
/// How often the map is summarised again from the trace.
const RESUMMARISE: Duration = Duration::from_secs(1);
/// Boxes drawn per column at most (the rest are counted).
const MAX_ROWS: usize = 40;

/// What the map asks of the app.
#[derive(Default)]
pub struct FlowOutput {
    pub commands: Vec<Command>,
    /// A client clicked: show its trace.
    pub open_trace: Option<String>,
}

/// The flow map's state.
pub struct FlowMapPanel {
    map: FlowMap,
    summarised_at: Option<std::time::Instant>,
    /// Topic levels kept before collapsing (`building/rooms/#` at 2).
    depth: usize,
    focus: Option<(Column, String)>,
    /// The map drawn from this moment (fixed in tests, so pictures repeat).
    now: Option<SystemTime>,
}

impl Default for FlowMapPanel {
    fn default() -> Self {
        Self {
            map: FlowMap::default(),
            summarised_at: None,
            depth: 2,
            focus: None,
            now: None,
        }
    }
}

impl FlowMapPanel {
    /// Draws the map as of `now` rather than the clock (tests).
    pub fn at(now: SystemTime) -> Self {
        Self {
            now: Some(now),
            ..Self::default()
        }
    }

    /// The box the map is focused on.
    pub fn focus(&self) -> Option<&str> {
        self.focus.as_ref().map(|(_, name)| name.as_str())
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        snapshot: &Snapshot,
        trace: &TraceAccess,
    ) -> FlowOutput {
        let mut out = FlowOutput::default();
        let stale = self
            .summarised_at
            .is_none_or(|at| at.elapsed() >= RESUMMARISE);
        if stale {
            let now = self.now.unwrap_or_else(SystemTime::now);
            let records = trace.all_records();
            self.map = summarize(&records, now, WINDOW, self.depth);
            self.summarised_at = Some(std::time::Instant::now());
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Topic levels:");
            let before = self.depth;
            ui.add(egui::DragValue::new(&mut self.depth).range(1..=8))
                .labelled_by(label.id);
            if before != self.depth {
                self.summarised_at = None;
            }
            if let Some((_, name)) = &self.focus {
                ui.label(format!("Focused on {name}"));
                if ui.button("Show everything").clicked() {
                    self.focus = None;
                }
            }
            if !snapshot.trace.watching_all {
                ui.separator();
                ui.label("The map is drawn from the protocol trace.");
                if ui.button("Record every client").clicked() {
                    out.commands
                        .push(Command::Trace(TraceCommand::WatchAll(true)));
                }
            }
            ui.label(
                egui::RichText::new(format!(
                    "last {} s; blue: messages, yellow: retained, red: wills",
                    WINDOW.as_secs()
                ))
                .weak(),
            );
        });
        ui.separator();
        if self.map.nodes.is_empty() {
            ui.label("No messages in the last 10 s of the trace.");
            return out;
        }
        self.draw(ui, &mut out);
        // Dots move: repaint at a gentle rate while the map is shown.
        if self.now.is_none() {
            ui.ctx().request_repaint_after(Duration::from_millis(50));
        }
        out
    }

    fn visible(&self, index: usize) -> bool {
        let Some((column, name)) = &self.focus else {
            return true;
        };
        let Some(focused) = self
            .map
            .nodes
            .iter()
            .position(|n| n.column == *column && &n.name == name)
        else {
            return true;
        };
        if index == focused {
            return true;
        }
        // Neighbours, and for a client the topics' other ends too.
        let touches = |a: usize, b: usize| {
            self.map
                .edges
                .iter()
                .any(|e| (e.from == a && e.to == b) || (e.from == b && e.to == a))
        };
        touches(index, focused)
            || self.map.nodes.iter().enumerate().any(|(middle, n)| {
                n.column == Column::Topics && touches(focused, middle) && touches(middle, index)
            })
    }

    fn draw(&mut self, ui: &mut egui::Ui, out: &mut FlowOutput) {
        let size = ui.available_size().max(vec2(500.0, 300.0));
        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
        let columns = [Column::Publishers, Column::Topics, Column::Subscribers];
        let xs = [0.15, 0.5, 0.85].map(|f| rect.left() + rect.width() * f);
        let mut positions: Vec<Option<Pos2>> = vec![None; self.map.nodes.len()];
        for (column, x) in columns.iter().zip(xs) {
            let shown: Vec<usize> = (0..self.map.nodes.len())
                .filter(|i| self.map.nodes[*i].column == *column && self.visible(*i))
                .collect();
            let rows = shown.len().min(MAX_ROWS);
            let step = (rect.height() - 40.0) / rows.max(1) as f32;
            for (row, index) in shown.iter().take(MAX_ROWS).enumerate() {
                positions[*index] = Some(pos2(x, rect.top() + 30.0 + step * (row as f32 + 0.5)));
            }
            let title = match column {
                Column::Publishers => "publishers",
                Column::Topics => "topics",
                Column::Subscribers => "subscribers",
            };
            let more = shown.len().saturating_sub(MAX_ROWS);
            let title = if more > 0 {
                format!("{title} (+{more} more)")
            } else {
                title.to_owned()
            };
            ui.painter().text(
                pos2(x, rect.top() + 8.0),
                Align2::CENTER_TOP,
                title,
                FontId::proportional(13.0),
                ui.visuals().strong_text_color(),
            );
        }
        let painter = ui.painter_at(rect);
        let time = ui.input(|i| i.time);
        for edge in &self.map.edges {
            let (Some(Some(a)), Some(Some(b))) = (positions.get(edge.from), positions.get(edge.to))
            else {
                continue;
            };
            let (a, b) = (*a + vec2(70.0, 0.0), *b - vec2(70.0, 0.0));
            let color = edge_color(edge.kind);
            let width = 1.0 + (edge.rate + 1.0).log2().min(6.0) as f32;
            painter.line_segment([a, b], Stroke::new(width, color.gamma_multiply(0.6)));
            // Sampled dots: at most three per edge, faster for busier edges.
            let dots = (edge.rate.ceil() as usize).clamp(1, 3);
            for dot in 0..dots {
                let phase = ((time * 0.5 + dot as f64 / dots as f64) % 1.0) as f32;
                painter.circle_filled(a + (b - a) * phase, 3.0, color);
            }
        }
        for (index, position) in positions.iter().enumerate() {
            let Some(center) = position else { continue };
            let node = &self.map.nodes[index];
            let label = if node.members > 1 && node.column != Column::Topics {
                format!("{} ({} clients)", node.name, node.members)
            } else {
                node.name.clone()
            };
            let shown = crate::ui::trace::elide_label(&label, 26);
            let box_rect = Rect::from_center_size(*center, vec2(140.0, 22.0));
            let id = ui.scope_id().with(("flow-node", index));
            let response = ui.interact(box_rect, id, Sense::click());
            let focused = self
                .focus
                .as_ref()
                .is_some_and(|(c, n)| *c == node.column && *n == node.name);
            let fill = if focused {
                ui.visuals().selection.bg_fill
            } else {
                ui.visuals().faint_bg_color
            };
            painter.rect_filled(box_rect, 4.0, fill);
            painter.rect_stroke(
                box_rect,
                4.0,
                ui.visuals().widgets.noninteractive.bg_stroke,
                egui::StrokeKind::Inside,
            );
            painter.text(
                *center,
                Align2::CENTER_CENTER,
                &shown,
                FontId::proportional(12.0),
                ui.visuals().text_color(),
            );
            let kind = match node.column {
                Column::Topics => "topic",
                _ => "client",
            };
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Button, true, format!("{kind}: {label}"))
            });
            let response = response.on_hover_text(format!(
                "{label}: {} messages in the last {} s",
                node.messages,
                WINDOW.as_secs()
            ));
            if response.clicked() {
                self.focus = if focused {
                    None
                } else {
                    Some((node.column, node.name.clone()))
                };
                if node.column != Column::Topics && node.members == 1 {
                    out.open_trace = Some(node.name.clone());
                }
            }
        }
    }
}

fn edge_color(kind: EdgeKind) -> Color32 {
    match kind {
        EdgeKind::Message => Color32::from_rgb(60, 130, 230),
        EdgeKind::Retained => Color32::from_rgb(220, 180, 40),
        EdgeKind::Will => Color32::from_rgb(220, 60, 60),
    }
}
