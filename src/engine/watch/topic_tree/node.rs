//! One level of the topic tree: its own name segment, links, counts, last value and rates.

use std::time::SystemTime;

/// Names a node while it lives; a pruned node's id never names another node (its slot's
/// generation moves on when the slot is reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub(super) slot: u32,
    pub(super) generation: u32,
}

impl NodeId {
    /// The node's slot: unique among living nodes, reused after a node is pruned.
    pub fn index(self) -> usize {
        self.slot as usize
    }
}

#[derive(Debug, Clone)]
pub struct TopicNode {
    /// Only this level's name, stored once: a full topic is never copied per level.
    pub(super) name: Box<str>,
    pub(super) parent: Option<NodeId>,
    /// 0 for the root, 1 for the first topic level.
    pub(super) depth: u16,
    pub(super) children: Vec<NodeId>,
    pub(super) own_messages: u64,
    pub(super) subtree_messages: u64,
    pub(super) last_preview: String,
    pub(super) last_payload_len: usize,
    pub(super) last_seen: Option<SystemTime>,
    pub(super) subtree_last_seen: Option<SystemTime>,
    pub(super) retained: bool,
    pub(super) own_count_this_second: u32,
    pub(super) subtree_count_this_second: u32,
    pub(super) own_count_last_second: u32,
    pub(super) subtree_count_last_second: u32,
    pub(super) queued_for_close: bool,
    pub(super) is_overflow_bucket: bool,
    /// When a message last came on exactly this topic, as the tree's own counter (0: never):
    /// the least recently updated topics are pruned first.
    pub(super) touched: u64,
}

impl TopicNode {
    pub(super) fn new(name: &str, parent: Option<NodeId>, depth: u16) -> TopicNode {
        TopicNode {
            name: Box::from(name),
            parent,
            depth,
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
            touched: 0,
        }
    }

    /// This level's name; empty for the root and for empty levels as in `/a` or `a//b`.
    /// The deepest level a tree keeps holds the rest of a deeper topic, slashes included.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn parent(&self) -> Option<NodeId> {
        self.parent
    }

    /// Levels above this node: 0 for the root, 1 for a first topic level.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// Sorted by name.
    pub fn children(&self) -> &[NodeId] {
        &self.children
    }

    /// Messages published on exactly this topic.
    pub fn own_messages(&self) -> u64 {
        self.own_messages
    }

    /// Messages on this topic and every topic below it still in the tree.
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
