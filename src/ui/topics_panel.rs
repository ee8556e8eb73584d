//! The Topics tab: the topic hierarchy seen so far with message counts, rates, last values and
//! retained markers; picking a node narrows the Messages tab's log, and retained messages can be cleared.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use eframe::egui::{self, RichText};

use crate::engine::monitor::{LogAccess, MonitorCommand};
use crate::engine::watch::{NodeId, TopicNode, TopicTree};
use crate::engine::{Command, Snapshot};

use super::format;
use super::messages_panel::{GOOD, WARN};

/// Children drawn under one expanded node; the rest are summarised.
const CHILDREN_SHOWN: usize = 300;
/// Levels shown expanded until the user folds them (enough for `building/rooms/room-1` at a glance).
const OPEN_LEVELS: usize = 2;
/// Nodes with more children than this start folded, however high up they are.
const OPEN_IF_AT_MOST: usize = 100;
/// Rows drawn per frame at most: the tree is laid out whole (no virtual scrolling), so a huge
/// unfolded tree must not cost the window its frame rate.
const ROW_BUDGET: usize = 1_500;
/// Characters of the last value shown in a row.
const VALUE_CHARS: usize = 60;
/// How often the "retained messages below" markers are worked out again (a walk over the whole tree).
const RETAINED_SCAN_EVERY: Duration = Duration::from_secs(1);

/// What the Topics tab asks of the app this frame.
#[derive(Default)]
pub struct TopicsOutput {
    pub commands: Vec<Command>,
    /// The topic filter the Messages tab should show (the user picked a node).
    pub show_in_log: Option<String>,
}

