//! Behaviour tests for payload templates and topic / client-id patterns.

mod generators;
mod json;
mod parse_errors;
mod pattern;
mod rendering;
mod reproducibility;
mod support;
