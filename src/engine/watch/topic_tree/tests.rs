//! Tests of the topic tree: counting, ordering, markers, limits, rates, the byte budget.
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
    assert_eq!(
        tree.topic(tree.find("home/kitchen/temp").unwrap()),
        "home/kitchen/temp"
    );
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
    assert_eq!(tree.topic(empty), "/x");
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

/// A memory bomb: a first level of `first_level_bytes` and `levels` more short levels.
fn deep_topic(tag: usize, first_level_bytes: usize, levels: usize) -> String {
    let mut topic = format!("{tag:04}");
    topic.push_str(&"x".repeat(first_level_bytes.saturating_sub(4)));
    for level in 0..levels {
        topic.push_str(&format!("/{}", level % 100));
    }
    topic
}

#[test]
fn a_deep_topic_costs_its_length_not_its_square() {
    let mut tree = TopicTree::default();
    let topic = deep_topic(0, 1_000, 5_000);
    let id = tree.record(&topic, "1", 1, false, at(0));
    // Every level's prefix copied once would be ~5,000 × 8 kB: tens of megabytes.
    let linear_bound = 3 * topic.len() + (MAX_LEVELS + 2) * NODE_BYTES + 1024;
    assert!(
        tree.approx_bytes() <= linear_bound,
        "{} bytes for a {}-byte topic (bound {linear_bound})",
        tree.approx_bytes(),
        topic.len()
    );
    assert_eq!(
        tree.node_count(),
        MAX_LEVELS + 1,
        "the root plus one node per kept level"
    );
    assert_eq!(
        tree.topic(id),
        topic,
        "the full topic is worked out from the levels"
    );
    assert_eq!(tree.find(&topic), Some(id));
    let deepest = tree.node(id).unwrap();
    assert_eq!(deepest.depth(), MAX_LEVELS);
    assert!(
        deepest.name().contains('/'),
        "the rest stays whole in the deepest level"
    );
    assert!(tree.find(&format!("{topic}/more")).is_none());

    // Twice as many levels cost about twice as much, not four times.
    let mut longer = TopicTree::default();
    let twice = deep_topic(0, 1_000, 10_000);
    longer.record(&twice, "1", 1, false, at(0));
    let ratio = longer.approx_bytes() as f64 / tree.approx_bytes() as f64;
    assert!(ratio < 2.5, "cost ratio {ratio:.2} for twice the levels");

    // The same topic again adds nothing.
    let before = tree.approx_bytes();
    assert_eq!(tree.record(&topic, "2", 1, false, at(1)), id);
    assert_eq!(tree.approx_bytes(), before);
    assert_eq!(tree.node(tree.root()).unwrap().subtree_messages(), 2);
}

#[test]
fn forty_deep_topics_stay_under_the_budget_by_pruning() {
    let budget = MIN_BYTE_BUDGET;
    let mut tree = TopicTree::with_limits(DEFAULT_MAX_NODES, budget);
    let topics: Vec<String> = (0..40).map(|tag| deep_topic(tag, 1_000, 5_000)).collect();
    for (seconds, topic) in topics.iter().enumerate() {
        tree.record(topic, "v", 1, false, at(seconds as u64));
        assert!(
            tree.approx_bytes() <= budget,
            "{} bytes over the budget of {budget}",
            tree.approx_bytes()
        );
    }
    assert!(tree.pruned_topics() > 0, "some topics were pruned");
    let kept = topics.iter().filter(|t| tree.find(t).is_some()).count() as u64;
    assert_eq!(
        kept + tree.pruned_topics(),
        40,
        "every topic is kept or counted as pruned"
    );
    assert!(
        tree.find(&topics[0]).is_none(),
        "the oldest topic went first"
    );
    assert!(tree.find(&topics[39]).is_some(), "the newest topic stays");
    let root = tree.node(tree.root()).unwrap();
    assert_eq!(root.subtree_messages(), kept, "counts follow what is left");

    // With the default budget all forty fit, in a few megabytes.
    let mut roomy = TopicTree::default();
    for topic in &topics {
        roomy.record(topic, "v", 1, false, at(0));
    }
    assert_eq!(roomy.pruned_topics(), 0);
    assert!(
        roomy.approx_bytes() < 8 * 1024 * 1024,
        "{}",
        roomy.approx_bytes()
    );
}

