//! A whole workshop setup as a TOML file: broker settings, where devices connect, and every device group.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::fleet::{FleetTarget, GroupSpec, MAX_DEVICES_TOTAL};
use crate::engine::limited_read::{self, LimitedReadError};
use crate::engine::settings::{
    self, BrokerSettings, Credentials, DEFAULT_TCP_PORT, DEFAULT_WS_PORT,
};

/// The largest scenario file the app reads; a bigger file is surely not a scenario.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The `[broker]` table: the embedded broker's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerSection {
    #[serde(default = "default_bind")]
    pub bind: IpAddr,
    #[serde(default = "default_port")]
    pub port: u16,
    /// 0 or absent turns the WebSocket listener off.
    #[serde(default = "default_ws_port")]
    pub websocket_port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

fn default_bind() -> IpAddr {
    BrokerSettings::default().bind
}
fn default_port() -> u16 {
    DEFAULT_TCP_PORT
}
fn default_ws_port() -> u16 {
    DEFAULT_WS_PORT
}

impl BrokerSection {
    pub fn from_settings(settings: &BrokerSettings) -> Self {
        Self {
            bind: settings.bind,
            port: settings.tcp_port,
            websocket_port: settings.ws_port.unwrap_or(0),
            username: settings.credentials.as_ref().map(|c| c.username.clone()),
            password: settings.credentials.as_ref().map(|c| c.password.clone()),
        }
    }

    pub fn to_settings(&self) -> Result<BrokerSettings, settings::SettingsError> {
        let credentials = settings::parse_credentials(
            self.username.as_deref().unwrap_or(""),
            self.password.as_deref().unwrap_or(""),
        )?;
        let settings = BrokerSettings {
            bind: self.bind,
            tcp_port: self.port,
            ws_port: (self.websocket_port != 0).then_some(self.websocket_port),
            credentials: credentials.map(|c: Credentials| c),
            max_connections: None,
            learner_accounts: Default::default(),
        };
        settings.validate()?;
        Ok(settings)
    }
}

/// Everything a scenario file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A line saying what the scenario shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker: Option<BrokerSection>,
    #[serde(default)]
    pub target: FleetTarget,
    #[serde(default, rename = "group", skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
}

/// Why a scenario file could not be used; each message names the file and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not a regular file, unreadable, or larger than a scenario can be (the message names the limit).
    #[error(transparent)]
    Read(#[from] LimitedReadError),
    #[error("{path} is not a valid scenario: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("could not write {path}: {source} (choose another folder or file name)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not turn the scenario into TOML: {0}")]
    Serialize(String),
}

