//! Broker settings: what a user may choose, and the validation that turns typed text into settings.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use super::accounts::{AccountsError, LearnerAccounts};

/// The port MQTT clients expect by default.
pub const DEFAULT_TCP_PORT: u16 = 1883;
/// The WebSocket port most MQTT tutorials (Mosquitto's among them) use.
pub const DEFAULT_WS_PORT: u16 = 9001;

/// A user name and password every client must present.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// The password never reaches a log line or diagnostics through `{:?}`.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Everything the embedded broker needs to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerSettings {
    /// 127.0.0.1 serves this computer only; 0.0.0.0 serves the whole network.
    pub bind: IpAddr,
    /// Port 0 lets the operating system choose (tests use this).
    pub tcp_port: u16,
    /// `None` turns the WebSocket listener off.
    pub ws_port: Option<u16>,
    /// `None` lets every client in without a password.
    pub credentials: Option<Credentials>,
    /// The most connections the broker serves at once; `None` sizes it from the open-files limit
    /// (see `limits::Capacity::default_connection_cap`). Absent in older files, which still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<NonZeroU32>,
    /// Accounts for learners, accepted besides `credentials` (the instructor's). Never written with the
    /// settings: they live in their own file that only the user can read (see `accounts::store`).
    #[serde(skip)]
    pub learner_accounts: LearnerAccounts,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            tcp_port: DEFAULT_TCP_PORT,
            ws_port: Some(DEFAULT_WS_PORT),
            credentials: None,
            max_connections: None,
            learner_accounts: LearnerAccounts::default(),
        }
    }
}

impl BrokerSettings {
    /// Settings for tests and benchmarks: loopback, ports chosen by the OS.
    pub fn loopback_any_port() -> Self {
        Self {
            tcp_port: 0,
            ws_port: Some(0),
            ..Self::default()
        }
    }

    /// True when other computers can reach the broker.
    pub fn is_open_to_network(&self) -> bool {
        !self.bind.is_loopback()
    }

    /// Checks the combination of fields; each field on its own is already well-typed.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if let Some(ws) = self.ws_port
            && ws != 0
            && ws == self.tcp_port
        {
            return Err(SettingsError::SamePorts { port: ws });
        }
        if let Some(c) = &self.credentials {
            check_credentials(&c.username, &c.password)?;
        }
        self.learner_accounts
            .check_with_instructor(self.credentials.as_ref())?;
        Ok(())
    }
}

/// Which input a settings error is about, so a form can show the message next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsField {
    Bind,
    TcpPort,
    WsPort,
    Username,
    Password,
}

/// Why typed settings cannot be used; every message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{what}: \"{text}\" is not a port number; type a whole number from 1 to 65535")]
    PortNotANumber { what: &'static str, text: String },
    #[error("{what}: {value} is out of range; type a port from 1 to 65535")]
    PortOutOfRange { what: &'static str, value: i64 },
    #[error(
        "\"{0}\" is not an IP address; use 127.0.0.1 (this computer only), 0.0.0.0 (open to your network) or one of this computer's addresses"
    )]
    NotAnIpAddress(String),
    #[error("the TCP port and the WebSocket port are both {port}; give each its own port")]
    SamePorts { port: u16 },
    #[error(
        "a user name needs a password: type a password, or leave the user name empty to let everyone in"
    )]
    MissingPassword,
    #[error("a password needs a user name: type a user name, or clear the password")]
    MissingUsername,
    #[error("the user name must not contain spaces at its start or end")]
    UsernameSpaces,
    #[error(transparent)]
    LearnerAccounts(#[from] AccountsError),
}

impl SettingsError {
    /// The input the message belongs next to.
    pub fn field(&self) -> SettingsField {
        match self {
            Self::PortNotANumber { what, .. } | Self::PortOutOfRange { what, .. } => {
                if *what == WS_PORT_LABEL {
                    SettingsField::WsPort
                } else {
                    SettingsField::TcpPort
                }
            }
            Self::NotAnIpAddress(_) => SettingsField::Bind,
            Self::SamePorts { .. } => SettingsField::WsPort,
            Self::MissingPassword => SettingsField::Password,
            Self::MissingUsername | Self::UsernameSpaces | Self::LearnerAccounts(_) => {
                SettingsField::Username
            }
        }
    }
}

