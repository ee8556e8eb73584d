//! Live counters of a device group and the state of each device, written by device tasks and read by the snapshot.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// Counters shared by every device of a group.
#[derive(Debug, Default)]
pub struct GroupCounters {
    /// PUBLISH packets written to the network.
    pub sent: AtomicU64,
    /// QoS 1 and 2 publishes the broker acknowledged.
    pub acknowledged: AtomicU64,
    /// Sends skipped because a device's client still held earlier messages.
    pub skipped: AtomicU64,
    /// Connections lost or refused.
    pub errors: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl GroupCounters {
    pub fn record_error(&self, device: &str, why: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(format!("{device}: {why}"));
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Where one device is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DeviceState {
    /// Waiting for its turn to connect, or for the broker to be running.
    Waiting = 0,
    Connecting = 1,
    Connected = 2,
    /// Lost its connection; trying again after a pause that grows with each failure.
    Reconnecting = 3,
    /// Its connection was cut on purpose (its will fired); waits for Reconnect.
    Killed = 4,
    Stopped = 5,
}

impl DeviceState {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Connecting,
            2 => Self::Connected,
            3 => Self::Reconnecting,
            4 => Self::Killed,
            5 => Self::Stopped,
            _ => Self::Waiting,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Reconnecting => "reconnecting",
            Self::Killed => "killed",
            Self::Stopped => "stopped",
        }
    }
}

/// One device's state and its last problem, shared between its task and the snapshot.
#[derive(Debug)]
pub struct DeviceStatus {
    state: AtomicU8,
    last_error: Mutex<Option<String>>,
    pub reconnects: AtomicU64,
}

impl Default for DeviceStatus {
    fn default() -> Self {
        Self {
            state: AtomicU8::new(DeviceState::Waiting as u8),
            last_error: Mutex::new(None),
            reconnects: AtomicU64::new(0),
        }
    }
}

impl DeviceStatus {
    pub fn state(&self) -> DeviceState {
        DeviceState::from_u8(self.state.load(Ordering::Relaxed))
    }

    pub fn set_state(&self, state: DeviceState) {
        self.state.store(state as u8, Ordering::Relaxed);
    }

    pub fn set_error(&self, why: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = why;
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