/// The Topics tab's state.
#[derive(Default)]
pub struct TopicsPanel {
    selected: Option<String>,
    /// Nodes with a retained message at or below them, as of the last scan.
    retained_below: HashSet<NodeId>,
    scanned_version: Option<u64>,
    scanned_at: Option<Instant>,
    /// Rows this frame may still draw.
    rows_left: usize,
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
        log.read(|store| self.tree_ui(ui, &store.tree, &mut out));
        out
    }

    fn tree_ui(&mut self, ui: &mut egui::Ui, tree: &TopicTree, out: &mut TopicsOutput) {
        self.rows_left = ROW_BUDGET;
        let root = tree.root();
        let total = tree.node(root).map_or(0, TopicNode::subtree_messages);
        ui.horizontal_wrapped(|ui| {
            ui.heading("Topics");
            ui.label(format!(
                "{} levels · {} messages",
                format::count(tree.node_count().saturating_sub(1) as u64),
                format::count(total)
            ));
            if self.retained_below.contains(&root)
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
        ui.weak("Click a topic to show its messages in the Messages tab.");
        ui.separator();
        if tree.children(root).is_empty() && tree.overflow_bucket().is_none() {
            ui.label(
                "No topics yet. Every topic the app's subscriber sees shows up here as a tree: \
                 publish something, or start a device group.",
            );
            return;
        }
        egui::ScrollArea::both()
            .id_salt("topic_tree")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.children_ui(ui, tree, root, 0, out);
                if let Some(bucket) = tree.overflow_bucket()
                    && let Some(node) = tree.node(bucket)
                {
                    ui.separator();
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(node.name()).italics());
                        ui.weak(format!(
                            "{} messages · {}/s",
                            format::count(node.own_messages()),
                            node.own_rate()
                        ));
                    });
                    ui.label(
                        RichText::new(format!(
                            "The tree holds at most {} topics; messages on newer topics are counted here.",
                            format::count(tree.max_nodes() as u64)
                        ))
                        .color(WARN),
                    );
                }
            });
    }

    fn children_ui(
        &mut self,
        ui: &mut egui::Ui,
        tree: &TopicTree,
        parent: NodeId,
        depth: usize,
        out: &mut TopicsOutput,
    ) {
        let children = tree.children(parent);
        let mut drawn = 0;
        for &child in children.iter().take(CHILDREN_SHOWN) {
            if self.rows_left == 0 {
                break;
            }
            self.node_ui(ui, tree, child, depth, out);
            drawn += 1;
        }
        if children.len() > drawn {
            ui.weak(format!(
                "… and {} more at this level, not drawn to keep the window quick (fold other branches)",
                format::count((children.len() - drawn) as u64)
            ));
        }
    }

    fn node_ui(
        &mut self,
        ui: &mut egui::Ui,
        tree: &TopicTree,
        id: NodeId,
        depth: usize,
        out: &mut TopicsOutput,
    ) {
        let Some(node) = tree.node(id) else { return };
        self.rows_left = self.rows_left.saturating_sub(1);
        if node.children().is_empty() {
            ui.horizontal(|ui| {
                // Line leaves up with the names of expandable siblings.
                ui.add_space(ui.spacing().indent);
                self.row_ui(ui, node, id, out);
            });
            return;
        }
        let state = egui::collapsing_header::CollapsingState::load_with_default_open(
            ui.ctx(),
            ui.make_persistent_id(("topic_tree_node", node.topic())),
            depth < OPEN_LEVELS && node.children().len() <= OPEN_IF_AT_MOST,
        );
        state
            .show_header(ui, |ui| self.row_ui(ui, node, id, out))
            .body(|ui| self.children_ui(ui, tree, id, depth + 1, out));
    }

    fn row_ui(&mut self, ui: &mut egui::Ui, node: &TopicNode, id: NodeId, out: &mut TopicsOutput) {
        let name = if node.name().is_empty() {
            "(empty)"
        } else {
            node.name()
        };
        let has_children = !node.children().is_empty();
        let selected = self.selected.as_deref() == Some(node.topic());
        let response = ui
            .selectable_label(selected, RichText::new(name).monospace().strong())
            .on_hover_text(format!("Show the messages on {}", shown_filter(node)));
        if response.clicked() {
            self.selected = Some(node.topic().to_owned());
            out.show_in_log = Some(shown_filter(node));
        }
        let mut counts = if has_children {
            format!(
                "{} msgs · {} below",
                format::count(node.own_messages()),
                format::count(node.subtree_messages().saturating_sub(node.own_messages()))
            )
        } else {
            format!("{} msgs", format::count(node.own_messages()))
        };
        let rate = if has_children {
            node.subtree_rate()
        } else {
            node.own_rate()
        };
        if rate > 0 {
            counts.push_str(&format!(" · {rate}/s"));
        }
        ui.weak(counts);
        if node.has_retained() {
            ui.label(RichText::new("retained").color(GOOD))
                .on_hover_text("The broker keeps this topic's last message for new subscribers");
        }
        if self.retained_below.contains(&id) {
            let label = if has_children {
                "Clear retained"
            } else {
                "Clear"
            };
            if ui
                .small_button(label)
                .on_hover_text(format!(
                    "Delete the retained messages at and below {}",
                    node.topic()
                ))
                .clicked()
            {
                out.commands
                    .push(Command::Monitor(MonitorCommand::ClearRetained {
                        topic: node.topic().to_owned(),
                    }));
            }
        }
        if let Some(value) = node.last_preview() {
            let mut shown: String =
                super::messages_panel::displayable(value.chars().take(VALUE_CHARS).collect());
            if value.chars().nth(VALUE_CHARS).is_some() {
                shown.push('…');
            }
            ui.add(egui::Label::new(RichText::new(shown).monospace()).truncate());
        }
    }
}

/// The log filter for a node: the exact topic for a leaf, the whole subtree otherwise.
fn shown_filter(node: &TopicNode) -> String {
    if node.children().is_empty() {
        node.topic().to_owned()
    } else {
        format!("{}/#", node.topic())
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
        let mut tree = TopicTree::default();
        let now = SystemTime::now();
        tree.record("home/kitchen", "1", 1, false, now);
        let home = tree.find("home").and_then(|id| tree.node(id)).unwrap();
        assert_eq!(shown_filter(home), "home/#");
        let kitchen = tree
            .find("home/kitchen")
            .and_then(|id| tree.node(id))
            .unwrap();
        assert_eq!(shown_filter(kitchen), "home/kitchen");
    }
}
