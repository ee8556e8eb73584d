//! Entry point: parse the command line, then open the window or run a headless subcommand.

use std::process::ExitCode;

use clap::Parser;
use mqtt_playground::cli::{self, Cli, Subcommands};

// rumqttd gives every connection a dozen buffers of 10–100 KiB that an idle client never fills;
// glibc's chunk headers touched a page of each (~45 KiB per connection), jemalloc keeps its
// bookkeeping apart, so only what is written costs memory.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    mqtt_playground::ui::LAUNCHED.get_or_init(std::time::Instant::now);
    let cli = Cli::parse();
    if let Some(Subcommands::InstallDesktopEntry(args)) = &cli.command {
        // Writes into the user's data directory only what it was asked to: no log folder there.
        return finish(mqtt_playground::desktop::run_install_command(args));
    }
    let _logging = mqtt_playground::logging::init(mqtt_playground::logging::log_dir());
    // At start, for the window and `serve` alike: a desktop's soft limit of 1,024 open files fits
    // only ~380 devices; the hard limit is usually far higher.
    mqtt_playground::engine::limits::raise_open_files_limit();
    let result = match &cli.command {
        Some(Subcommands::Serve(args)) => cli::serve(args),
        Some(Subcommands::Bench(args)) => mqtt_playground::bench::run(args),
        Some(Subcommands::InstallDesktopEntry(args)) => {
            mqtt_playground::desktop::run_install_command(args)
        }
        None => mqtt_playground::ui::run_window(&cli),
    };
    finish(result)
}

fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mqtt-playground: {err:#}");
            ExitCode::FAILURE
        }
    }
}
