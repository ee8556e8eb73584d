//! The topic hierarchy seen so far: per-node counts, last value, retained markers and rates, within
//! a node limit and a byte budget (the least recently updated topics are pruned, and counted).

use std::collections::HashMap;
use std::time::SystemTime;

mod node;
mod prune;

pub use node::{NodeId, TopicNode};

pub const DEFAULT_MAX_NODES: usize = 100_000;
/// The root plus the overflow bucket must always fit.
const MIN_MAX_NODES: usize = 2;
/// What the tree may hold by default (names, keys, previews and the nodes themselves).
pub const DEFAULT_BYTE_BUDGET: usize = 64 * 1024 * 1024;
/// Below this a single topic of the largest size could not fit.
pub const MIN_BYTE_BUDGET: usize = 1024 * 1024;
/// Levels kept as nodes; the rest of a deeper topic stays whole in its deepest node's name. Keeps
/// a topic of thousands of levels (a memory bomb, not a design) to a few nodes, and the walk up
/// to count a message short.
pub const MAX_LEVELS: usize = 64;
/// Previews are for one table cell; longer ones are cut to keep per-node memory small.
pub const MAX_STORED_PREVIEW_CHARS: usize = 200;
pub const OVERFLOW_BUCKET_NAME: &str = "(other topics)";

/// What a node costs beyond its name: its slot, its place in the parent's list of children.
const NODE_BYTES: usize = std::mem::size_of::<Slot>() + std::mem::size_of::<NodeId>();
/// What a topic's entry in the lookup table costs beyond the topic's bytes.
const KEY_BYTES: usize = std::mem::size_of::<(Box<str>, NodeId)>() + 8;

const ROOT: NodeId = NodeId {
    slot: 0,
    generation: 0,
};

#[derive(Debug, Clone)]
struct Slot {
    generation: u32,
    node: Option<TopicNode>,
}

#[derive(Debug, Clone)]
pub struct TopicTree {
    slots: Vec<Slot>,
    /// Slots of pruned nodes, reused before the list grows.
    free_slots: Vec<u32>,
    live_nodes: usize,
    /// Jumps straight to a topic that had messages: most messages repeat known topics. Each topic
    /// is stored once here, whole; levels above it are found by name, level by level.
    node_by_topic: HashMap<Box<str>, NodeId>,
    max_nodes: usize,
    byte_budget: usize,
    /// What the tree holds, as counted by [`TopicTree::approx_bytes`].
    bytes: usize,
    /// Topics removed to stay within the byte budget, since the tree was made or cleared.
    pruned_topics: u64,
    /// Ticks once per recorded message; orders topics by how recently they were updated.
    clock: u64,
    overflow_bucket: Option<NodeId>,
    /// Nodes counted since the last `close_second`, so closing touches only active nodes.
    counted_this_second: Vec<NodeId>,
    rated_last_second: Vec<NodeId>,
}

impl Default for TopicTree {
    fn default() -> Self {
        TopicTree::new(DEFAULT_MAX_NODES)
    }
}

impl TopicTree {
    /// `max_nodes` counts the root; beyond it new topics go to the overflow bucket.
    pub fn new(max_nodes: usize) -> TopicTree {
        TopicTree::with_limits(max_nodes, DEFAULT_BYTE_BUDGET)
    }

    /// A node limit and a byte budget (at least [`MIN_BYTE_BUDGET`]); over the budget, the least
    /// recently updated topics are pruned.
    pub fn with_limits(max_nodes: usize, byte_budget: usize) -> TopicTree {
        let root = TopicNode::new("", None, 0);
        TopicTree {
            bytes: NODE_BYTES,
            slots: vec![Slot {
                generation: 0,
                node: Some(root),
            }],
            free_slots: Vec::new(),
            live_nodes: 1,
            node_by_topic: HashMap::new(),
            max_nodes: max_nodes.max(MIN_MAX_NODES),
            byte_budget: byte_budget.max(MIN_BYTE_BUDGET),
            pruned_topics: 0,
            clock: 0,
            overflow_bucket: None,
            counted_this_second: Vec::new(),
            rated_last_second: Vec::new(),
        }
    }

    /// Forgets everything (and the pruned count); earlier node ids become meaningless.
    pub fn clear(&mut self) {
        *self = TopicTree::with_limits(self.max_nodes, self.byte_budget);
    }

    /// The invisible top node; its children are the first topic levels.
    pub fn root(&self) -> NodeId {
        ROOT
    }

    /// None for an id whose node was pruned.
    pub fn node(&self, id: NodeId) -> Option<&TopicNode> {
        let slot = self.slots.get(id.index())?;
        if slot.generation != id.generation {
            return None;
        }
        slot.node.as_ref()
    }

