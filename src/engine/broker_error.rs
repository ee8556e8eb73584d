//! Why the broker could not start, and which listener it was about: shared by the broker and its events.

use std::net::{IpAddr, SocketAddr};

use super::settings::SettingsError;

/// Which of the broker's user-facing listeners an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Tcp,
    WebSocket,
}

impl std::fmt::Display for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Listener::Tcp => "the MQTT (TCP)",
            Listener::WebSocket => "the WebSocket",
        })
    }
}

/// Why the broker could not start; each message says what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    #[error(
        "{listener} port {port} on {ip} is already in use by another program (perhaps another MQTT broker such as Mosquitto). {}",
        match .free_alternative { Some(p) => format!("Port {p} is free: use it instead, or stop the other program."), None => "Stop the other program or choose another port.".to_owned() }
    )]
    PortInUse {
        listener: Listener,
        ip: IpAddr,
        port: u16,
        free_alternative: Option<u16>,
    },
    #[error(
        "this computer has no network address {ip}; choose \"This computer only\" or \"Open to my network\""
    )]
    AddressNotAvailable { ip: IpAddr },
    #[error(
        "{listener} port {port} needs administrator rights (ports below 1024 are reserved); choose a port above 1023 such as 1883"
    )]
    PermissionDenied { listener: Listener, port: u16 },
    #[error("the broker is already running on {0}; stop it before starting it again")]
    AlreadyRunning(SocketAddr),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("{listener} port could not be opened: {detail}")]
    Io { listener: Listener, detail: String },
    #[error("the broker's engine failed to start: {0}")]
    Internal(String),
}

impl BrokerError {
    /// A port the user could switch to with one click, when the chosen one is taken.
    pub fn free_alternative(&self) -> Option<(Listener, u16)> {
        match self {
            BrokerError::PortInUse {
                listener,
                free_alternative: Some(port),
                ..
            } => Some((*listener, *port)),
            _ => None,
        }
    }
}
