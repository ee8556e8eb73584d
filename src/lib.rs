//! MQTT Playground: an embedded MQTT broker, its clients and what flows through it, for a desktop window or a terminal.

pub mod bench;
pub mod cli;
pub mod desktop;
pub mod engine;
pub mod logging;
pub mod scenario;
pub mod serve_accounts;
pub mod serve_course;
pub mod ui;
pub mod user_signal;
