//! Where the fleet connects: the embedded broker, or an external one (EMQX, HiveMQ, Mosquitto…).

use serde::{Deserialize, Serialize};

use super::super::broker::RunningInfo;
use super::device::ResolvedTarget;

/// The broker a fleet publishes to, as a user chooses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum FleetTarget {
    /// The broker inside this app, wherever it currently listens.
    #[default]
    Embedded,
    External(ExternalBroker),
}

/// A broker elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalBroker {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Put before every device's client id, so a shared broker can tell this fleet's devices apart.
    #[serde(default)]
    pub client_id_prefix: String,
    /// With TLS: trust this CA certificate (PEM) instead of the computer's, for a broker with its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_port() -> u16 {
    1883
}

impl Default for ExternalBroker {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: default_port(),
            tls: false,
            username: None,
            password: None,
            client_id_prefix: String::new(),
            ca_file: None,
        }
    }
}

/// Why a target cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("external broker: type the broker's host name or IP address")]
    MissingHost,
    #[error(
        "external broker: \"{0}\" is not a host name (no spaces or slashes; leave out mqtt://)"
    )]
    BadHost(String),
    #[error("external broker: port 0 is not a port; MQTT brokers use 1883, or 8883 with TLS")]
    PortZero,
    #[error("external broker: a password needs a user name")]
    PasswordWithoutUser,
    #[error("external broker: the client id prefix cannot contain '{0}'")]
    BadPrefix(char),
    #[error("could not set up TLS: {0}")]
    Tls(String),
}

impl FleetTarget {
    pub fn label(&self) -> String {
        match self {
            FleetTarget::Embedded => "the embedded broker".to_owned(),
            FleetTarget::External(ext) => format!(
                "{}://{}:{}",
                if ext.tls { "mqtts" } else { "mqtt" },
                ext.host,
                ext.port
            ),
        }
    }

    pub fn validate(&self) -> Result<(), TargetError> {
        let FleetTarget::External(ext) = self else {
            return Ok(());
        };
        let host = ext.host.trim();
        if host.is_empty() {
            return Err(TargetError::MissingHost);
        }
        if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
            return Err(TargetError::BadHost(host.to_owned()));
        }
        if ext.port == 0 {
            return Err(TargetError::PortZero);
        }
        let user = ext.username.as_deref().unwrap_or("");
        let password = ext.password.as_deref().unwrap_or("");
        if user.is_empty() && !password.is_empty() {
            return Err(TargetError::PasswordWithoutUser);
        }
        if let Some(bad) = ext
            .client_id_prefix
            .chars()
            .find(|c| matches!(c, '+' | '#' | '/' | '$'))
        {
            return Err(TargetError::BadPrefix(bad));
        }
        Ok(())
    }

    /// Where devices connect now: `Ok(None)` while the embedded broker is not running.
    pub fn resolve(
        &self,
        broker: Option<&RunningInfo>,
    ) -> Result<Option<ResolvedTarget>, TargetError> {
        self.validate()?;
        match self {
            FleetTarget::Embedded => Ok(broker.map(|info| {
                let ip = if info.tcp.ip().is_unspecified() {
                    std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
                } else {
                    info.tcp.ip()
                };
                ResolvedTarget {
                    host: ip.to_string(),
                    port: info.tcp.port(),
                    tls: None,
                    credentials: info
                        .settings
                        .credentials
                        .as_ref()
                        .map(|c| (c.username.clone(), c.password.clone())),
                    client_id_prefix: String::new(),
                }
            })),
            FleetTarget::External(ext) => {
                let tls = if ext.tls {
                    Some(
                        super::tls::client_config(ext.ca_file.as_deref())
                            .map_err(TargetError::Tls)?,
                    )
                } else {
                    None
                };
                let credentials = ext
                    .username
                    .as_ref()
                    .filter(|u| !u.is_empty())
                    .map(|u| (u.clone(), ext.password.clone().unwrap_or_default()));
                Ok(Some(ResolvedTarget {
                    host: ext.host.trim().to_owned(),
                    port: ext.port,
                    tls,
                    credentials,
                    client_id_prefix: ext.client_id_prefix.clone(),
                }))
            }
        }
    }
}
