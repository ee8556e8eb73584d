//! The window: egui panels that draw engine snapshots and send engine commands (no tokio, no MQTT here).

pub mod accounts;
pub mod activity;
pub mod app;
pub mod broker_panel;
pub mod clients_panel;
pub mod connect_card;
pub mod course;
pub mod device_activity;
pub mod devices;
pub mod diagnostics;
pub mod file_dialog;
pub mod flow_map;
pub mod format;
pub mod frame_timer;
pub mod group_form;
pub mod help;
pub mod keyboard;
pub mod layout;
pub mod messages;
pub mod network_confirm;
pub mod panel_frame;
pub mod persisted;
pub mod plots_panel;
pub mod presenter;
pub mod publish_panel;
pub mod renderer;
pub mod repaint_policy;
pub mod settings_menu;
pub mod topics_panel;
pub mod trace;
pub mod welcome;
pub mod widgets;

use crate::cli::Cli;
use crate::engine::{Command, Engine};

pub use app::PlaygroundApp;

/// When the process started, for the launch-to-first-frame figure (`RUST_LOG=mqtt_playground=info`).
pub static LAUNCHED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Opens the window; returns when the user closes it (the broker is stopped on the way out).
pub fn run_window(cli: &Cli) -> anyhow::Result<()> {
    // A bad scenario file or flag stops here, with its message on the terminal, before any window opens.
    let loaded = crate::cli::load_scenario(cli.scenario.as_deref(), &cli.broker)?;
    let flag_settings = match &loaded {
        Some(loaded) => loaded.settings.clone(),
        None => cli.broker.to_settings()?,
    };
    let engine = Engine::start()?;
    // Learner accounts kept from the last run: read once here, before the window's first frame.
    let accounts_store = crate::engine::accounts::store::default_path();
    let mut kept_learners = accounts::startup::kept_learner_accounts(accounts_store.as_deref());
    let scenario_path = cli.scenario.clone();
    let start_tab = cli.tab;
    let trace_client = cli.trace_client.clone();
    let trace_all = cli.trace_all;
    let course = cli.course.as_deref().map(crate::cli::course_open_command);
    let presenter = cli.presenter;
    let no_broker = cli.no_broker;
    let flags = cli.broker.clone();
    // A scenario file that opens the broker to the network asks first (the file may not be the
    // user's own), unless the user's own --bind said where to listen.
    let ask_first = loaded.is_some() && cli.broker.bind.is_none();
    let mut scenario_fleet = loaded.map(|loaded| {
        Command::Fleet(crate::engine::fleet::FleetCommand::Replace {
            target: loaded.scenario.target,
            groups: loaded.scenario.groups,
            start: true,
        })
    });
    let mut viewport = eframe::egui::ViewportBuilder::default()
        .with_title("MQTT Playground")
        // Matches the .desktop file's name, so Wayland compositors find the entry and its icon.
        .with_app_id(crate::desktop::icon::APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 480.0]);
    if let Some(icon) = crate::desktop::icon::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    if presenter {
        // A projector shows the whole screen: the window takes it (the window manager permitting).
        viewport = viewport.with_maximized(true);
    }
    let options = move || eframe::NativeOptions {
        viewport: viewport.clone(),
        // Dithering adds noise to every fragment to hide banding in gradients; this window's
        // colours are flat (egui leaves flat colours undithered anyway), and on llvmpipe the
        // noise cost 7% of a frame's instructions (BENCHMARKS.md, the window's CPU cost).
        dithering: false,
        ..Default::default()
    };
    renderer::run_native("MQTT Playground", options, move |cc| {
        // What was saved last time (nothing on a first run); the command line wins over it.
        let saved = cc
            .storage
            .map(persisted::Persisted::load)
            .unwrap_or_default();
        let mut settings = if scenario_fleet.is_some() {
            flag_settings
        } else {
            persisted::startup_settings(&saved.broker, &flags).unwrap_or(flag_settings)
        };
        if let Some(learners) = kept_learners.take() {
            accounts::startup::with_kept_learners(
                &mut settings,
                learners,
                saved.broker.username.as_deref(),
            );
        }
        let mut startup = Vec::new();
        if !no_broker {
            startup.push(Command::StartBroker(settings.clone()));
        }
        startup.extend(scenario_fleet.take());
        if trace_all {
            startup.push(Command::Trace(
                crate::engine::trace::TraceCommand::WatchAll(true),
            ));
        }
        // After the broker's start, so the course's snippets have an address to fill in.
        startup.extend(course.clone().map(Command::Course));
        let mut question = network_confirm::NetworkConfirm::default();
        let startup = if ask_first {
            question.hold_if_opening(startup)
        } else {
            startup
        };
        for command in startup {
            engine.send(command)?;
        }
        // Engine news repaints at a bounded rate, one frame each; input still repaints at once.
        engine.set_waker(repaint_policy::data_waker(cc.egui_ctx.clone()));
        close_on_stop_signal(&engine, &cc.egui_ctx);
        let dialog_ctx = cc.egui_ctx.clone();
        let mut app = PlaygroundApp::new(engine, settings)
            .with_file_picker(Box::new(file_dialog::NativeFilePicker::new(move || {
                dialog_ctx.request_repaint()
            })))
            .with_network_question(question)
            .with_accounts_store(accounts_store.clone())
            .restore(&saved, &cc.egui_ctx);
        if scenario_path.is_some()
            || start_tab.is_some()
            || trace_client.is_some()
            || course.is_some()
            || presenter
        {
            app = app.with_welcome(false);
        }
        if let Some(path) = scenario_path {
            app.devices_mut().scenario_path = Some(path);
            app = app.with_tab(app::Tab::Devices);
        }
        if course.is_some() {
            app.course_mut().expect_answer();
            app = app.with_tab(app::Tab::Course);
        }
        if let Some(tab) = start_tab {
            app = app.with_tab(tab);
        }
        if presenter {
            app = app.with_presenter(true);
        }
        if let Some(client) = &trace_client {
            app.trace_mut().show_client(client);
            app = app.with_tab(app::Tab::Trace);
        }
        Ok(Box::new(app))
    })
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
