//! The topic hierarchy seen so far: per-node counts, last value, retained markers and rates.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

pub const DEFAULT_MAX_NODES: usize = 100_000;
/// The root plus the overflow bucket must always fit.
const MIN_MAX_NODES: usize = 2;
/// Previews are for one table cell; longer ones are cut to keep per-node memory small.
pub const MAX_STORED_PREVIEW_CHARS: usize = 200;
pub const OVERFLOW_BUCKET_NAME: &str = "(other topics)";

/// Stable for the life of the tree (nodes are never removed, except by [`TopicTree::clear`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

impl NodeId {
    pub fn index(self) -> usize {
        self.0
    }
}

const ROOT: NodeId = NodeId(0);

#[derive(Debug, Clone)]
pub struct TopicNode {
    topic: Arc<str>,
    name_start: usize,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    own_messages: u64,
    subtree_messages: u64,
    last_preview: String,
    last_payload_len: usize,
    last_seen: Option<SystemTime>,
    subtree_last_seen: Option<SystemTime>,
    retained: bool,
    own_count_this_second: u32,
    subtree_count_this_second: u32,
    own_count_last_second: u32,
    subtree_count_last_second: u32,
    queued_for_close: bool,
    is_overflow_bucket: bool,
}

impl TopicNode {
    fn new(topic: Arc<str>, name_start: usize, parent: Option<NodeId>) -> TopicNode {
        TopicNode {
            topic,
            name_start,
            parent,
            children: Vec::new(),
            own_messages: 0,
            subtree_messages: 0,
            last_preview: String::new(),
            last_payload_len: 0,
            last_seen: None,
            subtree_last_seen: None,
            retained: false,
            own_count_this_second: 0,
            subtree_count_this_second: 0,
            own_count_last_second: 0,
            subtree_count_last_second: 0,
            queued_for_close: false,
            is_overflow_bucket: false,
        }
    }

    /// This level's name; empty for the root and for empty levels as in `/a` or `a//b`.
    pub fn name(&self) -> &str {
        self.topic.get(self.name_start..).unwrap_or_default()
    }

    /// The full topic of this node; empty for the root.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn parent(&self) -> Option<NodeId> {
        self.parent
    }

    /// Sorted by name.
    pub fn children(&self) -> &[NodeId] {
        &self.children
    }

    /// Messages published on exactly this topic.
    pub fn own_messages(&self) -> u64 {
        self.own_messages
    }

    /// Messages on this topic and every topic below it.
    pub fn subtree_messages(&self) -> u64 {
        self.subtree_messages
    }

    /// Preview of the last payload on exactly this topic, if any message came.
    pub fn last_preview(&self) -> Option<&str> {
        self.last_seen.map(|_| self.last_preview.as_str())
    }

    pub fn last_payload_len(&self) -> usize {
        self.last_payload_len
    }

    pub fn last_seen(&self) -> Option<SystemTime> {
        self.last_seen
    }

    pub fn subtree_last_seen(&self) -> Option<SystemTime> {
        self.subtree_last_seen
    }

    /// The broker presumably holds a retained message for this topic.
    pub fn has_retained(&self) -> bool {
        self.retained
    }

    /// Messages on exactly this topic during the last completed second.
    pub fn own_rate(&self) -> u32 {
        self.own_count_last_second
    }

    /// Messages in this subtree during the last completed second.
    pub fn subtree_rate(&self) -> u32 {
        self.subtree_count_last_second
    }

    /// This node collects the topics that did not fit under the node limit.
    pub fn is_overflow_bucket(&self) -> bool {
        self.is_overflow_bucket
    }
}