pub const TCP_PORT_LABEL: &str = "TCP port";
pub const WS_PORT_LABEL: &str = "WebSocket port";

/// Reads a port a user typed: 1 to 65535, surrounding spaces forgiven.
pub fn parse_port(what: &'static str, text: &str) -> Result<u16, SettingsError> {
    let trimmed = text.trim();
    let value: i64 = trimmed.parse().map_err(|_| SettingsError::PortNotANumber {
        what,
        text: trimmed.to_owned(),
    })?;
    match u16::try_from(value) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(SettingsError::PortOutOfRange { what, value }),
    }
}

/// Reads an IP address a user typed (the CLI's `--bind`).
pub fn parse_bind(text: &str) -> Result<IpAddr, SettingsError> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    trimmed
        .parse()
        .map_err(|_| SettingsError::NotAnIpAddress(trimmed.to_owned()))
}

/// Turns the optional user name and password a user typed into credentials, or none when both are empty.
pub fn parse_credentials(
    username: &str,
    password: &str,
) -> Result<Option<Credentials>, SettingsError> {
    if username.is_empty() && password.is_empty() {
        return Ok(None);
    }
    check_credentials(username, password)?;
    Ok(Some(Credentials {
        username: username.to_owned(),
        password: password.to_owned(),
    }))
}

fn check_credentials(username: &str, password: &str) -> Result<(), SettingsError> {
    if username.is_empty() {
        return Err(SettingsError::MissingUsername);
    }
    if username.trim() != username {
        return Err(SettingsError::UsernameSpaces);
    }
    if password.is_empty() {
        return Err(SettingsError::MissingPassword);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_accept_the_whole_range_and_nothing_else() {
        assert_eq!(parse_port(TCP_PORT_LABEL, " 1883 "), Ok(1883));
        assert_eq!(parse_port(TCP_PORT_LABEL, "65535"), Ok(65535));
        assert_eq!(parse_port(TCP_PORT_LABEL, "1"), Ok(1));
        for bad in ["0", "65536", "-1", "99999999999"] {
            let err = parse_port(TCP_PORT_LABEL, bad).unwrap_err();
            assert!(matches!(err, SettingsError::PortOutOfRange { .. }), "{bad}");
            assert!(err.to_string().contains("1 to 65535"));
        }
        for bad in ["", "abc", "18 83", "1883.5"] {
            let err = parse_port(WS_PORT_LABEL, bad).unwrap_err();
            assert!(matches!(err, SettingsError::PortNotANumber { .. }), "{bad}");
            assert_eq!(err.field(), SettingsField::WsPort);
        }
    }

    #[test]
    fn bind_addresses_must_be_ip_addresses() {
        assert_eq!(parse_bind("0.0.0.0").unwrap().to_string(), "0.0.0.0");
        assert_eq!(parse_bind("::1").unwrap().to_string(), "::1");
        assert_eq!(parse_bind("localhost").unwrap().to_string(), "127.0.0.1");
        let err = parse_bind("my-laptop").unwrap_err();
        assert!(
            err.to_string()
                .contains("\"my-laptop\" is not an IP address")
        );
    }

    #[test]
    fn credentials_come_in_pairs() {
        assert_eq!(parse_credentials("", ""), Ok(None));
        assert_eq!(
            parse_credentials("teacher", ""),
            Err(SettingsError::MissingPassword)
        );
        assert_eq!(
            parse_credentials("", "secret"),
            Err(SettingsError::MissingUsername)
        );
        assert!(parse_credentials("teacher", "secret").unwrap().is_some());
    }

    #[test]
    fn tcp_and_websocket_ports_must_differ() {
        let settings = BrokerSettings {
            ws_port: Some(1883),
            ..BrokerSettings::default()
        };
        assert_eq!(
            settings.validate(),
            Err(SettingsError::SamePorts { port: 1883 })
        );
        assert!(BrokerSettings::loopback_any_port().validate().is_ok());
    }
}
