//! The Topics tab: the topic hierarchy seen so far with message counts, rates, last values and
//! retained markers; picking a node narrows the Messages tab's log, and retained messages can be cleared.
//! The unfolded tree is flattened into a list of rows when the tree changes; each frame lays out and
//! reads (under the store's lock) only the rows in view.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};

use crate::engine::display_text::{self, HOVER_CHARS, INLINE_CHARS};
use crate::engine::monitor::{LogAccess, MonitorCommand};
use crate::engine::watch::{NodeId, TopicNode, TopicTree};
use crate::engine::{Command, Snapshot};

use super::format;
use super::widgets::{GOOD, WARN};

/// Children listed under one unfolded node; the rest are summarised.
const CHILDREN_SHOWN: usize = 300;
/// Rows the flattened tree may have; beyond it a note asks to fold branches. Bounds the walk that
/// flattens the tree under the store's lock.
const MAX_ROWS: usize = 20_000;
/// Levels shown unfolded until the user folds them (enough for `building/rooms/room-1` at a glance).
const OPEN_LEVELS: usize = 2;
/// Nodes with more children than this start folded, however high up they are.
const OPEN_IF_AT_MOST: usize = 100;
/// Characters of the last value shown in a row.
const VALUE_CHARS: usize = 60;
/// How often the "retained messages below" markers are worked out again (a walk over the whole tree).
const RETAINED_SCAN_EVERY: Duration = Duration::from_secs(1);
/// The flattened rows are rebuilt at most this often while messages keep coming.
const REBUILD_EVERY: Duration = Duration::from_millis(200);

/// What the Topics tab asks of the app this frame.
#[derive(Default)]
pub struct TopicsOutput {
    pub commands: Vec<Command>,
    /// The topic filter the Messages tab should show (the user picked a node).
    pub show_in_log: Option<String>,
}

/// One line of the flattened, unfolded tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Node {
        id: NodeId,
        depth: usize,
    },
    /// "… and N more at this level".
    More {
        depth: usize,
        hidden: usize,
    },
}

/// The tree's totals, read when the rows are rebuilt.
#[derive(Debug, Clone, Default)]
struct Summary {
    root: Option<NodeId>,
    levels: u64,
    messages: u64,
    empty: bool,
    pruned: u64,
    byte_budget: usize,
    max_nodes: usize,
    /// Messages and rate of the overflow bucket, once there is one.
    overflow: Option<(u64, u32)>,
    /// The flattened tree hit [`MAX_ROWS`].
    rows_cut: bool,
}

/// What one visible row draws, copied out of the store so drawing holds no lock.
struct RowView {
    id: NodeId,
    depth: usize,
    name: String,
    has_children: bool,
    open: bool,
    own_messages: u64,
    below: u64,
    rate: u32,
    retained: bool,
    value: Option<String>,
}

/// The Topics tab's state.
#[derive(Default)]
pub struct TopicsPanel {
    selected: Option<NodeId>,
    /// Nodes with a retained message at or below them, as of the last scan.
    retained_below: HashSet<NodeId>,
    scanned_version: Option<u64>,
    scanned_at: Option<Instant>,
    /// Folded or unfolded by the user, over the default.
    open: HashMap<NodeId, bool>,
    rows: Vec<Row>,
    summary: Summary,
    built_version: Option<u64>,
    built_at: Option<Instant>,
    /// A fold changed: rebuild now.
    rows_stale: bool,
}

