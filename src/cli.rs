//! Command-line arguments and the headless subcommands; the CLI uses the engine alone, never the ui.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::connect_info::{self, Target};
use crate::engine::settings::{
    self, BrokerSettings, DEFAULT_TCP_PORT, DEFAULT_WS_PORT, TCP_PORT_LABEL, WS_PORT_LABEL,
};
use crate::engine::{Engine, StartError};

/// MQTT Playground: an MQTT broker, simulated devices and a live view of what flows, in one window.
#[derive(Debug, Parser)]
#[command(name = "mqtt-playground", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Subcommands>,
    /// Broker settings for the window (the broker starts with them as soon as the window opens).
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Open the window with the broker stopped.
    #[arg(long)]
    pub no_broker: bool,
}

#[derive(Debug, Subcommand)]
pub enum Subcommands {
    /// Run the broker without a window (a classroom server, a CI job); stop it with Ctrl-C.
    Serve(ServeArgs),
    /// Measure throughput and connection rate through the broker's port (prints figures, asserts nothing).
    Bench(crate::bench::BenchArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub broker: BrokerArgs,
}

/// The broker's settings as flags; shared by the window and `serve`.
#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Address to listen on: 127.0.0.1 serves this computer only, 0.0.0.0 your whole network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1", value_parser = parse_bind_arg)]
    pub bind: IpAddr,
    /// TCP port for MQTT clients (MQTT 3.1, 3.1.1 and 5 all use this one port).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TCP_PORT, value_parser = parse_tcp_port_arg)]
    pub port: u16,
    /// Port for MQTT over WebSocket (browser clients such as MQTT.js).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WS_PORT, value_parser = parse_ws_port_arg)]
    pub ws_port: u16,
    /// Do not open a WebSocket port.
    #[arg(long)]
    pub no_websocket: bool,
    /// Require this user name from every client (needs --password).
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// The password that goes with --user.
    #[arg(long, value_name = "P")]
    pub password: Option<String>,
}

fn parse_bind_arg(text: &str) -> Result<IpAddr, String> {
    settings::parse_bind(text).map_err(|e| e.to_string())
}

fn parse_tcp_port_arg(text: &str) -> Result<u16, String> {
    settings::parse_port(TCP_PORT_LABEL, text).map_err(|e| e.to_string())
}

fn parse_ws_port_arg(text: &str) -> Result<u16, String> {
    settings::parse_port(WS_PORT_LABEL, text).map_err(|e| e.to_string())
}

impl BrokerArgs {
    /// The settings these flags describe, or what is wrong with them.
    pub fn to_settings(&self) -> Result<BrokerSettings, settings::SettingsError> {
        let credentials = settings::parse_credentials(
            self.user.as_deref().unwrap_or(""),
            self.password.as_deref().unwrap_or(""),
        )?;
        let settings = BrokerSettings {
            bind: self.bind,
            tcp_port: self.port,
            ws_port: (!self.no_websocket).then_some(self.ws_port),
            credentials,
        };
        settings.validate()?;
        Ok(settings)
    }
}

/// `mqtt-playground serve`: runs the broker until Ctrl-C or SIGTERM, logging connects and disconnects.
pub fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let settings = args.broker.to_settings()?;
    let engine = Engine::start()?;
    let info = match engine.start_broker_blocking(settings) {
        Ok(info) => info,
        Err(StartError::Broker(err)) => anyhow::bail!("{err}"),
        Err(other) => return Err(other.into()),
    };
    println!("MQTT Playground broker running (Ctrl-C stops it)");
    for address in connect_info::client_addresses(info.settings.bind) {
        println!(
            "  mqtt://{}  ({}; MQTT 3.1, 3.1.1 and 5)",
            std::net::SocketAddr::new(address.ip, info.tcp.port()),
            address.scope
        );
        if let Some(ws) = info.websocket {
            println!(
                "  {}  (WebSocket)",
                connect_info::websocket_url(address.ip, ws.port())
            );
        }
    }
    if let Some(first) = connect_info::snippets(&Target {
        host: connect_info::client_addresses(info.settings.bind)
            .first()
            .map(|a| a.ip)
            .unwrap_or(info.tcp.ip()),
        tcp_port: info.tcp.port(),
        websocket_port: info.websocket.map(|w| w.port()),
        credentials: info.settings.credentials.as_ref(),
    })
    .first()
    {
        println!("  try: {}", first.text);
    }

    let stop = stop_on_signal()?;
    while !stop.load(Ordering::Relaxed) {
        if let Some(event) = engine.events().next_timeout(Duration::from_millis(200)) {
            println!("{}", event.describe());
        }
    }
    println!("stopping the broker…");
    drop(engine);
    println!("broker stopped");
    Ok(())
}

/// A flag raised by Ctrl-C (SIGINT) or SIGTERM, watched on a small thread of its own.
fn stop_on_signal() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{SignalKind, signal};
                    match signal(SignalKind::terminate()) {
                        Ok(mut term) => {
                            tokio::select! {
                                _ = tokio::signal::ctrl_c() => {}
                                _ = term.recv() => {}
                            }
                        }
                        Err(_) => {
                            let _ = tokio::signal::ctrl_c().await;
                        }
                    }
                }
                #[cfg(not(unix))]
                {
                    let _ = tokio::signal::ctrl_c().await;
                }
            });
            flag.store(true, Ordering::Relaxed);
        })?;
    Ok(stop)
}
