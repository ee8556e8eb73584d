//! What the window remembers between runs (eframe's storage), one key per field so a damaged or older
//! field is dropped alone; never the broker password unless the user asked for it.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::engine::BrokerSettings;
use crate::engine::settings::{self, DEFAULT_WS_PORT};

/// Bounds on what is restored: a hand-edited file cannot make the app subscribe a thousand times.
pub const MAX_SUBSCRIPTIONS: usize = 64;
pub const MAX_SERIES: usize = 32;
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.5..=3.0;

/// The broker form as remembered. Every field has a default, so a saved state from an older
/// version (with fewer fields) still loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedBroker {
    pub open_to_network: bool,
    pub tcp_port: u16,
    pub websocket: bool,
    pub ws_port: u16,
    pub username: Option<String>,
    /// Only written when "remember password" is ticked.
    pub password: Option<String>,
    /// The connection cap the user chose (`None`: sized from the open-files limit).
    pub max_connections: Option<std::num::NonZeroU32>,
}

impl Default for SavedBroker {
    fn default() -> Self {
        Self::of(&BrokerSettings::default(), false)
    }
}

impl SavedBroker {
    pub fn of(settings: &BrokerSettings, remember_password: bool) -> Self {
        Self {
            open_to_network: settings.is_open_to_network(),
            tcp_port: settings.tcp_port,
            websocket: settings.ws_port.is_some(),
            ws_port: settings.ws_port.unwrap_or(DEFAULT_WS_PORT),
            username: settings.credentials.as_ref().map(|c| c.username.clone()),
            password: settings
                .credentials
                .as_ref()
                .filter(|_| remember_password)
                .map(|c| c.password.clone()),
            max_connections: settings.max_connections,
        }
    }

    /// The settings to start with. The broker always starts on this computer only: opening it to the
    /// network stays a choice made on the day, never a surprise from last week. A user name saved
    /// without its password comes back in the form, but sign-in stays off until the password is typed.
    pub fn to_settings(&self) -> BrokerSettings {
        let credentials = match (&self.username, &self.password) {
            (Some(user), Some(password)) => {
                settings::parse_credentials(user, password).ok().flatten()
            }
            _ => None,
        };
        let settings = BrokerSettings {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            tcp_port: self.tcp_port,
            ws_port: self.websocket.then_some(self.ws_port),
            credentials,
            max_connections: self.max_connections,
            // Kept in a file of their own (accounts::store), not in the window's state.
            learner_accounts: Default::default(),
        };
        match settings.validate() {
            Ok(()) => settings,
            Err(err) => {
                tracing::warn!(
                    "the saved broker settings are not usable ({err}); using the defaults"
                );
                BrokerSettings::default()
            }
        }
    }
}

/// One plotted series as remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSeries {
    pub filter: String,
    #[serde(default)]
    pub field: Option<String>,
}

/// Light, dark, or whatever the system says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Dark,
    Light,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Dark, Theme::Light];

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Follow the system",
            Theme::Dark => "Dark",
            Theme::Light => "Light",
        }
    }

    pub fn preference(self) -> eframe::egui::ThemePreference {
        match self {
            Theme::System => eframe::egui::ThemePreference::System,
            Theme::Dark => eframe::egui::ThemePreference::Dark,
            Theme::Light => eframe::egui::ThemePreference::Light,
        }
    }
}

/// Everything remembered, as the app uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Persisted {
    pub broker: SavedBroker,
    pub remember_password: bool,
    /// The open tab's label (a label, not an index, so adding tabs does not shift it).
    pub tab: Option<String>,
    pub scenario_path: Option<PathBuf>,
    /// The app's subscriber's filters and QoS; empty means "the default, `#`".
    pub subscriptions: Vec<(String, u8)>,
    pub series: Vec<SavedSeries>,
    /// The Messages tab's topic filter.
    pub log_topic_filter: String,
    /// How the Messages tab shows payloads (auto, text, JSON, hex).
    pub log_view_as: crate::engine::watch::ViewAs,
    /// Whether the Messages tab follows the newest message.
    pub log_follow: bool,
    pub theme: Theme,
    pub zoom: f32,
    pub welcome_dismissed: bool,
    /// Presenter view's theme (presenter view itself starts off; `--presenter` turns it on).
    pub presenter_theme: crate::ui::presenter::PresenterTheme,
}