impl TopicsPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot, log: &LogAccess) -> TopicsOutput {
        let mut out = TopicsOutput::default();
        let version = snapshot.monitor.log_version;
        let due = self.scanned_version != Some(version)
            && self
                .scanned_at
                .is_none_or(|at| at.elapsed() >= RETAINED_SCAN_EVERY);
        if due {
            self.retained_below = log.read(|store| retained_below(&store.tree));
            self.scanned_version = Some(version);
            self.scanned_at = Some(Instant::now());
        } else if self.scanned_version != Some(version) {
            // Look again when the second is up, even if nothing else changes by then.
            ui.ctx().request_repaint_after(RETAINED_SCAN_EVERY);
        }
        let changed = self.built_version != Some(version);
        let rebuild_due = self.built_at.is_none_or(|at| at.elapsed() >= REBUILD_EVERY);
        if self.rows_stale || (changed && rebuild_due) {
            log.read(|store| self.rebuild(&store.tree));
            self.built_version = Some(version);
            self.built_at = Some(Instant::now());
            self.rows_stale = false;
        } else if changed {
            ui.ctx().request_repaint_after(REBUILD_EVERY);
        }
        self.header_ui(ui, &mut out);
        if !self.summary.empty {
            self.rows_ui(ui, log, &mut out);
        }
        out
    }

    /// Flattens the unfolded tree into rows (bounded by [`MAX_ROWS`]) and reads its totals.
    fn rebuild(&mut self, tree: &TopicTree) {
        self.open.retain(|&id, _| tree.node(id).is_some());
        if self.selected.is_some_and(|id| tree.node(id).is_none()) {
            self.selected = None;
        }
        let root = tree.root();
        self.summary = Summary {
            root: Some(root),
            levels: tree.node_count().saturating_sub(1) as u64,
            messages: tree.node(root).map_or(0, TopicNode::subtree_messages),
            empty: tree.children(root).is_empty() && tree.overflow_bucket().is_none(),
            pruned: tree.pruned_topics(),
            byte_budget: tree.byte_budget(),
            max_nodes: tree.max_nodes(),
            overflow: tree
                .overflow_bucket()
                .and_then(|id| tree.node(id))
                .map(|node| (node.own_messages(), node.own_rate())),
            rows_cut: false,
        };
        self.rows.clear();
        // (parent, next child to list): an explicit stack, whatever the depth.
        let mut pending: Vec<(NodeId, usize)> = vec![(root, 0)];
        while let Some(&(parent, next)) = pending.last() {
            let depth = pending.len() - 1;
            let children = tree.children(parent);
            let Some(&child) = children.get(next).filter(|_| next < CHILDREN_SHOWN) else {
                if children.len() > CHILDREN_SHOWN {
                    self.rows.push(Row::More {
                        depth,
                        hidden: children.len() - CHILDREN_SHOWN,
                    });
                }
                pending.pop();
                continue;
            };
            if let Some(top) = pending.last_mut() {
                top.1 = next + 1;
            }
            if self.rows.len() >= MAX_ROWS {
                self.summary.rows_cut = true;
                break;
            }
            self.rows.push(Row::Node { id: child, depth });
            if let Some(node) = tree.node(child)
                && !node.children().is_empty()
                && self.is_open(child, node)
            {
                pending.push((child, 0));
            }
        }
    }

    fn is_open(&self, id: NodeId, node: &TopicNode) -> bool {
        self.open.get(&id).copied().unwrap_or_else(|| {
            node.depth() <= OPEN_LEVELS && node.children().len() <= OPEN_IF_AT_MOST
        })
    }

    fn header_ui(&mut self, ui: &mut egui::Ui, out: &mut TopicsOutput) {
        let summary = &self.summary;
        ui.horizontal_wrapped(|ui| {
            ui.heading("Topics");
            ui.label(format!(
                "{} levels · {} messages",
                format::count(summary.levels),
                format::count(summary.messages)
            ));
            if summary
                .root
                .is_some_and(|root| self.retained_below.contains(&root))
                && ui
                    .button("Clear all retained")
                    .on_hover_text("Delete every retained message the tree knows of")
                    .clicked()
            {
                out.commands
                    .push(Command::Monitor(MonitorCommand::ClearRetained {
                        topic: String::new(),
                    }));
            }
        });
        if summary.pruned > 0 {
            ui.label(
                RichText::new(format!(
                    "{} topics pruned to stay under {}; the oldest are gone",
                    format::count(summary.pruned),
                    megabytes(summary.byte_budget)
                ))
                .color(WARN),
            )
            .on_hover_text(
                "The tree keeps its memory bounded: the topics updated least recently were removed. \
                 They come back with their next message.",
            );
        }
        if let Some((messages, rate)) = summary.overflow {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(crate::engine::watch::topic_tree::OVERFLOW_BUCKET_NAME).italics());
                ui.weak(format!("{} messages · {rate}/s", format::count(messages)));
                ui.label(
                    RichText::new(format!(
                        "The tree holds at most {} topics; messages on newer topics are counted here.",
                        format::count(summary.max_nodes as u64)
                    ))
                    .color(WARN),
                );
            });
        }
        if summary.rows_cut {
            ui.label(
                RichText::new(format!(
                    "Only the first {} rows are listed: fold some branches to see the rest.",
                    format::count(MAX_ROWS as u64)
                ))
                .color(WARN),
            );
        }
        ui.weak("Click a topic to show its messages in the Messages tab.");
        ui.separator();
        if summary.empty {
            ui.label(
                "No topics yet. Every topic the app's subscriber sees shows up here as a tree: \
                 publish something, or start a device group.",
            );
        }
    }

    fn rows_ui(&mut self, ui: &mut egui::Ui, log: &LogAccess, out: &mut TopicsOutput) {
        let row_height = ui
            .spacing()
            .interact_size
            .y
            .max(ui.text_style_height(&egui::TextStyle::Body));
        let rows = std::mem::take(&mut self.rows);
        egui::ScrollArea::both()
            .id_salt("topic_tree")
            .auto_shrink([false, false])
            .show_rows(ui, row_height, rows.len(), |ui, range| {
                let shown = rows.get(range).unwrap_or_default();
                let views = log.read(|store| self.views(&store.tree, shown));
                for (row, view) in shown.iter().zip(views) {
                    ui.horizontal(|ui| {
                        ui.set_min_height(row_height);
                        match (row, view) {
                            (_, Some(view)) => self.row_ui(ui, view, log, out),
                            (Row::More { depth, hidden }, None) => {
                                ui.add_space(indent(ui, *depth + 1));
                                ui.weak(format!(
                                    "… and {} more at this level, not listed to keep the window quick",
                                    format::count(*hidden as u64)
                                ));
                            }
                            (Row::Node { .. }, None) => {
                                ui.weak("(pruned)");
                            }
                        }
                    });
                }
            });
        self.rows = rows;
    }

    /// Reads what the visible rows draw. Full topics (up to 64 kB each) are not: only for a row
    /// hovered or clicked.
    fn views(&self, tree: &TopicTree, rows: &[Row]) -> Vec<Option<RowView>> {
        rows.iter()
            .map(|row| {
                let Row::Node { id, depth } = *row else {
                    return None;
                };
                let node = tree.node(id)?;
                let has_children = !node.children().is_empty();
                let name = if node.name().is_empty() {
                    "(empty)".to_owned()
                } else {
                    display_text::clipped(node.name(), INLINE_CHARS).into_owned()
                };
                let value = node.last_preview().map(|value| {
                    let mut shown: String =
                        super::messages::displayable(value.chars().take(VALUE_CHARS).collect());
                    if value.chars().nth(VALUE_CHARS).is_some() {
                        shown.push('…');
                    }
                    shown
                });
                Some(RowView {
                    id,
                    depth,
                    name,
                    has_children,
                    open: has_children && self.is_open(id, node),
                    own_messages: node.own_messages(),
                    below: node.subtree_messages().saturating_sub(node.own_messages()),
                    rate: if has_children {
                        node.subtree_rate()
                    } else {
                        node.own_rate()
                    },
                    retained: node.has_retained(),
                    value,
                })
            })
            .collect()
    }

    fn row_ui(
        &mut self,
        ui: &mut egui::Ui,
        view: RowView,
        log: &LogAccess,
        out: &mut TopicsOutput,
    ) {
        let topic_of = |id: NodeId| log.read(|store| store.tree.topic(id));
        ui.add_space(indent(ui, view.depth));
        let icon_size = egui::vec2(ui.spacing().icon_width, ui.spacing().icon_width);
        if view.has_children {
            let (_, response) = ui.allocate_exact_size(icon_size, egui::Sense::click());
            let label = if view.open { "Fold" } else { "Unfold" };
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, label));
            egui::collapsing_header::paint_default_icon(
                ui,
                if view.open { 1.0 } else { 0.0 },
                &response,
            );
            if response.clicked() {
                self.open.insert(view.id, !view.open);
                self.rows_stale = true;
                ui.ctx().request_repaint();
            }
        } else {
            // Line leaves up with the names of foldable siblings.
            ui.add_space(icon_size.x + ui.spacing().item_spacing.x);
        }
        let response = ui
            .selectable_label(
                self.selected == Some(view.id),
                RichText::new(&view.name).monospace().strong(),
            )
            .on_hover_ui(|ui| {
                let topic = topic_of(view.id);
                let shown = display_text::clipped(&topic, HOVER_CHARS);
                ui.label(format!(
                    "Show the messages on {}",
                    shown_filter(&shown, view.has_children)
                ));
            });
        if response.clicked() {
            let topic = topic_of(view.id);
            self.selected = Some(view.id);
            out.show_in_log = Some(shown_filter(&topic, view.has_children));
        }
        let mut counts = if view.has_children {
            format!(
                "{} msgs · {} below",
                format::count(view.own_messages),
                format::count(view.below)
            )
        } else {
            format!("{} msgs", format::count(view.own_messages))
        };
        if view.rate > 0 {
            counts.push_str(&format!(" · {}/s", view.rate));
        }
        ui.weak(counts);
        if view.retained {
            ui.label(RichText::new("retained").color(GOOD))
                .on_hover_text("The broker keeps this topic's last message for new subscribers");
        }
        if self.retained_below.contains(&view.id) {
            let label = if view.has_children {
                "Clear retained"
            } else {
                "Clear"
            };
            if ui
                .small_button(label)
                .on_hover_ui(|ui| {
                    let topic = topic_of(view.id);
                    ui.label(format!(
                        "Delete the retained messages at and below {}",
                        display_text::clipped(&topic, HOVER_CHARS)
                    ));
                })
                .clicked()
            {
                out.commands
                    .push(Command::Monitor(MonitorCommand::ClearRetained {
                        topic: topic_of(view.id),
                    }));
            }
        }
        if let Some(value) = view.value {
            ui.add(egui::Label::new(RichText::new(value).monospace()).truncate());
        }
    }
}