impl Scenario {
    /// Reads and checks a scenario file: TOML syntax, unknown keys, and every group's settings.
    pub fn open(path: &Path) -> Result<Self, ScenarioError> {
        let bytes = limited_read::read_limited(path, MAX_FILE_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| ScenarioError::Parse {
            path: path.to_owned(),
            message: format!(
                "it is not UTF-8 text (byte {} is not valid); is it really a .toml file?",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Self::parse(&text).map_err(|message| match message {
            ParseProblem::Syntax(message) => ScenarioError::Parse {
                path: path.to_owned(),
                message,
            },
            ParseProblem::Invalid(message) => ScenarioError::Invalid {
                path: path.to_owned(),
                message,
            },
        })
    }

    /// Reads a scenario from TOML text.
    pub fn parse(text: &str) -> Result<Self, ParseProblem> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| ParseProblem::Syntax(e.to_string()))?;
        scenario.check().map_err(ParseProblem::Invalid)?;
        Ok(scenario)
    }

    /// Checks what TOML's types cannot: broker settings, the target, each group, unique names.
    pub fn check(&self) -> Result<(), String> {
        if let Some(broker) = &self.broker {
            broker.to_settings().map_err(|e| format!("[broker]: {e}"))?;
        }
        self.target
            .validate()
            .map_err(|e| format!("[target]: {e}"))?;
        // Summed before any group is compiled, so a huge count costs nothing but this sum.
        let devices: u64 = self.groups.iter().map(|g| u64::from(g.count)).sum();
        if devices > u64::from(MAX_DEVICES_TOTAL) {
            return Err(format!(
                "the groups ask for {devices} devices in all; a scenario may run at most {MAX_DEVICES_TOTAL} (lower the groups' counts)"
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, group) in self.groups.iter().enumerate() {
            let compiled = group
                .compile()
                .map_err(|e| format!("group {} (\"{}\"): {e}", i + 1, group.name))?;
            if !names.insert(compiled.spec.name.clone()) {
                return Err(format!(
                    "two groups are called \"{}\": give each group its own name",
                    compiled.spec.name
                ));
            }
        }
        Ok(())
    }

    pub fn to_toml(&self) -> Result<String, ScenarioError> {
        toml::to_string_pretty(self).map_err(|e| ScenarioError::Serialize(e.to_string()))
    }

    /// Writes the scenario; the file is replaced only once the new content is fully written.
    pub fn save(&self, path: &Path) -> Result<(), ScenarioError> {
        let text = self.to_toml()?;
        let write_error = |source| ScenarioError::Write {
            path: path.to_owned(),
            source,
        };
        let partial = path.with_extension("toml.partial");
        std::fs::write(&partial, text).map_err(write_error)?;
        std::fs::rename(&partial, path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            write_error(e)
        })
    }
}

/// What is wrong with scenario text, before a file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseProblem {
    Syntax(String),
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn save_then_open_gives_the_same_scenario() {
        let dir =
            std::env::temp_dir().join(format!("mqtt-playground-scenario-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("round-trip.toml");
        let scenario = Scenario {
            description: Some("a round trip".into()),
            broker: Some(BrokerSection::from_settings(&BrokerSettings::default())),
            target: FleetTarget::External(crate::engine::fleet::ExternalBroker {
                host: "broker.example".into(),
                port: 8883,
                tls: true,
                username: Some("u".into()),
                password: Some("p".into()),
                client_id_prefix: "class-".into(),
                ca_file: None,
            }),
            groups: vec![
                GroupSpec::default(),
                GroupSpec {
                    name: "fast".into(),
                    every: None,
                    rate: Some(12.5),
                    jitter_percent: 10.0,
                    keep_alive: Duration::from_secs(15),
                    will: Some(crate::engine::fleet::FixedMessage {
                        topic: "x/{n}/status".into(),
                        payload: "offline".into(),
                        qos: 1,
                        retain: true,
                    }),
                    ..GroupSpec::default()
                },
            ],
        };
        scenario.save(&path).unwrap();
        let opened = Scenario::open(&path).unwrap();
        assert_eq!(opened, scenario);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let unknown = Scenario::parse("[[group]]\nname = \"a\"\ncount = 1\ntopic = \"t\"\npayload = \"p\"\nevery = \"1s\"\ncolour = \"red\"\n")
            .unwrap_err();
        let ParseProblem::Syntax(message) = unknown else {
            panic!("{unknown:?}")
        };
        assert!(message.contains("colour"), "{message}");
        assert!(message.contains("line 7"), "{message}");

        let not_toml = Scenario::parse("[[group]\nname=").unwrap_err();
        assert!(matches!(not_toml, ParseProblem::Syntax(_)));

        let bad_count = Scenario::parse(
            "[[group]]\nname = \"a\"\ncount = 0\ntopic = \"t\"\npayload = \"p\"\nevery = \"1s\"\n",
        )
        .unwrap_err();
        assert_eq!(
            bad_count,
            ParseProblem::Invalid(
                "group 1 (\"a\"): count: 0 devices is out of range: a group holds 1 to 10000"
                    .into()
            )
        );
        let bad_duration = Scenario::parse(
            "[[group]]\nname = \"a\"\ncount = 1\ntopic = \"t\"\npayload = \"p\"\nevery = \"soon\"\n",
        )
        .unwrap_err();
        let ParseProblem::Syntax(message) = bad_duration else {
            panic!()
        };
        assert!(message.contains("\"soon\" is not a duration"), "{message}");
        let bad_target =
            Scenario::parse("[target]\nkind = \"external\"\nhost = \"\"\n").unwrap_err();
        assert!(matches!(bad_target, ParseProblem::Invalid(m) if m.contains("host")));
    }

    fn groups_of(counts: &[u64]) -> String {
        counts
            .iter()
            .enumerate()
            .map(|(i, count)| {
                format!(
                    "[[group]]\nname = \"g{i}\"\ncount = {count}\ntopic = \"t/{{group}}/{{n}}\"\npayload = \"p\"\nevery = \"1s\"\n"
                )
            })
            .collect()
    }

    #[test]
    fn more_than_10000_devices_in_all_are_refused_naming_the_cap() {
        let at_cap = Scenario::parse(&groups_of(&[5000, 5000]));
        assert!(at_cap.is_ok(), "{at_cap:?}");
        let over = Scenario::parse(&groups_of(&[5000, 5001])).unwrap_err();
        let ParseProblem::Invalid(message) = over else {
            panic!("{over:?}")
        };
        assert!(message.contains("10001 devices"), "{message}");
        assert!(message.contains("at most 10000"), "{message}");
        // Four billion devices: refused by counting, before a single client id exists.
        let huge = Scenario::parse(&groups_of(&[4_000_000_000])).unwrap_err();
        assert!(
            matches!(&huge, ParseProblem::Invalid(m) if m.contains("10000")),
            "{huge:?}"
        );
        let many_groups = Scenario::parse(&groups_of(&[10_000; 3])).unwrap_err();
        assert!(
            matches!(&many_groups, ParseProblem::Invalid(m) if m.contains("30000 devices")),
            "{many_groups:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_a_pipe_is_refused_without_hanging() {
        let err = Scenario::open(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");

        let fifo =
            std::env::temp_dir().join(format!("mqtt-playground-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&fifo);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            matches!(made, Ok(s) if s.success()),
            "mkfifo works: {made:?}"
        );
        // No writer ever opens the pipe: opening it for reading would wait forever.
        let err = Scenario::open(&fifo).unwrap_err();
        assert!(err.to_string().contains("a pipe"), "{err}");
        std::fs::remove_file(&fifo).unwrap();
    }

    #[test]
    fn a_file_over_the_limit_is_refused_naming_the_limit() {
        let path = std::env::temp_dir().join(format!(
            "mqtt-playground-big-scenario-{}.toml",
            std::process::id()
        ));
        let mut text = "# padding\n".to_owned();
        text.push_str(&" ".repeat(MAX_FILE_BYTES as usize));
        std::fs::write(&path, text).unwrap();
        let err = Scenario::open(&path).unwrap_err();
        assert!(err.to_string().contains("larger than 4 MiB"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn the_shipped_scenarios_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
        for name in ["tutorial.toml", "smart-building.toml", "stress.toml"] {
            let scenario = Scenario::open(&dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
            assert!(!scenario.groups.is_empty(), "{name} has groups");
            assert!(scenario.description.is_some(), "{name} says what it shows");
        }
    }
}