#[derive(Debug, Clone)]
pub struct TopicTree {
    nodes: Vec<TopicNode>,
    /// Jumps straight to a known topic's node: most messages repeat known topics.
    node_by_topic: HashMap<Arc<str>, NodeId>,
    max_nodes: usize,
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
        TopicTree {
            nodes: vec![TopicNode::new(Arc::from(""), 0, None)],
            node_by_topic: HashMap::new(),
            max_nodes: max_nodes.max(MIN_MAX_NODES),
            overflow_bucket: None,
            counted_this_second: Vec::new(),
            rated_last_second: Vec::new(),
        }
    }

    /// Forgets everything; earlier node ids become meaningless.
    pub fn clear(&mut self) {
        *self = TopicTree::new(self.max_nodes);
    }

    /// The invisible top node; its children are the first topic levels.
    pub fn root(&self) -> NodeId {
        ROOT
    }

    pub fn node(&self, id: NodeId) -> Option<&TopicNode> {
        self.nodes.get(id.0)
    }

    /// Sorted by name; empty for an unknown id.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.node(id).map(TopicNode::children).unwrap_or_default()
    }

    pub fn find(&self, topic: &str) -> Option<NodeId> {
        self.node_by_topic.get(topic).copied()
    }

    /// Includes the root and the overflow bucket.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn max_nodes(&self) -> usize {
        self.max_nodes
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
    pub fn record(
        &mut self,
        topic: &str,
        payload_preview: &str,
        payload_len: usize,
        retain: bool,
        at: SystemTime,
    ) -> NodeId {
        let id = match self.find(topic) {
            Some(id) => id,
            None => self.insert_topic(topic),
        };
        let Some(node) = self.nodes.get_mut(id.0) else {
            return id;
        };
        node.own_messages += 1;
        node.own_count_this_second = node.own_count_this_second.saturating_add(1);
        node.last_preview.clear();
        node.last_preview
            .push_str(cut_to_chars(payload_preview, MAX_STORED_PREVIEW_CHARS));
        node.last_payload_len = payload_len;
        node.last_seen = Some(at);
        if retain && !node.is_overflow_bucket {
            node.retained = payload_len > 0;
        }
        self.count_in_subtrees(id, at);
        id
    }

    fn count_in_subtrees(&mut self, id: NodeId, at: SystemTime) {
        let mut current = Some(id);
        while let Some(current_id) = current {
            let Some(node) = self.nodes.get_mut(current_id.0) else {
                break;
            };
            node.subtree_messages += 1;
            node.subtree_count_this_second = node.subtree_count_this_second.saturating_add(1);
            node.subtree_last_seen = Some(node.subtree_last_seen.map_or(at, |seen| seen.max(at)));
            if !node.queued_for_close {
                node.queued_for_close = true;
                self.counted_this_second.push(current_id);
            }
            current = node.parent;
        }
    }

    /// Ends the current one-second window: what was counted becomes each node's rate.
    /// Costs time only for nodes that were active in the last two windows.
    pub fn close_second(&mut self) {
        for id in self.rated_last_second.drain(..) {
            if let Some(node) = self.nodes.get_mut(id.0) {
                node.own_count_last_second = 0;
                node.subtree_count_last_second = 0;
            }
        }
        for &id in &self.counted_this_second {
            if let Some(node) = self.nodes.get_mut(id.0) {
                node.own_count_last_second = node.own_count_this_second;
                node.subtree_count_last_second = node.subtree_count_this_second;
                node.own_count_this_second = 0;
                node.subtree_count_this_second = 0;
                node.queued_for_close = false;
            }
        }
        std::mem::swap(&mut self.rated_last_second, &mut self.counted_this_second);
    }

    /// Clears the marker after the caller has deleted the retained message; false if there was none.
    pub fn remove_retained_marker(&mut self, topic: &str) -> bool {
        let Some(node) = self.find(topic).and_then(|id| self.nodes.get_mut(id.0)) else {
            return false;
        };
        std::mem::replace(&mut node.retained, false)
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
        // An explicit stack: topics may be thousands of levels deep, too deep for recursion.
        let mut pending = vec![start];
        while let Some(id) = pending.pop() {
            let Some(node) = self.node(id) else {
                continue;
            };
            if node.retained {
                found.push(node.topic.to_string());
            }
            pending.extend(node.children.iter().rev());
        }
        found
    }

    fn insert_topic(&mut self, topic: &str) -> NodeId {
        let level_ends: Vec<usize> = topic
            .match_indices('/')
            .map(|(position, _)| position)
            .chain(std::iter::once(topic.len()))
            .collect();
        let existing_levels = level_ends
            .iter()
            .take_while(|&&end| {
                topic
                    .get(..end)
                    .is_some_and(|prefix| self.node_by_topic.contains_key(prefix))
            })
            .count();
        let missing_levels = level_ends.len() - existing_levels;
        // All or nothing: a half-inserted path would show topics that never had a message.
        if self.nodes.len() + missing_levels > self.max_nodes {
            return self.overflow_bucket_id();
        }

        let mut parent = match existing_levels
            .checked_sub(1)
            .and_then(|last| level_ends.get(last))
        {
            Some(&end) => topic
                .get(..end)
                .and_then(|prefix| self.find(prefix))
                .unwrap_or(ROOT),
            None => ROOT,
        };
        for (level, &end) in level_ends.iter().enumerate().skip(existing_levels) {
            let name_start = match level
                .checked_sub(1)
                .and_then(|previous| level_ends.get(previous))
            {
                Some(&separator) => separator + 1,
                None => 0,
            };
            let prefix: Arc<str> = Arc::from(topic.get(..end).unwrap_or_default());
            parent = self.add_child(parent, prefix, name_start);
        }
        parent
    }

    fn add_child(&mut self, parent: NodeId, topic: Arc<str>, name_start: usize) -> NodeId {
        let id = NodeId(self.nodes.len());
        let node = TopicNode::new(Arc::clone(&topic), name_start, Some(parent));
        let name = node.name().to_owned();
        let nodes = &self.nodes;
        if let Some(parent_node) = self.nodes.get(parent.0) {
            let insert_at = parent_node
                .children
                .binary_search_by(|child| {
                    nodes
                        .get(child.0)
                        .map_or("", TopicNode::name)
                        .cmp(name.as_str())
                })
                .unwrap_or_else(|position| position);
            if let Some(parent_node) = self.nodes.get_mut(parent.0) {
                parent_node.children.insert(insert_at, id);
            }
        }
        self.nodes.push(node);
        self.node_by_topic.insert(topic, id);
        id
    }

    fn overflow_bucket_id(&mut self) -> NodeId {
        if let Some(id) = self.overflow_bucket {
            return id;
        }
        let id = NodeId(self.nodes.len());
        let mut bucket = TopicNode::new(Arc::from(OVERFLOW_BUCKET_NAME), 0, Some(ROOT));
        bucket.is_overflow_bucket = true;
        self.nodes.push(bucket);
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
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn names(tree: &TopicTree, id: NodeId) -> Vec<&str> {
        tree.children(id)
            .iter()
            .map(|&child| tree.node(child).unwrap().name())
            .collect()
    }

    #[test]
    fn counts_own_and_subtree_messages() {
        let mut tree = TopicTree::default();
        tree.record("home/kitchen/temp", "21.5", 4, false, at(1));
        tree.record("home/kitchen/temp", "21.6", 4, false, at(2));
        tree.record("home/hall", "on", 2, false, at(3));
        tree.record("home", "x", 1, false, at(4));

        let home = tree.find("home").unwrap();
        let node = tree.node(home).unwrap();
        assert_eq!(node.own_messages(), 1);
        assert_eq!(node.subtree_messages(), 4);
        assert_eq!(node.subtree_last_seen(), Some(at(4)));
        assert_eq!(names(&tree, home), vec!["hall", "kitchen"]);

        let temp = tree.node(tree.find("home/kitchen/temp").unwrap()).unwrap();
        assert_eq!(temp.own_messages(), 2);
        assert_eq!(temp.last_preview(), Some("21.6"));
        assert_eq!(temp.last_seen(), Some(at(2)));
        assert_eq!(temp.name(), "temp");
        assert_eq!(temp.topic(), "home/kitchen/temp");
        assert_eq!(
            tree.node(tree.find("home/kitchen").unwrap())
                .unwrap()
                .last_preview(),
            None
        );
        assert_eq!(tree.node(tree.root()).unwrap().subtree_messages(), 4);
        assert_eq!(tree.node_count(), 5);
    }

    #[test]
    fn children_are_sorted_and_ids_stable() {
        let mut tree = TopicTree::default();
        let zebra = tree.record("zebra", "", 0, false, at(0));
        let apple = tree.record("apple", "", 0, false, at(0));
        let empty = tree.record("/x", "", 0, false, at(0));
        tree.record("mango", "", 0, false, at(0));
        assert_eq!(
            names(&tree, tree.root()),
            vec!["", "apple", "mango", "zebra"]
        );
        assert_eq!(tree.find("zebra"), Some(zebra));
        assert_eq!(tree.find("apple"), Some(apple));
        assert_eq!(tree.node(empty).unwrap().topic(), "/x");
        assert_eq!(tree.node(tree.find("").unwrap()).unwrap().name(), "");
        assert_eq!(tree.record("zebra", "", 0, false, at(0)), zebra);
    }

    #[test]
    fn retained_markers_set_clear_and_list() {
        let mut tree = TopicTree::default();
        tree.record("a/b", "1", 1, true, at(0));
        tree.record("a/c/d", "1", 1, true, at(0));
        tree.record("a/c", "1", 1, false, at(0));
        tree.record("z", "1", 1, true, at(0));
        assert_eq!(tree.retained_topics_under("a"), vec!["a/b", "a/c/d"]);
        assert_eq!(tree.retained_topics_under(""), vec!["a/b", "a/c/d", "z"]);
        assert!(tree.retained_topics_under("nope").is_empty());

        // A live, non-retained message leaves the broker's retained copy alone.
        tree.record("a/b", "2", 1, false, at(1));
        assert!(tree.node(tree.find("a/b").unwrap()).unwrap().has_retained());
        // An empty retained payload deletes it.
        tree.record("a/b", "", 0, true, at(2));
        assert!(!tree.node(tree.find("a/b").unwrap()).unwrap().has_retained());

        assert!(tree.remove_retained_marker("a/c/d"));
        assert!(!tree.remove_retained_marker("a/c/d"));
        assert!(!tree.remove_retained_marker("unknown"));
        assert_eq!(tree.retained_topics_under(""), vec!["z"]);
    }

    #[test]
    fn node_count_is_bounded_with_an_overflow_bucket() {
        let mut tree = TopicTree::new(4);
        tree.record("a/b", "", 0, false, at(0));
        tree.record("c", "", 0, false, at(0));
        assert_eq!(tree.node_count(), 4);
        assert!(!tree.has_overflowed());

        let bucket = tree.record("d", "", 0, true, at(0));
        let also_bucket = tree.record("a/b/c", "", 0, false, at(0));
        assert_eq!(bucket, also_bucket);
        assert!(tree.has_overflowed());
        assert_eq!(tree.overflow_bucket(), Some(bucket));
        let node = tree.node(bucket).unwrap();
        assert!(node.is_overflow_bucket());
        assert_eq!(node.name(), OVERFLOW_BUCKET_NAME);
        assert_eq!(node.own_messages(), 2);
        assert!(!node.has_retained());
        assert!(tree.find("d").is_none());
        assert!(!tree.children(tree.root()).contains(&bucket));
        assert_eq!(tree.node(tree.root()).unwrap().subtree_messages(), 4);
        // Known topics keep counting normally.
        tree.record("a/b", "", 0, false, at(0));
        assert_eq!(
            tree.node(tree.find("a/b").unwrap()).unwrap().own_messages(),
            2
        );
        assert_eq!(tree.node_count(), 5);
    }

    #[test]
    fn rates_cover_the_last_closed_second() {
        let mut tree = TopicTree::default();
        for _ in 0..3 {
            tree.record("a/b", "", 0, false, at(0));
        }
        tree.record("a/c", "", 0, false, at(0));
        let a = tree.find("a").unwrap();
        let b = tree.find("a/b").unwrap();
        assert_eq!(tree.node(a).unwrap().subtree_rate(), 0);

        tree.close_second();
        assert_eq!(tree.node(a).unwrap().subtree_rate(), 4);
        assert_eq!(tree.node(a).unwrap().own_rate(), 0);
        assert_eq!(tree.node(b).unwrap().own_rate(), 3);

        tree.record("a/c", "", 0, false, at(1));
        tree.close_second();
        assert_eq!(tree.node(a).unwrap().subtree_rate(), 1);
        assert_eq!(tree.node(b).unwrap().own_rate(), 0);

        tree.close_second();
        assert_eq!(tree.node(a).unwrap().subtree_rate(), 0);
        assert_eq!(tree.node(tree.root()).unwrap().subtree_rate(), 0);
    }

    #[test]
    fn long_previews_are_cut() {
        let mut tree = TopicTree::default();
        let id = tree.record("t", &"é".repeat(500), 1000, false, at(0));
        assert_eq!(
            tree.node(id)
                .unwrap()
                .last_preview()
                .unwrap()
                .chars()
                .count(),
            MAX_STORED_PREVIEW_CHARS
        );
    }

    #[test]
    fn clear_resets_everything() {
        let mut tree = TopicTree::new(3);
        tree.record("a/b/c", "", 0, true, at(0));
        tree.clear();
        assert_eq!(tree.node_count(), 1);
        assert!(!tree.has_overflowed());
        assert_eq!(tree.max_nodes(), 3);
        assert!(tree.retained_topics_under("").is_empty());
    }
}