#[test]
fn pruning_takes_the_least_recently_updated_leaves_then_empty_levels() {
    let mut tree = TopicTree::with_limits(DEFAULT_MAX_NODES, MIN_BYTE_BUDGET);
    let retained = tree.record("r/kept", "1", 1, true, at(0));
    let old = tree.record("a/b/old", "1", 1, false, at(1));
    tree.record("p", "1", 1, false, at(2));
    tree.record("p/c", "1", 1, false, at(3));
    tree.record("z/recent", "1", 1, false, at(4));
    // "z/recent" is updated again later than every filler but the last ones.
    let filler = |i: usize| format!("f/{i:03}/{}", "y".repeat(10_000));
    let mut fillers = 0;
    while tree.pruned_topics() == 0 {
        tree.record(&filler(fillers), "1", 1, false, at(5));
        fillers += 1;
        if fillers == 30 {
            tree.record("z/recent", "2", 1, false, at(6));
        }
        assert!(fillers < 1_000, "a prune comes within the budget");
    }
    assert!(
        tree.find("a/b/old").is_none(),
        "the least recently updated topic"
    );
    assert!(tree.node(old).is_none(), "its id names nothing now");
    assert!(
        tree.find("a/b").is_none() && tree.find("a").is_none(),
        "its empty levels went too"
    );
    assert!(
        tree.find("p").is_none() && tree.find("p/c").is_none(),
        "a topic left childless is pruned in its turn"
    );
    assert!(tree.find(&filler(0)).is_none());
    assert!(tree.find("z/recent").is_some(), "updated since: kept");
    assert!(
        tree.find(&filler(fillers - 1)).is_some(),
        "the newest topic stays"
    );
    assert_eq!(
        tree.find("r/kept"),
        Some(retained),
        "retained topics go last"
    );
    assert_eq!(tree.retained_topics_under(""), vec!["r/kept"]);
    assert!(tree.approx_bytes() <= MIN_BYTE_BUDGET / 100 * 75 + 32 * 1024);

    // Pruned slots are reused, never under an old id; every level stays reachable.
    let fresh = tree.record("new/topic", "1", 1, false, at(7));
    assert_ne!(fresh, old);
    assert!(tree.node(old).is_none());
    assert_eq!(tree.topic(fresh), "new/topic");
    let mut pending = vec![tree.root()];
    let mut reachable = 0;
    while let Some(id) = pending.pop() {
        reachable += 1;
        pending.extend(tree.children(id).iter().copied());
        for &child in tree.children(id) {
            assert_eq!(tree.node(child).unwrap().parent(), Some(id));
        }
    }
    assert_eq!(reachable, tree.node_count());

    tree.clear();
    assert_eq!(tree.pruned_topics(), 0);
    assert_eq!(tree.byte_budget(), MIN_BYTE_BUDGET);
}

#[test]
fn a_lower_budget_prunes_at_once() {
    let mut tree = TopicTree::default();
    for i in 0..200 {
        tree.record(
            &format!("t/{i}/{}", "z".repeat(10_000)),
            "1",
            1,
            false,
            at(i),
        );
    }
    assert!(tree.approx_bytes() > MIN_BYTE_BUDGET);
    assert_eq!(tree.set_byte_budget(0), MIN_BYTE_BUDGET);
    assert!(tree.approx_bytes() <= MIN_BYTE_BUDGET);
    assert!(tree.pruned_topics() > 100);
    assert!(tree.find("t/199").is_some());
}
