//! Payload templates (`{{ generator }}`) and topic / client-id patterns (`{group}`, `{n}`) for simulated devices.

mod argument;
mod binding;
mod context;
mod cursor;
mod error;
mod expanded_check;
mod format;
mod generate;
mod generators;
mod json_check;
mod json_escape;
mod number_format;
mod pattern;
mod payload;
mod piece;
mod state;
mod syntax;
mod timestamp;
mod uuid;

#[cfg(test)]
mod tests;

pub use context::RenderContext;
pub use error::{KNOWN_GENERATORS, TemplateError, TemplateErrorKind};
pub use expanded_check::{
    ClientIdError, TopicError, check_expanded_client_id, check_expanded_topic,
};
pub use format::PayloadFormat;
pub use pattern::{Pattern, PatternError, PatternKind};
pub use payload::Template;
pub use state::TemplateState;
