//! Keeping the tree within its byte budget: the least recently updated topics are removed first
//! (leaves, then the levels left empty above them), and counted for the Topics tab to show.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::{KEY_BYTES, NODE_BYTES, NodeId, ROOT, TopicNode, TopicTree};

/// A prune goes this far below the budget (in percent), so the next one is far off: one scan of
/// the tree pays for a quarter of the budget's worth of new topics.
const PRUNE_TO_PERCENT: usize = 75;

/// Pruned first: topics without a retained marker, then the least recently updated.
type Candidate = Reverse<(bool, u64, NodeId)>;

impl TopicTree {
    /// Prunes when over the budget; `keep` (the topic just recorded) is never pruned.
    pub(super) fn enforce_budget(&mut self, keep: Option<NodeId>) {
        if self.bytes <= self.byte_budget {
            return;
        }
        let target = self.byte_budget / 100 * PRUNE_TO_PERCENT;
        let mut candidates: BinaryHeap<Candidate> = BinaryHeap::new();
        for (index, slot) in self.slots.iter().enumerate() {
            let Some(node) = &slot.node else { continue };
            let id = NodeId {
                slot: u32::try_from(index).unwrap_or(u32::MAX),
                generation: slot.generation,
            };
            if node.children.is_empty() && prunable(id, node, keep) {
                candidates.push(Reverse((node.retained, node.touched, id)));
            }
        }
        // Children left per parent touched by this prune: lists are compacted once at the end,
        // not shifted per removal (one level may hold many thousands of siblings).
        let mut children_left: HashMap<NodeId, usize> = HashMap::new();
        while self.bytes > target {
            let Some(Reverse((_, _, id))) = candidates.pop() else {
                break;
            };
            let mut parent = self.remove_node(id);
            while let Some(up) = parent {
                let Some(up_node) = self.node(up) else { break };
                let left = children_left
                    .entry(up)
                    .or_insert_with(|| up_node.children.len());
                *left = left.saturating_sub(1);
                if *left > 0 || !prunable(up, up_node, keep) {
                    break;
                }
                if up_node.own_messages > 0 {
                    // A topic in its own right: pruned in its turn, by when it was updated.
                    candidates.push(Reverse((up_node.retained, up_node.touched, up)));
                    break;
                }
                // A level that only held what was pruned goes with it.
                parent = self.remove_node(up);
            }
        }
        for parent in children_left.into_keys() {
            let alive: Vec<NodeId> = self
                .children(parent)
                .iter()
                .copied()
                .filter(|&child| self.node(child).is_some())
                .collect();
            if let Some(node) = self.node_mut(parent) {
                node.children = alive;
            }
        }
    }

    /// Takes a childless node out (its parent's list of children is compacted by the caller) and
    /// returns its parent.
    fn remove_node(&mut self, id: NodeId) -> Option<NodeId> {
        let topic = self.topic(id);
        let slot = self.slots.get_mut(id.index())?;
        if slot.generation != id.generation {
            return None;
        }
        let node = slot.node.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free_slots.push(id.slot);
        self.live_nodes = self.live_nodes.saturating_sub(1);
        let mut freed = NODE_BYTES + node.name.len() + node.last_preview.capacity();
        if self.node_by_topic.remove(topic.as_str()).is_some() {
            freed += topic.len() + KEY_BYTES;
        }
        if node.own_messages > 0 {
            self.pruned_topics += 1;
        }
        self.bytes = self.bytes.saturating_sub(freed);
        let mut ancestor = node.parent;
        while let Some(up) = ancestor.and_then(|at| self.node_mut(at)) {
            up.subtree_messages = up.subtree_messages.saturating_sub(node.subtree_messages);
            ancestor = up.parent;
        }
        node.parent
    }
}

fn prunable(id: NodeId, node: &TopicNode, keep: Option<NodeId>) -> bool {
    id != ROOT && !node.is_overflow_bucket && Some(id) != keep
}