    fn node_mut(&mut self, id: NodeId) -> Option<&mut TopicNode> {
        let slot = self.slots.get_mut(id.index())?;
        if slot.generation != id.generation {
            return None;
        }
        slot.node.as_mut()
    }

    /// Sorted by name; empty for an unknown id.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.node(id).map(TopicNode::children).unwrap_or_default()
    }

    /// The node of `topic`, whether messages came on it or only below it.
    pub fn find(&self, topic: &str) -> Option<NodeId> {
        if let Some(&id) = self.node_by_topic.get(topic) {
            return Some(id);
        }
        let mut current = ROOT;
        for level in topic.splitn(MAX_LEVELS, '/') {
            current = self.child_named(current, level)?;
        }
        Some(current)
    }

    /// The full topic of a node, worked out from its levels (empty for the root and unknown ids).
    pub fn topic(&self, id: NodeId) -> String {
        let mut levels = Vec::new();
        let mut current = Some(id);
        while let Some(node) = current.and_then(|at| self.node(at)) {
            if node.parent.is_none() {
                break;
            }
            levels.push(node.name());
            current = node.parent;
        }
        let mut topic = String::with_capacity(levels.iter().map(|l| l.len() + 1).sum());
        for (index, level) in levels.iter().rev().enumerate() {
            if index > 0 {
                topic.push('/');
            }
            topic.push_str(level);
        }
        topic
    }

    /// Includes the root and the overflow bucket.
    pub fn node_count(&self) -> usize {
        self.live_nodes
    }

    pub fn max_nodes(&self) -> usize {
        self.max_nodes
    }

    /// The bytes the tree holds as it counts them: every node, its own name, each topic's key,
    /// each last-value preview. Grows with the length of the topics seen, never their square.
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    pub fn byte_budget(&self) -> usize {
        self.byte_budget
    }

    /// Sets the byte budget (at least [`MIN_BYTE_BUDGET`]) and prunes at once if needed.
    pub fn set_byte_budget(&mut self, byte_budget: usize) -> usize {
        self.byte_budget = byte_budget.max(MIN_BYTE_BUDGET);
        self.enforce_budget(None);
        self.byte_budget
    }

    /// Topics removed to stay within the byte budget since the tree was made or cleared.
    pub fn pruned_topics(&self) -> u64 {
        self.pruned_topics
    }

    /// True once some topic could not get its own node.
    pub fn has_overflowed(&self) -> bool {
        self.overflow_bucket.is_some()
    }

    /// Shown after the root's children; not one of them, so it cannot clash with a real topic.
    pub fn overflow_bucket(&self) -> Option<NodeId> {
        self.overflow_bucket
    }

    /// Counts one message on `topic` and returns the node that counted it.
    /// A retained message marks the topic; a retained one with an empty payload unmarks it.
    /// Costs a lookup of the topic and a walk up of at most [`MAX_LEVELS`] nodes.
    pub fn record(
        &mut self,
        topic: &str,
        payload_preview: &str,
        payload_len: usize,
        retain: bool,
        at: SystemTime,
    ) -> NodeId {
        let id = match self.node_by_topic.get(topic) {
            Some(&id) => id,
            None => self.insert_topic(topic),
        };
        self.clock += 1;
        let clock = self.clock;
        let Some(node) = self.node_mut(id) else {
            return id;
        };
        node.own_messages += 1;
        node.own_count_this_second = node.own_count_this_second.saturating_add(1);
        node.touched = clock;
        let capacity_before = node.last_preview.capacity();
        node.last_preview.clear();
        node.last_preview
            .push_str(cut_to_chars(payload_preview, MAX_STORED_PREVIEW_CHARS));
        let capacity_after = node.last_preview.capacity();
        node.last_payload_len = payload_len;
        node.last_seen = Some(at);
        if retain && !node.is_overflow_bucket {
            node.retained = payload_len > 0;
        }
        self.bytes = (self.bytes + capacity_after).saturating_sub(capacity_before);
        self.count_in_subtrees(id, at);
        self.enforce_budget(Some(id));
        id
    }

    fn count_in_subtrees(&mut self, id: NodeId, at: SystemTime) {
        let mut current = Some(id);
        while let Some(current_id) = current {
            let Some(node) = self.node_mut(current_id) else {
                break;
            };
            node.subtree_messages += 1;
            node.subtree_count_this_second = node.subtree_count_this_second.saturating_add(1);
            node.subtree_last_seen = Some(node.subtree_last_seen.map_or(at, |seen| seen.max(at)));
            let queue = !node.queued_for_close;
            node.queued_for_close = true;
            current = node.parent;
            if queue {
                self.counted_this_second.push(current_id);
            }
        }
    }

    /// Ends the current one-second window: what was counted becomes each node's rate.
    /// Costs time only for nodes that were active in the last two windows.
    pub fn close_second(&mut self) {
        for id in std::mem::take(&mut self.rated_last_second) {
            if let Some(node) = self.node_mut(id) {
                node.own_count_last_second = 0;
                node.subtree_count_last_second = 0;
            }
        }
        for id in std::mem::take(&mut self.counted_this_second) {
            if let Some(node) = self.node_mut(id) {
                node.own_count_last_second = node.own_count_this_second;
                node.subtree_count_last_second = node.subtree_count_this_second;
                node.own_count_this_second = 0;
                node.subtree_count_this_second = 0;
                node.queued_for_close = false;
                self.rated_last_second.push(id);
            }
        }
    }

    /// Clears the marker after the caller has deleted the retained message; false if there was none.
    pub fn remove_retained_marker(&mut self, topic: &str) -> bool {
        let Some(id) = self.find(topic) else {
            return false;
        };
        self.node_mut(id)
            .is_some_and(|node| std::mem::replace(&mut node.retained, false))
    }

    /// Retained topics at `topic` and below, in tree order; an empty `topic` means all.
    /// The caller deletes them by publishing an empty retained payload to each.
    pub fn retained_topics_under(&self, topic: &str) -> Vec<String> {
        let start = if topic.is_empty() {
            Some(ROOT)
        } else {
            self.find(topic)
        };
        start.map_or_else(Vec::new, |id| self.retained_topics_under_node(id))
    }

    pub fn retained_topics_under_node(&self, start: NodeId) -> Vec<String> {
        let mut found = Vec::new();
        // An explicit stack: no recursion, whatever the depth.
        let mut pending = vec![start];
        while let Some(id) = pending.pop() {
            let Some(node) = self.node(id) else {
                continue;
            };
            if node.retained {
                found.push(self.topic(id));
            }
            pending.extend(node.children.iter().rev());
        }
        found
    }

    fn child_named(&self, parent: NodeId, name: &str) -> Option<NodeId> {
        let children = self.children(parent);
        children
            .binary_search_by(|&child| self.node(child).map_or("", TopicNode::name).cmp(name))
            .ok()
            .and_then(|position| children.get(position).copied())
    }

    /// Finds or makes the nodes of `topic`'s levels and keys the topic; returns the topic's node,
    /// or the overflow bucket when the levels missing do not fit under the node limit.
    fn insert_topic(&mut self, topic: &str) -> NodeId {
        let levels: Vec<&str> = topic.splitn(MAX_LEVELS, '/').collect();
        let mut parent = ROOT;
        let mut existing_levels = 0;
        for level in &levels {
            match self.child_named(parent, level) {
                Some(child) => {
                    parent = child;
                    existing_levels += 1;
                }
                None => break,
            }
        }
        let missing_levels = levels.len() - existing_levels;
        // All or nothing: a half-inserted path would show topics that never had a message.
        if self.live_nodes + missing_levels > self.max_nodes {
            return self.overflow_bucket_id();
        }
        for level in levels.iter().skip(existing_levels) {
            parent = self.add_child(parent, level);
        }
        self.node_by_topic.insert(Box::from(topic), parent);
        self.bytes += topic.len() + KEY_BYTES;
        parent
    }

    fn add_child(&mut self, parent: NodeId, name: &str) -> NodeId {
        let depth = self
            .node(parent)
            .map_or(1, |node| node.depth.saturating_add(1));
        let id = self.allocate(TopicNode::new(name, Some(parent), depth));
        let insert_at = self
            .children(parent)
            .binary_search_by(|&child| self.node(child).map_or("", TopicNode::name).cmp(name))
            .unwrap_or_else(|position| position);
        if let Some(parent_node) = self.node_mut(parent) {
            parent_node.children.insert(insert_at, id);
        }
        id
    }

    fn allocate(&mut self, node: TopicNode) -> NodeId {
        self.bytes += NODE_BYTES + node.name.len();
        self.live_nodes += 1;
        if let Some(slot) = self.free_slots.pop()
            && let Some(free) = self.slots.get_mut(slot as usize)
        {
            free.node = Some(node);
            return NodeId {
                slot,
                generation: free.generation,
            };
        }
        let slot = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.push(Slot {
            generation: 0,
            node: Some(node),
        });
        NodeId {
            slot,
            generation: 0,
        }
    }

    fn overflow_bucket_id(&mut self) -> NodeId {
        if let Some(id) = self.overflow_bucket {
            return id;
        }
        let mut bucket = TopicNode::new(OVERFLOW_BUCKET_NAME, Some(ROOT), 1);
        bucket.is_overflow_bucket = true;
        let id = self.allocate(bucket);
        self.overflow_bucket = Some(id);
        id
    }
}

fn cut_to_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((byte_position, _)) => text.get(..byte_position).unwrap_or(text),
        None => text,
    }
}

#[cfg(test)]
mod tests;
