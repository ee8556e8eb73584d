//! Entry point: parse the command line, then open the window or run a headless subcommand.

use std::process::ExitCode;

use clap::Parser;
use mqtt_playground::cli::{self, Cli, Subcommands};

fn main() -> ExitCode {
    mqtt_playground::ui::LAUNCHED.get_or_init(std::time::Instant::now);
    let cli = Cli::parse();
    init_logging();
    let result = match &cli.command {
        Some(Subcommands::Serve(args)) => cli::serve(args),
        Some(Subcommands::Bench(args)) => mqtt_playground::bench::run(args),
        Some(Subcommands::InstallDesktopEntry(args)) => {
            mqtt_playground::desktop::run_install_command(args)
        }
        None => mqtt_playground::ui::run_window(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mqtt-playground: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr; rumqttd's own log is off by default because it reports ordinary
/// disconnects as errors (RUST_LOG overrides, e.g. RUST_LOG=rumqttd=info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rumqttd=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
