//! Watching MQTT traffic: the subscriber log, its filters, payload views, plot values, the topic tree and export.

pub mod export;
pub mod filtered_view;
pub mod import;
pub mod log_filter;
pub mod message;
pub mod message_log;
pub mod payload_view;
pub mod rfc3339;
pub mod topic_filter;
pub mod topic_tree;
pub mod value_extract;

pub use export::{ExportError, write_csv, write_jsonl};
pub use filtered_view::{FilteredView, ViewChange};
pub use import::{
    ImportError, ImportOptions, ImportOutcome, ImportReport, LineError, LineProblem, read_jsonl,
    read_jsonl_into,
};
pub use log_filter::{LogFilter, LogMatcher};
pub use message::LoggedMessage;
pub use message_log::{LogCounters, LogLimits, MessageLog};
pub use payload_view::{
    PayloadKind, ResolvedView, ViewAs, detect_kind, full_text, hex_dump, preview,
};
pub use topic_filter::{FilterError, TopicFilter, TopicNameError, validate_topic_name};
pub use topic_tree::{NodeId, TopicNode, TopicTree};
pub use value_extract::{JsonPath, JsonPathError, NotNumeric, PathSegment, ValueSource, extract};