fn indent(ui: &egui::Ui, depth: usize) -> f32 {
    ui.spacing().indent * depth as f32
}

/// "64 MB" for a budget in bytes (binary megabytes, as the budget is set).
fn megabytes(bytes: usize) -> String {
    format!("{} MB", format::count((bytes / (1024 * 1024)) as u64))
}

/// The log filter for a node: the exact topic for a leaf, the whole subtree otherwise.
fn shown_filter(topic: &str, has_children: bool) -> String {
    if has_children {
        format!("{topic}/#")
    } else {
        topic.to_owned()
    }
}

/// Every node with a retained message at or below it (one walk over the tree).
fn retained_below(tree: &TopicTree) -> HashSet<NodeId> {
    let mut marked = HashSet::new();
    let mut pending = vec![tree.root()];
    while let Some(id) = pending.pop() {
        let Some(node) = tree.node(id) else { continue };
        if node.has_retained() {
            let mut current = Some(id);
            while let Some(up) = current {
                if !marked.insert(up) {
                    break;
                }
                current = tree.node(up).and_then(TopicNode::parent);
            }
        }
        pending.extend(node.children().iter().copied());
    }
    marked
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn retained_markers_reach_every_ancestor_and_nothing_else() {
        let mut tree = TopicTree::default();
        let now = SystemTime::now();
        let kept = tree.record("a/b/c", "1", 1, true, now);
        tree.record("a/x", "1", 1, false, now);
        let marked = retained_below(&tree);
        assert!(marked.contains(&kept));
        assert!(marked.contains(&tree.root()));
        assert!(tree.find("a").is_some_and(|a| marked.contains(&a)));
        assert!(tree.find("a/x").is_some_and(|x| !marked.contains(&x)));
    }

    #[test]
    fn a_node_with_children_shows_its_subtree() {
        assert_eq!(shown_filter("home", true), "home/#");
        assert_eq!(shown_filter("home/kitchen", false), "home/kitchen");
    }

    #[test]
    fn only_unfolded_branches_are_flattened_and_the_rows_are_bounded() {
        let mut tree = TopicTree::default();
        let now = SystemTime::now();
        tree.record("a/b/c/d", "1", 1, false, now);
        for i in 0..(CHILDREN_SHOWN + 5) {
            tree.record(&format!("wide/{i:04}"), "1", 1, false, now);
        }
        let mut panel = TopicsPanel::default();
        panel.rebuild(&tree);
        let depth_of = |panel: &TopicsPanel, topic: &str| {
            let id = tree.find(topic).unwrap();
            panel.rows.iter().find_map(|row| match row {
                Row::Node { id: at, depth } if *at == id => Some(*depth),
                _ => None,
            })
        };
        // Two levels open by default; "a/b/c" is folded, so "a/b/c/d" is not listed.
        assert_eq!(depth_of(&panel, "a"), Some(0));
        assert_eq!(depth_of(&panel, "a/b/c"), Some(2));
        assert_eq!(depth_of(&panel, "a/b/c/d"), None);
        // A level with many children starts folded.
        assert_eq!(depth_of(&panel, "wide/0000"), None);
        assert_eq!(panel.rows.len(), 4);

        panel.open.insert(tree.find("wide").unwrap(), true);
        panel.rebuild(&tree);
        assert_eq!(depth_of(&panel, "wide/0000"), Some(1));
        assert_eq!(panel.rows.len(), 4 + CHILDREN_SHOWN + 1);
        assert_eq!(
            panel.rows.last(),
            Some(&Row::More {
                depth: 1,
                hidden: 5
            })
        );
        assert!(!panel.summary.rows_cut);
    }

    #[test]
    fn a_pruned_tree_says_so() {
        let mut tree = TopicTree::with_limits(1_000, 0);
        let now = SystemTime::now();
        for i in 0..300 {
            tree.record(&format!("t/{i}/{}", "x".repeat(10_000)), "1", 1, false, now);
        }
        let mut panel = TopicsPanel::default();
        panel.rebuild(&tree);
        assert!(panel.summary.pruned > 0);
        assert_eq!(megabytes(panel.summary.byte_budget), "1 MB");
    }

    #[test]
    fn the_tab_shows_the_pruned_note_escaped_names_and_only_visible_rows() {
        use egui_kittest::Harness;
        use egui_kittest::kittest::Queryable;

        use crate::engine::monitor::LogStore;

        let mut tree = TopicTree::with_limits(100_000, 0);
        let now = SystemTime::now();
        for i in 0..300 {
            tree.record(
                &format!("old/{i}/{}", "x".repeat(10_000)),
                "1",
                1,
                false,
                now,
            );
        }
        tree.record("lab/evil\nname\u{202e}", "1", 1, false, now);
        for i in 0..2_000 {
            tree.record(&format!("lab/room{i:04}"), "1", 1, false, now);
        }
        assert!(tree.pruned_topics() > 0);
        let log = LogAccess::from_store(LogStore {
            tree,
            ..LogStore::default()
        });
        let lab = log.read(|store| store.tree.find("lab")).unwrap();
        let snapshot = Snapshot::default();
        let mut panel = TopicsPanel::default();
        // "lab" has too many children to start unfolded: unfold it as a user would.
        panel.open.insert(lab, true);
        let mut harness = Harness::builder()
            .with_size([900.0, 600.0])
            .build_ui(move |ui| {
                panel.ui(ui, &snapshot, &log);
            });
        harness.run_steps(2);
        assert!(
            harness
                .query_by_label_contains("topics pruned to stay under 1 MB; the oldest are gone")
                .is_some(),
            "the pruned note"
        );
        assert!(
            harness.query_by_label("evil\\nname\\u{202e}").is_some(),
            "a topic level with a newline and a bidi override is shown escaped"
        );
        assert!(harness.query_by_label("room0000").is_some());
        let drawn = harness.query_all_by_label_contains("room").count();
        assert!(
            (1..100).contains(&drawn),
            "only the rows in view are laid out, not all 300 listed: {drawn}"
        );
    }
}