impl Default for Persisted {
    fn default() -> Self {
        Self {
            broker: SavedBroker::default(),
            remember_password: false,
            tab: None,
            scenario_path: None,
            subscriptions: Vec::new(),
            series: Vec::new(),
            log_topic_filter: String::new(),
            log_view_as: Default::default(),
            log_follow: true,
            theme: Theme::System,
            zoom: 1.0,
            welcome_dismissed: false,
            presenter_theme: Default::default(),
        }
    }
}

/// Storage keys; the prefix keeps them apart from eframe's own (window, egui memory).
mod key {
    pub const BROKER: &str = "mqtt-playground/broker";
    pub const REMEMBER_PASSWORD: &str = "mqtt-playground/remember_password";
    pub const TAB: &str = "mqtt-playground/tab";
    pub const SCENARIO_PATH: &str = "mqtt-playground/scenario_path";
    pub const SUBSCRIPTIONS: &str = "mqtt-playground/subscriptions";
    pub const SERIES: &str = "mqtt-playground/series";
    pub const LOG_TOPIC_FILTER: &str = "mqtt-playground/log_topic_filter";
    pub const LOG_VIEW_AS: &str = "mqtt-playground/log_view_as";
    pub const LOG_FOLLOW: &str = "mqtt-playground/log_follow";
    pub const THEME: &str = "mqtt-playground/theme";
    pub const ZOOM: &str = "mqtt-playground/zoom";
    pub const WELCOME_DISMISSED: &str = "mqtt-playground/welcome_dismissed";
    pub const PRESENTER_THEME: &str = "mqtt-playground/presenter_theme";
}

/// Reads fields one by one, noting the ones present but unreadable.
struct Reader<'a> {
    storage: &'a dyn eframe::Storage,
    ignored: Vec<&'static str>,
}

impl Reader<'_> {
    fn read<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<T> {
        self.storage.get_string(key)?;
        let value = eframe::get_value(self.storage, key);
        if value.is_none() {
            self.ignored.push(key);
        }
        value
    }

    /// A value that must also pass `valid` (a port in range, a zoom in reason).
    fn read_checked<T: DeserializeOwned>(
        &mut self,
        key: &'static str,
        valid: impl Fn(&T) -> bool,
    ) -> Option<T> {
        let value = self.read(key)?;
        if valid(&value) {
            Some(value)
        } else {
            self.ignored.push(key);
            None
        }
    }
}

