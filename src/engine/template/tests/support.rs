//! Shared helpers for the template tests: fixed contexts and quick render loops.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::super::{PayloadFormat, RenderContext, Template, TemplateError};

pub const SEED: u64 = 42;

/// 2024-03-01T12:34:56.789Z
pub fn fixed_now() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_709_296_496_789)
}

pub fn context_at(elapsed: Duration) -> RenderContext<'static> {
    RenderContext {
        device_index: 7,
        group: "kitchen",
        client_id: "kitchen-007",
        elapsed,
        now: fixed_now(),
    }
}

pub fn context() -> RenderContext<'static> {
    context_at(Duration::ZERO)
}

pub fn text(source: &str) -> Template {
    Template::parse(source, PayloadFormat::Text).unwrap()
}

pub fn text_error(source: &str) -> TemplateError {
    Template::parse(source, PayloadFormat::Text).unwrap_err()
}

/// Renders `count` payloads of device 1 with the test seed.
pub fn renders(source: &str, count: usize) -> Vec<String> {
    let template = text(source);
    let mut state = template.new_state(SEED, 1);
    (0..count)
        .map(|_| template.render(&mut state, &context()))
        .collect()
}

/// Renders `count` payloads and parses each as a number.
pub fn numbers(source: &str, count: usize) -> Vec<f64> {
    renders(source, count)
        .iter()
        .map(|value| value.parse().unwrap())
        .collect()
}

pub fn decimals(value: &str) -> usize {
    value
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}
