//! The window: egui panels that draw engine snapshots and send engine commands (no tokio, no MQTT here).

pub mod activity;
pub mod app;
pub mod broker_panel;
pub mod clients_panel;
pub mod connect_card;
pub mod device_activity;
pub mod devices;
pub mod diagnostics;
pub mod file_dialog;
pub mod format;
pub mod frame_timer;
pub mod group_form;
pub mod messages;
pub mod plots_panel;
pub mod publish_panel;
pub mod repaint_policy;
pub mod topics_panel;
pub mod widgets;

use crate::cli::Cli;
use crate::engine::{Command, Engine};

pub use app::PlaygroundApp;
// The tabs' old module paths, kept so code written against them still builds.
pub use devices as devices_panel;
pub use messages as messages_panel;

/// When the process started, for the launch-to-first-frame figure (`RUST_LOG=mqtt_playground=info`).
pub static LAUNCHED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Opens the window; returns when the user closes it (the broker is stopped on the way out).
pub fn run_window(cli: &Cli) -> anyhow::Result<()> {
    // A bad scenario file stops here, with its message on the terminal, before any window opens.
    let loaded = crate::cli::load_scenario(cli.scenario.as_deref(), &cli.broker)?;
    let settings = match &loaded {
        Some(loaded) => loaded.settings.clone(),
        None => cli.broker.to_settings()?,
    };
    let engine = Engine::start()?;
    if !cli.no_broker {
        engine.send(Command::StartBroker(settings.clone()))?;
    }
    let scenario_path = cli.scenario.clone();
    let start_tab = cli.tab;
    if let Some(loaded) = loaded {
        engine.send(Command::Fleet(
            crate::engine::fleet::FleetCommand::Replace {
                target: loaded.scenario.target,
                groups: loaded.scenario.groups,
                start: true,
            },
        ))?;
    }
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("MQTT Playground")
            .with_app_id("mqtt-playground")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "MQTT Playground",
        options,
        Box::new(move |cc| {
            // Engine news repaints at a bounded rate, one frame each; input still repaints at once.
            engine.set_waker(repaint_policy::data_waker(cc.egui_ctx.clone()));
            close_on_stop_signal(&engine, &cc.egui_ctx);
            let dialog_ctx = cc.egui_ctx.clone();
            let mut app = PlaygroundApp::new(engine, settings).with_file_picker(Box::new(
                file_dialog::NativeFilePicker::new(move || dialog_ctx.request_repaint()),
            ));
            if let Some(path) = scenario_path {
                app.devices_mut().scenario_path = Some(path);
                app = app.with_tab(app::Tab::Devices);
            }
            if let Some(tab) = start_tab {
                app = app.with_tab(tab);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}

/// Ctrl-C or SIGTERM closes the window the way its close button does, so the broker stops and the
/// devices disconnect on the normal way out (the engine notices the signal; the window has no tokio).
fn close_on_stop_signal(engine: &Engine, ctx: &eframe::egui::Context) {
    let ctx = ctx.clone();
    let hooked = engine.on_stop_signal(move || {
        ctx.send_viewport_cmd(eframe::egui::ViewportCommand::Close);
        // Again after the command is queued, in case a frame ran between its repaint and the queueing.
        ctx.request_repaint();
    });
    if let Err(err) = hooked {
        tracing::warn!("Ctrl-C will not close the window: {err}");
    }
}