impl Persisted {
    /// What was saved; anything missing, older or damaged is the default, with one log line naming it.
    pub fn load(storage: &dyn eframe::Storage) -> Self {
        let mut reader = Reader {
            storage,
            ignored: Vec::new(),
        };
        let defaults = Self::default();
        let loaded = Self {
            broker: reader
                .read_checked(key::BROKER, |b: &SavedBroker| b.tcp_port != 0)
                .unwrap_or(defaults.broker),
            remember_password: reader.read(key::REMEMBER_PASSWORD).unwrap_or_default(),
            tab: reader.read(key::TAB).unwrap_or_default(),
            scenario_path: reader.read(key::SCENARIO_PATH).unwrap_or_default(),
            subscriptions: reader
                .read_checked(key::SUBSCRIPTIONS, |s: &Vec<(String, u8)>| {
                    s.len() <= MAX_SUBSCRIPTIONS && s.iter().all(|(_, qos)| *qos <= 2)
                })
                .unwrap_or_default(),
            series: reader
                .read_checked(key::SERIES, |s: &Vec<SavedSeries>| s.len() <= MAX_SERIES)
                .unwrap_or_default(),
            log_topic_filter: reader.read(key::LOG_TOPIC_FILTER).unwrap_or_default(),
            log_view_as: reader.read(key::LOG_VIEW_AS).unwrap_or_default(),
            log_follow: reader.read(key::LOG_FOLLOW).unwrap_or(defaults.log_follow),
            theme: reader.read(key::THEME).unwrap_or_default(),
            zoom: reader
                .read_checked(key::ZOOM, |z: &f32| ZOOM_RANGE.contains(z))
                .unwrap_or(defaults.zoom),
            welcome_dismissed: reader.read(key::WELCOME_DISMISSED).unwrap_or_default(),
            presenter_theme: reader.read(key::PRESENTER_THEME).unwrap_or_default(),
        };
        if !reader.ignored.is_empty() {
            tracing::warn!(
                "saved window state: ignored {} (from another version, or damaged); using the defaults for them",
                reader.ignored.join(", ")
            );
        }
        loaded
    }

    /// Writes every field (the password only when it is to be remembered).
    pub fn store(&self, storage: &mut dyn eframe::Storage) {
        let mut broker = self.broker.clone();
        if !self.remember_password {
            broker.password = None;
        }
        eframe::set_value(storage, key::BROKER, &broker);
        eframe::set_value(storage, key::REMEMBER_PASSWORD, &self.remember_password);
        eframe::set_value(storage, key::TAB, &self.tab);
        eframe::set_value(storage, key::SCENARIO_PATH, &self.scenario_path);
        eframe::set_value(storage, key::SUBSCRIPTIONS, &self.subscriptions);
        eframe::set_value(storage, key::SERIES, &self.series);
        eframe::set_value(storage, key::LOG_TOPIC_FILTER, &self.log_topic_filter);
        eframe::set_value(storage, key::LOG_VIEW_AS, &self.log_view_as);
        eframe::set_value(storage, key::LOG_FOLLOW, &self.log_follow);
        eframe::set_value(storage, key::THEME, &self.theme);
        eframe::set_value(storage, key::ZOOM, &self.zoom);
        eframe::set_value(storage, key::WELCOME_DISMISSED, &self.welcome_dismissed);
        eframe::set_value(storage, key::PRESENTER_THEME, &self.presenter_theme);
    }
}

/// The broker settings to start with: every command-line flag put over what was saved.
pub fn startup_settings(
    saved: &SavedBroker,
    flags: &crate::cli::BrokerArgs,
) -> Result<BrokerSettings, settings::SettingsError> {
    flags.over(&saved.to_settings())
}

