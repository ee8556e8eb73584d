//! The per-message facts a template can show: which device, which group, and what time it is.

use std::time::{Duration, SystemTime};

/// What a render needs to know about the device and the moment it publishes.
#[derive(Clone, Copy, Debug)]
pub struct RenderContext<'a> {
    /// The device's 1-based index within its group (`{{index}}`).
    pub device_index: u32,
    pub group: &'a str,
    pub client_id: &'a str,
    /// Time since the simulation started; drives `sine`.
    pub elapsed: Duration,
    /// Wall-clock time; drives `timestamp`.
    pub now: SystemTime,
}