/// An in-memory [`eframe::Storage`], for tests (eframe's file storage is private to its runner).
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage(pub std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;
    use eframe::Storage;

    fn full() -> Persisted {
        Persisted {
            broker: SavedBroker {
                open_to_network: false,
                tcp_port: 18830,
                websocket: false,
                ws_port: 9002,
                username: Some("teacher".into()),
                password: Some("secret".into()),
                max_connections: std::num::NonZeroU32::new(500),
            },
            remember_password: true,
            tab: Some("Plots".into()),
            scenario_path: Some(PathBuf::from("/home/t/lesson.toml")),
            subscriptions: vec![("building/#".into(), 1), ("/data".into(), 0)],
            series: vec![SavedSeries {
                filter: "building/rooms/+/telemetry".into(),
                field: Some("temperature".into()),
            }],
            log_topic_filter: "building/#".into(),
            log_view_as: crate::engine::watch::ViewAs::Hex,
            log_follow: false,
            theme: Theme::Light,
            zoom: 1.25,
            welcome_dismissed: true,
            presenter_theme: crate::ui::presenter::PresenterTheme::Dark,
        }
    }

    #[test]
    fn everything_round_trips_through_eframe_storage() {
        let mut storage = MemoryStorage::default();
        full().store(&mut storage);
        assert_eq!(Persisted::load(&storage), full());
    }

    #[test]
    fn the_password_is_not_written_unless_it_is_to_be_remembered() {
        let mut storage = MemoryStorage::default();
        let mut state = full();
        state.remember_password = false;
        state.store(&mut storage);
        let text = storage.get_string(key::BROKER).unwrap();
        assert!(!text.contains("secret"), "{text}");
        let loaded = Persisted::load(&storage);
        assert_eq!(loaded.broker.password, None);
        assert_eq!(loaded.broker.username.as_deref(), Some("teacher"));
    }

    #[test]
    fn nothing_saved_loads_the_defaults() {
        assert_eq!(
            Persisted::load(&MemoryStorage::default()),
            Persisted::default()
        );
    }

    #[test]
    fn damaged_fields_load_their_defaults_and_the_rest_survives() {
        let mut storage = MemoryStorage::default();
        full().store(&mut storage);
        storage.set_string(key::BROKER, "(tcp_port: \"not a number\")".into());
        storage.set_string(key::ZOOM, "1000.0".into());
        storage.set_string(key::THEME, "Purple".into());
        storage.set_string(key::PRESENTER_THEME, "Neon".into());
        storage.set_string(key::SUBSCRIPTIONS, "[(\"a\", 7)]".into());
        storage.set_string(key::SERIES, "\u{0}garbage".into());
        let loaded = Persisted::load(&storage);
        let defaults = Persisted::default();
        assert_eq!(loaded.broker, defaults.broker);
        assert_eq!(loaded.zoom, defaults.zoom);
        assert_eq!(loaded.theme, defaults.theme);
        assert_eq!(loaded.presenter_theme, defaults.presenter_theme);
        assert!(loaded.subscriptions.is_empty());
        assert!(loaded.series.is_empty());
        // Untouched fields are still what was saved.
        assert_eq!(loaded.tab.as_deref(), Some("Plots"));
        assert_eq!(loaded.log_topic_filter, "building/#");
        assert!(loaded.welcome_dismissed);
    }

    #[test]
    fn an_older_broker_record_with_fewer_fields_fills_in_the_rest() {
        let mut storage = MemoryStorage::default();
        storage.set_string(key::BROKER, "(tcp_port: 2883)".into());
        let loaded = Persisted::load(&storage);
        assert_eq!(loaded.broker.tcp_port, 2883);
        assert!(
            loaded.broker.websocket,
            "the default (on) fills the missing field"
        );
    }

    #[test]
    fn flags_win_over_saved_settings() {
        let saved = full().broker;
        let cli = Cli::parse_from(["mqtt-playground", "--port", "1999", "--no-websocket"]);
        let settings = startup_settings(&saved, &cli.broker).unwrap();
        assert_eq!(settings.tcp_port, 1999);
        assert_eq!(settings.ws_port, None);
        // What no flag named comes from the saved state.
        assert_eq!(
            settings.credentials.as_ref().map(|c| c.username.as_str()),
            Some("teacher")
        );
        let no_flags = Cli::parse_from(["mqtt-playground"]);
        let settings = startup_settings(&saved, &no_flags.broker).unwrap();
        assert_eq!(settings.tcp_port, 18830);
        assert_eq!(settings.ws_port, None, "a saved 'no WebSocket' stands");
        let ws_flag = Cli::parse_from(["mqtt-playground", "--ws-port", "9005"]);
        let settings = startup_settings(&saved, &ws_flag.broker).unwrap();
        assert_eq!(settings.ws_port, Some(9005));
    }

    #[test]
    fn a_saved_open_to_network_broker_starts_on_loopback() {
        let mut saved = full().broker;
        saved.open_to_network = true;
        assert!(!saved.to_settings().is_open_to_network());
    }
}
